import Datasets
import Foundation

/// A request that cannot be carried out as given, told so that a person can fix it: every message names
/// the file, flag or class at fault and what to do instead.
public enum ExperimentError: Error, Equatable, Sendable {
    /// Every class was named for forgetting; nothing would be left to recognise.
    case forgetsEveryClass(classCount: Int)
    /// The checkpoint's class list differs from the classes of the data it is used with.
    case classMismatch(checkpoint: String, checkpointClasses: [String], dataClasses: [String])
    /// The checkpoint was made with other log-mel settings than the data's features.
    case featureSettingsMismatch(checkpoint: String, differences: [String])
    /// The checkpoint lacks an entry the command needs (architecture, normalisation statistics, …).
    case incompleteCheckpoint(checkpoint: String, missing: String)
    /// The checkpoint names an architecture this version does not know.
    case unknownArchitecture(checkpoint: String, name: String)
    /// A file the command would write already exists and the command was not told to replace it.
    case outputExists(String)
    /// The model's outputs hold NaN or ±∞ (its weights are damaged), so no metric can be computed.
    case nonFiniteOutputs(exampleCount: Int, of: Int)
    /// An option has a value outside its range.
    case invalidOption(flag: String, reason: String)
    /// A scenario (`file`, when it came from one) cannot be run as written: `reason` names the field.
    case invalidScenario(file: String?, reason: String)
}

extension ExperimentError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case let .forgetsEveryClass(count):
            return "all \(count) classes were named for forgetting: nothing would be left to recognise. "
                + "Forget fewer classes, or delete the model instead."
        case let .classMismatch(checkpoint, checkpointClasses, dataClasses):
            return "\(checkpoint) was trained on the classes \(DatasetError.list(checkpointClasses)) but the data has "
                + "\(DatasetError.list(dataClasses)): use the dataset (and --classes kind) the model was trained on, "
                + "or train a new model on this data with `qpae train`."
        case let .featureSettingsMismatch(checkpoint, differences):
            return "\(checkpoint) expects other log-mel features (\(differences.joined(separator: "; "))): "
                + "use the feature settings it was trained with, or retrain."
        case let .incompleteCheckpoint(checkpoint, missing):
            return "\(checkpoint) has no \(missing) in its metadata: pass a checkpoint written by `qpae train` "
                + "or `qpae forget`."
        case let .unknownArchitecture(checkpoint, name):
            return "\(checkpoint) holds a '\(name)' model, which this version does not know (it knows "
                + "cnn, resnet18, vit-tiny)."
        case let .outputExists(path):
            return "\(path) already exists: choose another --out, or pass --overwrite to replace it."
        case let .nonFiniteOutputs(count, total):
            return "the model gives NaN or infinite logits for \(count) of \(total) examples: its weights are "
                + "damaged (e.g. by a diverged training run); retrain it or use an earlier checkpoint."
        case let .invalidOption(flag, reason):
            return "\(flag): \(reason)"
        case let .invalidScenario(file, reason):
            return "scenario\(file.map { " " + $0 } ?? ""): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
