import Foundation

/// Where a run stands after one step of ``trainingPass(of:on:labels:normalizedWith:batches:optimizer:epoch:epochs:phase:clock:observer:loss:)``
/// (training, an unlearning method's fine-tune, a pass of gradients): what ``TrainingObserver/step`` receives.
///
/// Loss and accuracy are running means over the epoch's steps so far (weighted by batch size), the same
/// means that become ``EpochSummary/loss`` and ``EpochSummary/trainingAccuracy`` after its last step.
/// The time left is an estimate from the ``ProgressClock``: the mean time per step since the run
/// started (validation passes of finished epochs included) times the steps left, as if no early
/// stopping came.
///
/// ```swift
/// trainer.observer.step = { progress in
///     if progress.step == progress.stepsPerEpoch { print(progress.epoch, progress.loss) }
/// }
/// ```
public struct TrainingProgress: Equatable, Sendable {
    /// What is running when it is not plain training (`uncertainty fine-tune`, `SCRUB max-steps`); `nil`
    /// for a model's training.
    public var phase: String?
    /// The running epoch, 1-based.
    public var epoch: Int
    /// The last epoch of the run (`TrainingConfiguration.epochs`).
    public var epochs: Int
    /// Steps done in this epoch, 1-based: `step == stepsPerEpoch` after the epoch's last batch.
    public var step: Int
    public var stepsPerEpoch: Int
    /// Mean cross-entropy over the epoch's batches so far.
    public var loss: Double
    /// Accuracy in percent over the epoch's batches so far (training mode, as seen by the optimizer).
    public var accuracy: Double
    /// Training examples per second in this epoch so far.
    public var samplesPerSecond: Double
    /// Estimated seconds until the last epoch ends (see the type's documentation).
    public var secondsRemaining: Double

    public init(phase: String? = nil, epoch: Int, epochs: Int, step: Int, stepsPerEpoch: Int, loss: Double,
                accuracy: Double, samplesPerSecond: Double, secondsRemaining: Double) {
        self.phase = phase
        self.epoch = epoch
        self.epochs = epochs
        self.step = step
        self.stepsPerEpoch = stepsPerEpoch
        self.loss = loss
        self.accuracy = accuracy
        self.samplesPerSecond = samplesPerSecond
        self.secondsRemaining = secondsRemaining
    }
}

/// The time-left estimate of a run of several passes: the mean time per step since the clock was made,
/// times the steps still to come.
///
/// Made once per run with the number of steps the run will take at most (all epochs, all passes), and
/// handed from pass to pass, so that the time of anything between passes (validation) counts too.
public struct ProgressClock: Sendable {
    private let start = DispatchTime.now().uptimeNanoseconds
    private let totalSteps: Int
    private var stepsDone = 0

    public init(totalSteps: Int) {
        self.totalSteps = totalSteps
    }

    /// Counts one step; returns the estimated seconds until the last one.
    mutating func countStep() -> Double {
        stepsDone += 1
        return Self.seconds(since: start) / Double(stepsDone) * Double(max(totalSteps - stepsDone, 0))
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
