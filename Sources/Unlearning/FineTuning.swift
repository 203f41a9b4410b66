import Datasets
import Foundation
import NeuralNetworks
import Tensors
import Training

/// Which examples an unlearning epoch visits, and how they are spread over its batches.
///
/// The default is the authors' recipe: every epoch visits all of the task's examples (forget and
/// retain) in one seeded shuffle. Two documented options cut the cost or steady the signal:
/// - `retainFraction < 1`: each epoch visits all forget examples and a fresh seeded sample of
///   `round(retainFraction · #retain)` retain examples (a time budget).
/// - `balancesForgetExamples`: the forget examples are dealt round-robin over the epoch's batches, so
///   every batch holds its share instead of whatever the shuffle gives.
/// - `examples`: only the retain examples (fine-tuning) or only the forget examples (negative gradient).
public struct BatchPlan: Codable, Equatable, Sendable {
    /// Which of the task's examples the epochs visit.
    public enum Examples: String, Codable, CaseIterable, Sendable {
        /// Forget and retain examples together (the default).
        case all
        /// The retained classes' examples only.
        case retain
        /// The forget classes' examples only.
        case forget
    }

    public var retainFraction: Double
    public var balancesForgetExamples: Bool
    /// Which examples are visited. Default ``Examples/all``.
    public var examples: Examples

    public init(retainFraction: Double = 1, balancesForgetExamples: Bool = false, examples: Examples = .all) {
        self.retainFraction = retainFraction
        self.balancesForgetExamples = balancesForgetExamples
        self.examples = examples
    }

    /// Reads a plan in which any field may be missing (scenario files name only what they change).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        retainFraction = try container.decodeIfPresent(Double.self, forKey: .retainFraction) ?? 1
        balancesForgetExamples = try container.decodeIfPresent(Bool.self, forKey: .balancesForgetExamples) ?? false
        examples = try container.decodeIfPresent(Examples.self, forKey: .examples) ?? .all
    }

    /// The batches of epoch `epoch` (1-based), as indices into the task's examples. The same task seed,
    /// epoch and plan always give the same batches.
    public func batches(for task: UnlearningTask, epoch: Int, batchSize: Int) -> [[Int]] {
        checkPrecondition(batchSize > 0, "BatchPlan: batchSize \(batchSize) must be positive")
        checkPrecondition(retainFraction >= 0 && retainFraction <= 1,
                          "BatchPlan: retainFraction \(retainFraction) must lie in [0, 1]")
        var generator = SplitMix64(seed: task.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        var retain = examples == .forget ? [] : task.retainIndices
        if retainFraction < 1 {
            generator.shuffleReproducibly(&retain)
            retain = Array(retain.prefix(Int((retainFraction * Double(retain.count)).rounded())))
        }
        var forget = examples == .retain ? [] : task.forgetIndices
        guard balancesForgetExamples else {
            var order = forget + retain
            generator.shuffleReproducibly(&order)
            return stride(from: 0, to: order.count, by: batchSize).map {
                Array(order[$0 ..< min($0 + batchSize, order.count)])
            }
        }
        generator.shuffleReproducibly(&forget)
        generator.shuffleReproducibly(&retain)
        let batchCount = max(1, (forget.count + retain.count + batchSize - 1) / batchSize)
        var batches = [[Int]](repeating: [], count: batchCount)
        for (position, index) in forget.enumerated() { batches[position % batchCount].append(index) }
        var next = retain.makeIterator()
        for batch in batches.indices {
            while batches[batch].count < batchSize, let index = next.next() { batches[batch].append(index) }
        }
        while let index = next.next() { batches[batchCount - 1].append(index) }  // only when forget > batches
        return batches.filter { !$0.isEmpty }
    }
}

/// The fine-tuning loop the methods share: `epochs` passes of `optimizer` over the batches of a
/// ``BatchPlan``, the model in training mode, minimising `loss(logits, batchIndices)`.
///
/// Records the mean loss of each epoch (weighted by batch size), the steps and the examples seen in
/// `run`. Stops with ``UnlearningError/nonFiniteLoss(phase:epoch:step:)`` at a NaN or infinite loss,
/// before that step's update.
func fineTune(_ model: any Classifier, task: UnlearningTask, phase: String, epochs: Int, batchSize: Int,
              optimizer: any Optimizer, plan: BatchPlan, run: inout UnlearningRun,
              progress: ((TrainingProgress) -> Void)?,
              loss: (_ logits: Tensor, _ batch: [Int]) -> Tensor) throws {
    guard epochs > 0 else { return }
    for epoch in 1 ... epochs {
        let batches = plan.batches(for: task, epoch: epoch, batchSize: batchSize)
        let stepsAfter = (epochs - epoch) * batches.count
        let mean = try trainingPass(model, task: task, phase: phase, epoch: epoch, epochs: epochs, batches: batches,
                                    stepsAfter: stepsAfter, optimizer: optimizer, run: &run, progress: progress) {
            logits, _, batch in loss(logits, batch)
        }
        run.epochLosses.append(mean)
    }
}

/// One pass of `optimizer` over `batches` (indices into the task's examples), the model in training
/// mode, minimising `loss(logits, inputs, batchIndices)`; returns the mean loss (weighted by batch size).
///
/// The step every training-style method takes: it counts steps and examples in `run`, reports
/// progress (`stepsAfter` more steps follow in later passes, for the time estimate), and stops with
/// ``UnlearningError/nonFiniteLoss(phase:epoch:step:)`` at a NaN or infinite loss, before that step's update.
func trainingPass(_ model: any Classifier, task: UnlearningTask, phase: String, epoch: Int, epochs: Int,
                  batches: [[Int]], stepsAfter: Int = 0, optimizer: any Optimizer, run: inout UnlearningRun,
                  progress: ((TrainingProgress) -> Void)?,
                  loss: (_ logits: Tensor, _ inputs: Tensor, _ batch: [Int]) -> Tensor) throws -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    let wasTraining = model.isTraining
    model.setTraining(true)
    defer { model.setTraining(wasTraining) }
    var sum = 0.0, seen = 0, correct = 0
    for (step, batch) in batches.enumerated() {
        let x = task.features.batch(batch, normalizedWith: task.statistics)
        var predictions: [Int] = []
        let (value, gradients) = valueWithGradient(at: model) { model in
            let logits = model(x)
            predictions = logits.argmax(alongAxis: 1)
            return loss(logits, x, batch)
        }
        let scalar = value.item
        guard scalar.isFinite else { throw UnlearningError.nonFiniteLoss(phase: phase, epoch: epoch, step: step + 1) }
        optimizer.update(model, along: gradients)
        sum += Double(scalar) * Double(batch.count)
        seen += batch.count
        correct += zip(predictions, batch).filter { $0 == task.labels[$1] }.count
        run.steps += 1
        run.examplesSeen += batch.count
        if let progress {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let secondsPerStep = elapsed / Double(step + 1)
            progress(TrainingProgress(epoch: epoch, epochs: epochs, step: step + 1, stepsPerEpoch: batches.count,
                                      loss: sum / Double(seen), accuracy: 100 * Double(correct) / Double(seen),
                                      samplesPerSecond: Double(seen) / max(elapsed, 1e-9),
                                      secondsRemaining: secondsPerStep * Double(batches.count - step - 1 + stepsAfter)))
        }
    }
    return seen == 0 ? 0 : sum / Double(seen)
}
