import Foundation
import GRDB

extension SQLiteServiceDatabase {
    /// Registers `name` with its first version, the checkpoint stored as `sha256`.
    ///
    /// - Throws: ``ServiceError/conflict(_:)`` when the name is taken.
    public func registerModel(name: String, sha256: String, classNames: [String], forgottenClasses: [String],
                              dataPath: String?) async throws
        -> RegisteredModel {
        try await pool.write { db in
            guard try RegisteredModel.fetchOne(db, key: name) == nil else {
                throw ServiceError.conflict("a model named \(name) is already registered")
            }
            let now = Date()
            let model = RegisteredModel(name: name, classNames: classNames, dataPath: dataPath, activeVersion: 1, createdAt: now)
            try model.insert(db)
            try ModelVersion(model: name, version: 1, sha256: sha256, forgottenClasses: forgottenClasses, request: nil,
                             createdAt: now).insert(db)
            return model
        }
    }

    public func models() async throws -> [RegisteredModel] {
        try await pool.read { db in try RegisteredModel.order(Column("name")).fetchAll(db) }
    }

    /// - Throws: ``ServiceError/notFound(_:)``.
    public func model(named name: String) async throws -> RegisteredModel {
        guard let model = try await pool.read({ db in try RegisteredModel.fetchOne(db, key: name) }) else {
            throw ServiceError.notFound("model \(name)")
        }
        return model
    }

    /// The versions of `model`, oldest first.
    public func versions(of model: String) async throws -> [ModelVersion] {
        try await pool.read { db in
            try ModelVersion.filter(Column("model") == model).order(Column("version")).fetchAll(db)
        }
    }

    /// - Throws: ``ServiceError/notFound(_:)``.
    public func version(_ version: Int, of model: String) async throws -> ModelVersion {
        guard let found = try await pool.read({ db in try ModelVersion.fetchOne(db, key: ["model": model, "version": version]) }) else {
            throw ServiceError.notFound("version \(version) of model \(model)")
        }
        return found
    }

    /// The version `model` answers with now.
    ///
    /// - Throws: ``ServiceError/notFound(_:)``.
    public func activeVersion(of model: String) async throws -> ModelVersion {
        try await pool.read { db in try Self.activeVersion(of: model, in: db) }
    }

    static func activeVersion(of model: String, in db: Database) throws -> ModelVersion {
        guard let registered = try RegisteredModel.fetchOne(db, key: model),
              let version = try ModelVersion.fetchOne(db, key: ["model": model, "version": registered.activeVersion]) else {
            throw ServiceError.notFound("model \(model)")
        }
        return version
    }
}
