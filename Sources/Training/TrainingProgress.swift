import Foundation

/// Where a training run stands after one optimizer step: what `Trainer.stepProgress` receives.
///
/// Loss and accuracy are running means over the epoch's steps so far (weighted by batch size), the same
/// means that become ``EpochSummary/loss`` and ``EpochSummary/trainingAccuracy`` after its last step.
/// The time left is an estimate: the mean time per step since `train()` was called (validation passes
/// of finished epochs included) times the steps left until `epochs`, as if no early stopping came.
///
/// ```swift
/// trainer.stepProgress = { progress in
///     if progress.step == progress.stepsPerEpoch { print(progress.epoch, progress.loss) }
/// }
/// ```
public struct TrainingProgress: Equatable, Sendable {
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

    public init(epoch: Int, epochs: Int, step: Int, stepsPerEpoch: Int, loss: Double, accuracy: Double,
                samplesPerSecond: Double, secondsRemaining: Double) {
        self.epoch = epoch
        self.epochs = epochs
        self.step = step
        self.stepsPerEpoch = stepsPerEpoch
        self.loss = loss
        self.accuracy = accuracy
        self.samplesPerSecond = samplesPerSecond
        self.secondsRemaining = secondsRemaining
    }

    /// The share of the epoch done, in `0…1`.
    public var epochFraction: Double { stepsPerEpoch > 0 ? Double(step) / Double(stepsPerEpoch) : 1 }
}

/// The timing behind ``TrainingProgress``: when `train()` started, when the epoch started, and the steps
/// done since `train()` started.
struct ProgressClock {
    let stepsPerEpoch: Int
    let epochs: Int
    private let runStart = DispatchTime.now().uptimeNanoseconds
    private var epochStart = DispatchTime.now().uptimeNanoseconds
    private var stepsThisRun = 0

    init(stepsPerEpoch: Int, epochs: Int) {
        (self.stepsPerEpoch, self.epochs) = (stepsPerEpoch, epochs)
    }

    mutating func startEpoch() { epochStart = DispatchTime.now().uptimeNanoseconds }

    /// Seconds since ``startEpoch()``.
    func epochSeconds() -> Double { Self.seconds(since: epochStart) }

    /// Counts one step and describes the run after it.
    mutating func progress(epoch: Int, step: Int, samples: Int, loss: Double, accuracy: Double) -> TrainingProgress {
        stepsThisRun += 1
        let stepsLeft = (epochs - epoch) * stepsPerEpoch + (stepsPerEpoch - step)
        let epochSeconds = epochSeconds()
        return TrainingProgress(
            epoch: epoch, epochs: epochs, step: step, stepsPerEpoch: stepsPerEpoch, loss: loss, accuracy: accuracy,
            samplesPerSecond: epochSeconds > 0 ? Double(samples) / epochSeconds : 0,
            secondsRemaining: Self.seconds(since: runStart) / Double(stepsThisRun) * Double(stepsLeft))
    }

    private static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
