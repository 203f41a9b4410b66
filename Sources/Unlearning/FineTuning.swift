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
public struct BatchPlan: CheckedConfiguration {
    /// Which of the task's examples the epochs visit.
    public enum Examples: String, SettingChoice, Sendable {
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

    public func validate() throws {
        try Check.within("retainFraction", retainFraction, 0 ... 1)
    }

    /// The batches of epochs 1 through `epochs` (``batches(for:epoch:batchSize:)``).
    public func schedule(for task: UnlearningTask, epochs: Int, batchSize: Int) -> [[[Int]]] {
        (0 ..< epochs).map { batches(for: task, epoch: $0 + 1, batchSize: batchSize) }
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
            return consecutiveBatches(of: order, size: batchSize)
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

/// The settings of the baselines that are nothing but epochs of Adam on a cross-entropy (``FineTune``
/// on the retain set, ``NegativeGradient`` on the forget set), with the step of the paper's fine-tuning
/// baselines.
public struct AdamFineTuneConfiguration: MethodConfiguration {
    /// E, the epochs. Default 5.
    public var epochs = 5
    /// Adam's learning rate. Default 1e-3.
    public var learningRate: Float = 1e-3
    /// Examples per step. Default 32.
    public var batchSize = 32

    public init() {}

    public func validate() throws {
        try Check.count("epochs", epochs, atLeast: 0)
        try Check.positive("learningRate", learningRate)
        try Check.count("batchSize", batchSize, atLeast: 1)
    }
}

/// The fine-tuning loop the methods share: `epochs` passes of `optimizer` over the batches of a
/// ``BatchPlan``, the model in training mode, minimising `loss(logits, batchIndices)` (see
/// ``trainEpochs(_:task:phase:schedule:optimizer:learningRates:run:observer:inputs:embeddingLoss:loss:)``).
///
/// Given `learningRates`, the optimizer's rate at each update follows the schedule it gives for the plan's
/// steps per epoch (counted over all epochs); without it the optimizer keeps its own rate.
///
/// Given `kept` (the outputs of the model's first ``KeptStageOutputs/stages`` stages for every example
/// the plan visits), the steps start from those outputs and run and update only the later stages and the
/// head (``LaterStages``). Such steps cost less than a training step of the whole model, so the run then
/// records the rate of whole-model steps timed on a fresh model instead (``wholeModelRate(for:batchSize:)``).
func fineTune(_ model: any Classifier, task: UnlearningTask, phase: String, epochs: Int, batchSize: Int,
              optimizer: any Optimizer, plan: BatchPlan,
              learningRates: ((_ stepsPerEpoch: Int) -> LearningRateSchedule)? = nil, kept: KeptStageOutputs? = nil,
              run: inout UnlearningRun, observer: TrainingObserver,
              embeddingLoss: ((_ embedding: Tensor, _ batch: [Int]) -> Tensor?)? = nil,
              loss: (_ logits: Tensor, _ batch: [Int]) -> Tensor) throws {
    let schedule = plan.schedule(for: task, epochs: epochs, batchSize: batchSize)
    try trainEpochs(kept.map { LaterStages(of: model, from: $0.stages) } ?? model, task: task, phase: phase,
                    schedule: schedule, optimizer: optimizer, learningRates: learningRates?(schedule.first?.count ?? 0),
                    run: &run, observer: observer, inputs: kept?.batch,
                    embeddingLoss: embeddingLoss) { logits, _, batch in loss(logits, batch) }
    if kept != nil { run.trainingRate = wholeModelRate(for: task, batchSize: batchSize) }
}

/// What a training step of the whole model costs per example on this machine now: two Adam steps on a
/// batch of retained examples, timed on a fresh model from the task's factory after one untimed step
/// (which builds the kernels' plans); `nil` without a factory. For runs whose own steps cover only part
/// of the network, so that reports still set the erasure against a retraining at today's rate.
func wholeModelRate(for task: UnlearningTask, batchSize: Int) -> UnlearningRun.TrainingRate? {
    guard let makeModel = task.makeModel, !task.retainIndices.isEmpty else { return nil }
    let model = makeModel()
    model.setTraining(true)
    let batch = Array(task.retainIndices.prefix(batchSize)), labels = batch.map { task.labels[$0] }
    let optimizer = Adam(learningRate: 1e-3)
    var seconds = 0.0
    for step in 0 ..< 3 {
        let start = DispatchTime.now().uptimeNanoseconds
        let x = task.features.batch(batch, normalizedWith: task.statistics)
        let (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: labels) }
        optimizer.update(model, along: gradients)
        if step > 0 { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    }
    return UnlearningRun.TrainingRate(examples: 2 * batch.count, seconds: seconds)
}

/// Epoch after epoch, one pass of `optimizer` over that epoch's batches of `schedule` (indices into the
/// task's examples), minimising `loss(logits, inputs, batchIndices)`. Each batch's inputs are the task's
/// normalised features, or `inputs(batchIndices)` when given.
///
/// Given `learningRates`, update `n` (0-based over all epochs) runs at `learningRates.learningRate(at: n)`.
///
/// Records the mean loss of each epoch (weighted by batch size), the steps and the examples seen in
/// `run`, and reports every step and epoch to `observer`. Stops with
/// ``TrainingError/nonFiniteLoss(phase:epoch:step:)`` at a NaN or infinite loss, before that step's update.
func trainEpochs(_ model: any Classifier, task: UnlearningTask, phase: String, schedule: [[[Int]]],
                 optimizer: any Optimizer, learningRates: LearningRateSchedule? = nil, run: inout UnlearningRun,
                 observer: TrainingObserver, inputs: ((_ batch: [Int]) -> Tensor)? = nil,
                 embeddingLoss: ((_ embedding: Tensor, _ batch: [Int]) -> Tensor?)? = nil,
                 loss: (_ logits: Tensor, _ inputs: Tensor, _ batch: [Int]) -> Tensor) throws {
    var clock = ProgressClock(totalSteps: schedule.reduce(0) { $0 + $1.count })
    var stepsBefore = 0
    for (index, batches) in schedule.enumerated() {
        let first = stepsBefore
        let prepare = learningRates.map { rates in
            { (step: Int, _: inout Tensor) in optimizer.learningRate = rates.learningRate(at: first + step) }
        }
        let summary = try task.trainingPass(of: model, phase: phase, epoch: index + 1, epochs: schedule.count,
                                            batches: batches, optimizer: optimizer, clock: &clock, observer: observer,
                                            run: &run, inputs: inputs, prepare: prepare, embeddingLoss: embeddingLoss,
                                            loss: loss)
        stepsBefore += batches.count
        run.epochLosses.append(summary.loss)
        observer.epoch(summary)
    }
}

extension UnlearningTask {
    /// ``Training/trainingPass(of:on:labels:normalizedWith:batches:optimizer:epoch:epochs:phase:clock:observer:loss:)``
    /// over this task's examples (normalised with its statistics, or `inputs(batchIndices)` when given),
    /// counting the steps, the examples and their time (``UnlearningRun/trainingRate``) in `run`.
    func trainingPass(of model: any Classifier, phase: String, epoch: Int, epochs: Int, batches: [[Int]],
                      optimizer: any Optimizer, clock: inout ProgressClock, observer: TrainingObserver,
                      run: inout UnlearningRun, inputs: ((_ batch: [Int]) -> Tensor)? = nil,
                      prepare: ((_ step: Int, _ input: inout Tensor) -> Void)? = nil,
                      embeddingLoss: ((_ embedding: Tensor, _ batch: [Int]) -> Tensor?)? = nil,
                      loss: (_ logits: Tensor, _ inputs: Tensor, _ batch: [Int]) -> Tensor) throws -> EpochSummary {
        let summary = try Training.trainingPass(of: model, inputs: inputs ?? { features.batch($0, normalizedWith: statistics) },
                                                labels: labels,
                                                batches: batches, optimizer: optimizer, epoch: epoch, epochs: epochs,
                                                phase: phase, clock: &clock, observer: observer, prepare: prepare,
                                                embeddingLoss: embeddingLoss, loss: loss)
        let examples = batches.reduce(0) { $0 + $1.count }
        run.steps += batches.count
        run.examplesSeen += examples
        let rate = run.trainingRate ?? UnlearningRun.TrainingRate(examples: 0, seconds: 0)
        run.trainingRate = UnlearningRun.TrainingRate(examples: rate.examples + examples, seconds: rate.seconds + summary.seconds)
        return summary
    }
}
