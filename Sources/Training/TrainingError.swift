import Foundation

/// A training run that cannot go on, with a message that names where it stopped and the fix.
public enum TrainingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The loss of step `step` (1-based, within epoch `epoch`) was NaN or infinite.
    case nonFiniteLoss(epoch: Int, step: Int)
    /// Example `example` (recording `recordingID`) holds a NaN or infinite feature value; found before
    /// training starts, since such a value would poison the normalisation statistics of every batch.
    case nonFiniteFeatures(example: Int, recordingID: String)
    /// The checkpoint at `file` has no usable `epoch` entry in its metadata.
    case checkpointWithoutEpoch(file: String)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, step):
            "the loss became NaN or infinite at epoch \(epoch), step \(step); check the features for NaN or "
                + "infinite values, or try a lower learning rate (--learning-rate)"
        case let .nonFiniteFeatures(example, recordingID):
            "example \(example) (recording \(recordingID)) has a NaN or infinite feature value; "
                + "remove or re-extract that recording before training"
        case let .checkpointWithoutEpoch(file):
            "the checkpoint \(file) has no valid 'epoch' metadata entry, so training cannot resume from it; "
                + "pass a checkpoint written by the trainer, or start without --resume"
        }
    }

    public var errorDescription: String? { description }
}
