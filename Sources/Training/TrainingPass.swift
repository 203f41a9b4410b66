import Datasets
import Foundation
import NeuralNetworks
import Tensors

/// One epoch of optimizer steps: the loop that ``Trainer`` and every unlearning method that trains run.
///
/// For each batch (indices into `features`), in order: the inputs normalised with `statistics`, the
/// model's logits in training mode, `loss(logits, inputs, batch)` and its gradient, a stop at a NaN or
/// infinite loss (before that step's update), one `optimizer` step; then the running loss and accuracy
/// (weighted by batch size, accuracy against `labels`) and the time left go to `observer.step`. The
/// model's training flag is restored afterwards.
///
/// Returns the epoch's summary (mean loss, training accuracy, seconds; no validation accuracy): the
/// caller adds what it measures after the epoch and hands it to `observer.epoch`.
///
/// ```swift
/// var clock = ProgressClock(totalSteps: epochs * batches.count)
/// let summary = try trainingPass(of: model, on: features, labels: labels, normalizedWith: statistics,
///                                batches: batches, optimizer: Adam(learningRate: 1e-3), epoch: 1, epochs: epochs,
///                                clock: &clock, observer: printer.observer) { logits, _, batch in
///     crossEntropy(logits: logits, labels: batch.map { labels[$0] })
/// }
/// ```
///
/// - Parameters:
///   - phase: what runs, for progress lines and errors (`nil` for a model's training).
///   - clock: the run's clock, shared by all its passes (for the time-left estimate).
///   - prepare: called before each step with its 0-based index in the pass and the batch's normalised
///     inputs, which it may change (masking), and where it may set the optimizer's learning rate.
///   - embeddingLoss: a term on the batch's embeddings (``Classifier/embedding(_:)``) added to `loss`;
///     the logits are then the head of those embeddings, so the batch still goes forward once.
/// - Throws: ``TrainingError/nonFiniteLoss(phase:epoch:step:)`` naming the 1-based step of a NaN or
///   infinite loss; the model then holds the parameters from before that step.
public func trainingPass(of model: any Classifier, on features: FeatureSet, labels: [Int],
                         normalizedWith statistics: NormalizationStatistics, batches: [[Int]],
                         optimizer: any Optimizer, epoch: Int, epochs: Int, phase: String? = nil,
                         clock: inout ProgressClock, observer: TrainingObserver,
                         prepare: ((_ step: Int, _ input: inout Tensor) -> Void)? = nil,
                         embeddingLoss: ((_ embedding: Tensor, _ batch: [Int]) -> Tensor?)? = nil,
                         loss: (_ logits: Tensor, _ input: Tensor, _ batch: [Int]) -> Tensor) throws -> EpochSummary {
    try trainingPass(of: model, inputs: { features.batch($0, normalizedWith: statistics) }, labels: labels,
                     batches: batches, optimizer: optimizer, epoch: epoch, epochs: epochs, phase: phase, clock: &clock,
                     observer: observer, prepare: prepare, embeddingLoss: embeddingLoss, loss: loss)
}

/// The same pass with each batch's inputs from `inputs(batchIndices)` instead of a feature set: a model
/// that starts part-way through a network reads what the earlier part put out (kept stages' outputs).
public func trainingPass(of model: any Classifier, inputs: (_ batch: [Int]) -> Tensor, labels: [Int], batches: [[Int]],
                         optimizer: any Optimizer, epoch: Int, epochs: Int, phase: String? = nil,
                         clock: inout ProgressClock, observer: TrainingObserver,
                         prepare: ((_ step: Int, _ input: inout Tensor) -> Void)? = nil,
                         embeddingLoss: ((_ embedding: Tensor, _ batch: [Int]) -> Tensor?)? = nil,
                         loss: (_ logits: Tensor, _ input: Tensor, _ batch: [Int]) -> Tensor) throws -> EpochSummary {
    let wasTraining = model.isTraining
    model.setTraining(true)
    defer { model.setTraining(wasTraining) }
    var meter = PassMeter(phase: phase, epoch: epoch, epochs: epochs, steps: batches.count)
    for (index, batch) in batches.enumerated() {
        var x = inputs(batch)
        prepare?(index, &x)
        var predictions: [Int] = []
        let (value, gradients) = valueWithGradient(at: model) { model in
            guard let embeddingLoss else {
                let logits = model(x)
                predictions = logits.argmax(alongAxis: 1)
                return loss(logits, x, batch)
            }
            let embedding = model.embedding(x)
            let logits = model.head(embedding)
            predictions = logits.argmax(alongAxis: 1)
            let value = loss(logits, x, batch)
            return embeddingLoss(embedding, batch).map { value + $0 } ?? value
        }
        let scalar = value.item
        guard scalar.isFinite else { throw TrainingError.nonFiniteLoss(phase: phase, epoch: epoch, step: index + 1) }
        optimizer.update(model, along: gradients)
        observer.step(meter.record(loss: scalar, examples: batch.count,
                                   correct: zip(predictions, batch).filter { $0 == labels[$1] }.count, clock: &clock))
    }
    return meter.summary
}

/// The running figures of one pass of steps (an epoch of training, a pass of gradients): mean loss and
/// accuracy weighted by batch size, throughput and time left, as ``TrainingProgress`` after each step
/// and an ``EpochSummary`` at the end.
public struct PassMeter {
    public let phase: String?
    public let epoch: Int, epochs: Int
    /// Steps in the pass.
    public let steps: Int
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lossSum = 0.0, seen = 0, correct = 0, stepsDone = 0

    public init(phase: String?, epoch: Int, epochs: Int, steps: Int) {
        (self.phase, self.epoch, self.epochs, self.steps) = (phase, epoch, epochs, steps)
    }

    /// Counts a step of `examples` examples with mean loss `loss`, `correct` of them predicted right.
    public mutating func record(loss: Float, examples: Int, correct: Int, clock: inout ProgressClock) -> TrainingProgress {
        lossSum += Double(loss) * Double(examples)
        seen += examples
        self.correct += correct
        stepsDone += 1
        let secondsRemaining = clock.countStep()
        let elapsed = ProgressClock.seconds(since: start)
        return TrainingProgress(phase: phase, epoch: epoch, epochs: epochs, step: stepsDone, stepsPerEpoch: steps,
                                loss: meanLoss, accuracy: accuracy,
                                samplesPerSecond: elapsed > 0 ? Double(seen) / elapsed : 0,
                                secondsRemaining: secondsRemaining)
    }

    /// The pass so far (no validation accuracy).
    public var summary: EpochSummary {
        EpochSummary(phase: phase, epoch: epoch, epochs: epochs, loss: meanLoss, trainingAccuracy: accuracy,
                     seconds: ProgressClock.seconds(since: start))
    }

    private var meanLoss: Double { seen == 0 ? 0 : lossSum / Double(seen) }
    private var accuracy: Double { seen == 0 ? 0 : 100 * Double(correct) / Double(seen) }
}

/// `indices` cut in order into batches of `size` (the last one shorter): a PyTorch `DataLoader` without
/// shuffling.
public func consecutiveBatches(of indices: [Int], size: Int) -> [[Int]] {
    checkPrecondition(size > 0, "consecutiveBatches: size \(size) must be positive")
    return stride(from: 0, to: indices.count, by: size).map { Array(indices[$0 ..< min($0 + size, indices.count)]) }
}
