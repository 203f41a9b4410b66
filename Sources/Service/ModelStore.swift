import Experiments
import Foundation
import NeuralNetworks

/// Checkpoints by content: each file is `<sha256>.safetensors` in one folder, written once, whole
/// (``AtomicFile/createExclusively(_:with:permissions:)``), never rewritten. A name is its hash, so two
/// versions with the same weights share a file and an edited file no longer matches its name.
///
/// The audit's oracles and measurement caches live beside the checkpoint they belong to
/// (`<sha256>.oracles/`, `<sha256>.audit.json`), as they do beside any checkpoint.
public struct ModelStore: Sendable {
    public let folder: URL

    /// Opens the store in `folder`, removing temporary files that a killed process left more than an
    /// hour ago. A file is in the store only once it has its final name, so a temporary one is never
    /// read; younger ones may belong to another process writing into the same folder right now.
    public init(folder: URL) throws {
        self.folder = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let hourAgo = Date().addingTimeInterval(-3600)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasPrefix(".") {
            let file = folder.appendingPathComponent(name)
            if let modified = try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date,
               modified < hourAgo {
                try? FileManager.default.removeItem(at: file)
            }
        }
    }

    public func url(for sha256: String) -> URL { folder.appendingPathComponent(sha256 + ".safetensors") }

    /// Stores `data` under its hash and returns the hash.
    public func store(_ data: Data) throws -> String {
        let sha256 = sha256Hex(data)
        try AtomicFile.createExclusively(url(for: sha256), with: data)
        return sha256
    }

    /// Stores the checkpoint at `file` (read whole) and returns its hash.
    public func store(contentsOf file: URL) throws -> String {
        try store(try Data(contentsOf: file))
    }

    /// Stores `model` and returns its hash; `model.file` becomes the stored file.
    public func store(_ model: inout TrainedModel) throws -> String {
        let temporary = folder.appendingPathComponent(".unhashed-" + UUID().uuidString + ".safetensors")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try model.save(to: temporary)
        let sha256 = try store(contentsOf: temporary)
        model.file = url(for: sha256)
        return sha256
    }

    /// The checkpoint stored as `sha256`, checked against its name.
    ///
    /// - Throws: ``ServiceError/badDataFolder(_:problem:)`` when the file's bytes no longer hash to its
    ///   name; the checkpoint's own errors.
    public func model(_ sha256: String) throws -> TrainedModel {
        let file = url(for: sha256)
        let data = try Data(contentsOf: file)
        guard sha256Hex(data) == sha256 else {
            throw ServiceError.badDataFolder(folder.path, problem: "\(file.lastPathComponent) does not hash to its name (changed on disk)")
        }
        return try TrainedModel(contentsOf: file)
    }
}
