import Foundation
import Tensors

extension Module {
    /// Every parameter and buffer under its PyTorch path, in ``namedParameters()`` order (PyTorch
    /// `state_dict()`), with `metadata` for the file's `__metadata__`.
    ///
    /// The tensors are shared with the model, not copied (tensors are values); saving later edits
    /// needs a new call.
    public func state(metadata: [String: String] = [:]) -> SafeTensors {
        SafeTensors(namedParameters().map { ($0.name, $0.parameter.value) }, metadata: metadata)
    }

    /// Sets every parameter and buffer from `checkpoint` (PyTorch `load_state_dict(strict=True)`).
    ///
    /// All or nothing: every name and shape is compared first, and any difference — a parameter the
    /// checkpoint lacks, a tensor the model has no place for, a shape that differs — throws one error
    /// that lists them all, with the model unchanged. The model's own shapes win: nothing is reshaped
    /// or transposed, so `[1]` does not load into a scalar `[]`.
    ///
    /// ```swift
    /// let model = SmallCNN(classCount: 10, using: &generator)
    /// try model.loadState(from: SafeTensors(contentsOf: url))
    /// ```
    ///
    /// - Throws: ``CheckpointError`` `.stateMismatch(missing:unexpected:misshaped:)`, with `file` `nil`
    ///   (``load(from:)`` names the file).
    public func loadState(from checkpoint: SafeTensors) throws {
        let parameters = namedParameters()
        let modelNames = Set(parameters.map(\.name))
        var fileTensors: [String: Tensor] = [:]
        for (name, tensor) in checkpoint.tensors { fileTensors[name] = tensor }

        var missing: [String] = [], misshaped: [CheckpointError.ShapeMismatch] = []
        for (name, parameter) in parameters {
            guard let tensor = fileTensors[name] else { missing.append(name); continue }
            if tensor.shape != parameter.shape {
                misshaped.append(.init(name: name, modelShape: parameter.shape, fileShape: tensor.shape))
            }
        }
        let unexpected = checkpoint.names.filter { !modelNames.contains($0) }
        guard missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty else {
            throw CheckpointError(file: nil, problem: .stateMismatch(missing: missing, unexpected: unexpected,
                                                                     misshaped: misshaped))
        }
        for (name, parameter) in parameters {
            parameter.value = fileTensors[name]!            // present and of the right shape: checked above
        }
    }

    /// Writes ``state(metadata:)`` to `url` atomically (``SafeTensors/write(to:)``).
    ///
    /// - Throws: ``CheckpointError`` `.writeFailed` naming the file; a previous file there is unchanged.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try state(metadata: metadata).write(to: url)
    }

    /// Writes ``state(metadata:)`` with `metadata` stored as ``CheckpointMetadata/entries``.
    public func save(to url: URL, metadata: CheckpointMetadata) throws {
        try save(to: url, metadata: metadata.entries)
    }

    /// Reads the safetensors file at `url` and loads it with ``loadState(from:)``; returns the file's
    /// metadata (decode it with ``CheckpointMetadata/init(_:file:)``).
    ///
    /// ```swift
    /// let metadata = try CheckpointMetadata(model.load(from: url))
    /// ```
    ///
    /// - Throws: ``CheckpointError`` naming the file: a defect of the file, or `.stateMismatch`.
    @discardableResult
    public func load(from url: URL) throws -> [String: String] {
        let checkpoint = try SafeTensors(contentsOf: url)
        do {
            try loadState(from: checkpoint)
        } catch var error as CheckpointError {
            error.file = url.path
            throw error
        }
        return checkpoint.metadata
    }
}
