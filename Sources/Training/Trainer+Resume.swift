import Foundation
import NeuralNetworks
import Tensors

extension Trainer {
    /// The keys of the training state file, written beside each checkpoint (``trainingStateURL``) so
    /// that `resume(from:)` continues exactly.
    ///
    /// A safetensors file (Float32 tensors, string metadata), readable from Python with
    /// `safetensors.safe_open(path, "np")`:
    ///
    /// | where    | key                               | value                                              |
    /// |----------|-----------------------------------|----------------------------------------------------|
    /// | metadata | `epoch`                           | the epoch it was written after; equals the checkpoint's |
    /// | metadata | `best_epoch`                      | the best epoch so far, `1…epoch`                   |
    /// | metadata | `best_validation_accuracy`        | its accuracy in percent (Swift's round-trip decimal); absent without a validation split |
    /// | metadata | `epochs_without_improvement`      | the early-stopping counter                         |
    /// | metadata | `seed`                            | the run's seed, for the record                     |
    /// | metadata | `optimizer.<parameter>.step`      | Adam's update count `t` of each parameter          |
    /// | tensor   | `optimizer.<parameter>.exp_avg`   | Adam's `m` (PyTorch's name)                        |
    /// | tensor   | `optimizer.<parameter>.exp_avg_sq`| Adam's `v`                                         |
    /// | tensor   | `best.<parameter>`                | every parameter and buffer of the best epoch; only when `best_epoch < epoch` (otherwise they are the checkpoint's) |
    ///
    /// `<parameter>` is a PyTorch path such as `features.0.weight` (``Module/namedParameters()``); the
    /// optimizer entries are those of ``Adam/state(for:)`` under the prefix `optimizer.`.
    public enum TrainingStateKey {
        public static let epoch = "epoch"
        public static let bestEpoch = "best_epoch"
        public static let bestValidationAccuracy = "best_validation_accuracy"
        public static let epochsWithoutImprovement = "epochs_without_improvement"
        public static let seed = "seed"
        /// The prefix of Adam's tensors and metadata entries.
        public static let optimizerPrefix = "optimizer."
        /// The prefix of the best epoch's parameters.
        public static let bestPrefix = "best."
    }

    /// The training state file that belongs to the checkpoint at `checkpoint`: in the same folder, the
    /// name with `.safetensors` replaced by `.training-state.safetensors` (`runs/model.safetensors` →
    /// `runs/model.training-state.safetensors`); a name without that extension gets it appended.
    public static func trainingStateURL(forCheckpoint checkpoint: URL) -> URL {
        let name = checkpoint.lastPathComponent
        let stem = name.hasSuffix(".safetensors") ? String(name.dropLast(".safetensors".count)) : name
        return checkpoint.deletingLastPathComponent().appendingPathComponent(stem + ".training-state.safetensors")
    }

    /// Restores a run from a checkpoint written by `train()` and the training state beside it
    /// (``trainingStateURL(forCheckpoint:)``): the parameters and buffers, Adam's moments and step counts,
    /// the best epoch so far and the early-stopping counter. The next `train()` continues at the
    /// following epoch and ends exactly as the uninterrupted run would have (see the type's documentation).
    ///
    /// All or nothing: when any check fails, the model, the optimizer and `completedEpochs` are unchanged.
    ///
    /// ```swift
    /// let trainer = Trainer(model: model, features: features, labels: labels,
    ///                       configuration: configuration, checkpointURL: url)
    /// try trainer.resume(from: url)
    /// let result = try trainer.train()
    /// ```
    ///
    /// - Throws: `CheckpointError` naming the file when the checkpoint or the training state cannot be
    ///   read or does not fit the model; `TrainingError.checkpointWithoutEpoch` when the checkpoint has no
    ///   epoch; `TrainingError.missingTrainingState` when no training state lies beside it (a checkpoint
    ///   of an older version, or a copied file): such a run can only restart;
    ///   `TrainingError.trainingStateEpochMismatch` when the two files hold different epochs (the run
    ///   stopped between writing them).
    public func resume(from url: URL) throws {
        let checkpoint = try SafeTensors(contentsOf: url)
        guard let text = checkpoint.metadata[MetadataKey.epoch], let epoch = Int(text), epoch >= 0 else {
            throw TrainingError.checkpointWithoutEpoch(file: url.path)
        }
        let stateURL = Self.trainingStateURL(forCheckpoint: url)
        guard FileManager.default.fileExists(atPath: stateURL.path) else {
            throw TrainingError.missingTrainingState(checkpoint: url.path, trainingState: stateURL.path)
        }
        let file = try SafeTensors(contentsOf: stateURL)
        let stateEpoch = try SavedTrainingState.epoch(of: file, path: stateURL.path)
        guard stateEpoch == epoch else {
            throw TrainingError.trainingStateEpochMismatch(checkpoint: url.path, checkpointEpoch: epoch,
                                                           trainingState: stateURL.path, trainingStateEpoch: stateEpoch)
        }
        let shapes = model.namedParameters().map { (name: $0.name, shape: $0.parameter.shape) }
        let state = try SavedTrainingState(file, parameterShapes: shapes, path: stateURL.path)
        let previous = model.namedParameters().map(\.parameter.value)
        try Self.namingFile(url.path) { try model.loadState(from: checkpoint) }
        do {
            try optimizer.loadState(state.optimizer, for: model)
        } catch {
            for ((_, parameter), value) in zip(model.namedParameters(), previous) { parameter.value = value }
            guard let error = error as? CheckpointError else { throw error }
            throw CheckpointError(file: stateURL.path, problem: Self.prefixingNames(of: error.problem))
        }
        best = (state.bestEpoch, state.bestAccuracy, state.bestValues ?? model.namedParameters().map(\.parameter.value))
        epochsWithoutImprovement = state.epochsWithoutImprovement
        completedEpochs = epoch
    }

    /// Writes the training state after `epoch` to `url` atomically.
    func saveTrainingState(to url: URL, epoch: Int) throws {
        guard let best else { fatalError("Trainer: no best epoch after epoch \(epoch)") }
        let optimizerState = optimizer.state(for: model)
        var tensors = optimizerState.tensors.map { (TrainingStateKey.optimizerPrefix + $0.name, $0.tensor) }
        if best.epoch < epoch {
            tensors += zip(model.namedParameters(), best.values).map { (TrainingStateKey.bestPrefix + $0.name, $1) }
        }
        var metadata = [TrainingStateKey.epoch: String(epoch), TrainingStateKey.bestEpoch: String(best.epoch),
                        TrainingStateKey.epochsWithoutImprovement: String(epochsWithoutImprovement),
                        TrainingStateKey.seed: String(configuration.seed)]
        if let accuracy = best.accuracy { metadata[TrainingStateKey.bestValidationAccuracy] = String(accuracy) }
        for (key, value) in optimizerState.metadata { metadata[TrainingStateKey.optimizerPrefix + key] = value }
        try SafeTensors(tensors, metadata: metadata).write(to: url)
    }

    /// `problem` of ``Adam/loadState(_:for:)`` with the names as the training state file spells them.
    private static func prefixingNames(of problem: CheckpointError.Problem) -> CheckpointError.Problem {
        let prefix = TrainingStateKey.optimizerPrefix
        switch problem {
        case let .stateMismatch(missing, unexpected, misshaped):
            return .stateMismatch(missing: missing.map { prefix + $0 }, unexpected: unexpected.map { prefix + $0 },
                                  misshaped: misshaped.map {
                                      .init(name: prefix + $0.name, modelShape: $0.modelShape, fileShape: $0.fileShape)
                                  })
        case let .invalidMetadata(key, reason):
            return .invalidMetadata(key: prefix + key, reason: reason)
        default:
            return problem
        }
    }

    /// Runs `body`, adding `file` to a `CheckpointError` that has none.
    private static func namingFile(_ file: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch var error as CheckpointError where error.file == nil {
            error.file = file
            throw error
        }
    }
}

/// A training state file decoded and checked against the model's parameter names and shapes.
struct SavedTrainingState {
    let epoch: Int
    let bestEpoch: Int
    let bestAccuracy: Double?
    /// The best epoch's values in the model's parameter order; `nil` when the best epoch is `epoch`.
    let bestValues: [Tensor]?
    let epochsWithoutImprovement: Int
    /// Adam's entries with the prefix removed, for ``Adam/loadState(_:for:)``.
    let optimizer: SafeTensors

    /// The epoch a training state file was written after, read before the rest so that a state of
    /// another epoch is reported as such.
    ///
    /// - Throws: `CheckpointError` `.invalidMetadata` naming `path` when `epoch` is absent or not positive.
    static func epoch(of file: SafeTensors, path: String) throws -> Int {
        try integer(Trainer.TrainingStateKey.epoch, of: file, in: 1...Int.max, path: path)
    }

    /// The metadata entry `key` as a decimal integer in `range`.
    private static func integer(_ key: String, of file: SafeTensors, in range: ClosedRange<Int>,
                                path: String) throws -> Int {
        func failure(_ reason: String) -> CheckpointError {
            CheckpointError(file: path, problem: .invalidMetadata(key: key, reason: reason))
        }
        guard let text = file.metadata[key] else { throw failure("is missing") }
        guard let value = Int(text), range.contains(value) else {
            throw failure("is not a decimal integer in \(range.lowerBound)…\(range.upperBound): \(text.prefix(80))")
        }
        return value
    }

    /// - Throws: `CheckpointError` naming `path`: `.invalidMetadata` for an absent or malformed scalar,
    ///   `.stateMismatch` when the best epoch's tensors do not match the model or a tensor has an
    ///   unknown prefix.
    init(_ file: SafeTensors, parameterShapes: [(name: String, shape: [Int])], path: String) throws {
        typealias Key = Trainer.TrainingStateKey
        func failure(_ key: String, _ reason: String) -> CheckpointError {
            CheckpointError(file: path, problem: .invalidMetadata(key: key, reason: reason))
        }
        epoch = try Self.epoch(of: file, path: path)
        bestEpoch = try Self.integer(Key.bestEpoch, of: file, in: 1...epoch, path: path)
        epochsWithoutImprovement = try Self.integer(Key.epochsWithoutImprovement, of: file, in: 0...epoch - bestEpoch,
                                                    path: path)
        if let text = file.metadata[Key.bestValidationAccuracy] {
            guard let value = Double(text), (0...100).contains(value) else {
                throw failure(Key.bestValidationAccuracy, "is not a percentage: \(text.prefix(80))")
            }
            bestAccuracy = value
        } else {
            bestAccuracy = nil
        }

        var optimizerTensors: [(name: String, tensor: Tensor)] = [], bestTensors: [String: Tensor] = [:]
        var unexpected: [String] = []
        for (name, tensor) in file.tensors {
            if name.hasPrefix(Key.optimizerPrefix) {
                optimizerTensors.append((String(name.dropFirst(Key.optimizerPrefix.count)), tensor))
            } else if name.hasPrefix(Key.bestPrefix), bestEpoch < epoch {
                bestTensors[String(name.dropFirst(Key.bestPrefix.count))] = tensor
            } else {
                unexpected.append(name)
            }
        }
        var missing: [String] = [], misshaped: [CheckpointError.ShapeMismatch] = []
        if bestEpoch < epoch {
            var values: [Tensor] = []
            for (name, shape) in parameterShapes {
                guard let tensor = bestTensors.removeValue(forKey: name) else {
                    missing.append(Key.bestPrefix + name)
                    continue
                }
                if tensor.shape != shape {
                    misshaped.append(.init(name: Key.bestPrefix + name, modelShape: shape, fileShape: tensor.shape))
                }
                values.append(tensor)
            }
            unexpected += bestTensors.keys.sorted().map { Key.bestPrefix + $0 }
            bestValues = values
        } else {
            bestValues = nil
        }
        guard missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty else {
            throw CheckpointError(file: path, problem: .stateMismatch(missing: missing, unexpected: unexpected,
                                                                      misshaped: misshaped))
        }
        var optimizerMetadata: [String: String] = [:]
        for (key, value) in file.metadata where key.hasPrefix(Key.optimizerPrefix) {
            optimizerMetadata[String(key.dropFirst(Key.optimizerPrefix.count))] = value
        }
        optimizer = SafeTensors(optimizerTensors, metadata: optimizerMetadata)
    }
}
