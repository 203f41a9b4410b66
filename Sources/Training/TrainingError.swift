import Foundation

/// A training run that cannot go on, with a message that names where it stopped and the fix.
public enum TrainingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The loss of step `step` (1-based, within epoch `epoch`) of `phase` (`nil`: a model's training;
    /// else an unlearning method's pass) was NaN or infinite; the model holds the parameters from before
    /// that step.
    case nonFiniteLoss(phase: String?, epoch: Int, step: Int)
    /// Example `example` (recording `recordingID`) holds a NaN or infinite feature value; found before
    /// training starts, since such a value would poison the normalisation statistics of every batch.
    case nonFiniteFeatures(example: Int, recordingID: String)
    /// The checkpoint at `file` has no usable `epoch` entry in its metadata.
    case checkpointWithoutEpoch(file: String)
    /// The checkpoint at `checkpoint` has no training state file beside it (`trainingState`, see
    /// `Trainer.trainingStateURL(forCheckpoint:)`): written by an older version, or copied alone.
    /// Without Adam's moments and the best epoch so far the run cannot continue exactly, only restart.
    case missingTrainingState(checkpoint: String, trainingState: String)
    /// The checkpoint and its training state hold different epochs: the run stopped between writing the
    /// state (written first) and the checkpoint, or one file was replaced. Only a restart is exact.
    case trainingStateEpochMismatch(checkpoint: String, checkpointEpoch: Int, trainingState: String,
                                    trainingStateEpoch: Int)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(phase, epoch, step):
            "the \(phase.map { "\($0) " } ?? "")loss became NaN or infinite at epoch \(epoch), step \(step); check the "
                + "features for NaN or infinite values, or try a lower learning rate (--learning-rate) or, for "
                + "QPAudioEraser, a smaller --lambda"
        case let .nonFiniteFeatures(example, recordingID):
            "example \(example) (recording \(recordingID)) has a NaN or infinite feature value; "
                + "remove or re-extract that recording before training"
        case let .checkpointWithoutEpoch(file):
            "the checkpoint \(file) has no valid 'epoch' metadata entry, so training cannot resume from it; "
                + "pass a checkpoint written by the trainer, or start without --resume"
        case let .missingTrainingState(checkpoint, trainingState):
            "the checkpoint \(checkpoint) has no training state beside it (\(trainingState) is missing), so "
                + "Adam's moments and the best epoch so far are lost and the run cannot continue exactly; "
                + "restart it from epoch 1 without --resume"
        case let .trainingStateEpochMismatch(checkpoint, checkpointEpoch, trainingState, trainingStateEpoch):
            "the checkpoint \(checkpoint) is from epoch \(checkpointEpoch) but its training state \(trainingState) "
                + "is from epoch \(trainingStateEpoch) (the run stopped between writing them, or a file was "
                + "replaced), so the run cannot continue exactly; restart it from epoch 1 without --resume"
        }
    }

    public var errorDescription: String? { description }
}
