import Foundation
import GRDB

/// The service's state in one SQLite file (`service.sqlite` in the data folder), through GRDB: models
/// and their versions, erasure requests, access tokens and the ledger (``ServiceDatabase``). SQLite runs
/// one write transaction at a time, which gives the claims, completions and ledger appends their order.
///
/// Write-ahead logging lets the HTTP handlers read while a worker writes; `synchronous = FULL` makes a
/// committed transaction survive a power cut, not only a crash. Every change that must happen together
/// (a new version, its ledger entry and the request's completion) is one transaction, so a `kill -9`
/// at any moment leaves either all of it or none.
public final class SQLiteServiceDatabase: ServiceDatabase {
    let pool: DatabasePool
    public let file: URL

    /// Opens (creating and migrating when needed) the database in `folder`.
    ///
    /// - Throws: ``ServiceError/badDataFolder(_:problem:)`` when the file cannot be opened as one.
    public init(folder: URL) throws {
        file = folder.appendingPathComponent("service.sqlite")
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: file.path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw ServiceError.badDataFolder(folder.path, problem: "cannot open \(file.lastPathComponent): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: RegisteredModel.databaseTableName) { table in
                table.primaryKey("name", .text)
                table.column("classNames", .jsonText).notNull()
                table.column("dataPath", .text)
                table.column("activeVersion", .integer).notNull()
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: ModelVersion.databaseTableName) { table in
                table.column("model", .text).notNull().references(RegisteredModel.databaseTableName)
                table.column("version", .integer).notNull()
                table.column("sha256", .text).notNull()
                table.column("forgottenClasses", .jsonText).notNull()
                table.column("request", .text)
                table.column("createdAt", .datetime).notNull()
                table.primaryKey(["model", "version"])
            }
            try db.create(table: AccessToken.databaseTableName) { table in
                table.primaryKey("id", .text)
                table.column("sha256", .text).notNull().unique()
                table.column("role", .text).notNull()
                table.column("name", .text).notNull()
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: ErasureRequest.databaseTableName) { table in
                table.primaryKey("id", .text)
                table.column("model", .text).notNull().references(RegisteredModel.databaseTableName)
                table.column("subjects", .jsonText).notNull()
                table.column("subjectSalts", .jsonText).notNull()
                table.column("reference", .text).notNull()
                table.column("method", .text).notNull()
                table.column("preset", .text)
                table.column("configuration", .text).notNull()
                table.column("seed", .integer).notNull()
                table.column("state", .text).notNull().indexed()
                table.column("phase", .text)
                table.column("progress", .double)
                table.column("submittedAt", .datetime).notNull()
                table.column("deadline", .datetime).notNull()
                table.column("startedAt", .datetime)
                table.column("finishedAt", .datetime)
                table.column("attempts", .integer).notNull()
                table.column("error", .text)
                table.column("owner", .text).notNull()
                table.column("idempotencyKey", .text)
                table.column("baseVersion", .integer)
                table.column("resultVersion", .integer)
                table.column("ledgerSequence", .integer)
                table.column("outcome", .jsonText)
                table.uniqueKey(["owner", "idempotencyKey"])
            }
            try db.create(table: "ledger") { table in
                table.primaryKey("sequence", .integer)
                table.column("text", .text).notNull()
                table.column("hash", .text).notNull()
                table.column("signature", .text).notNull()
            }
            for change in ["UPDATE", "DELETE"] {
                try db.execute(sql: """
                    CREATE TRIGGER ledgerIsAppendOnly\(change.capitalized) BEFORE \(change) ON ledger
                    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END
                    """)
            }
        }
        migrator.registerMigration("v2: leases") { db in
            try db.alter(table: ErasureRequest.databaseTableName) { table in
                table.add(column: "leaseOwner", .text)
                table.add(column: "leaseExpiresAt", .datetime)
            }
        }
        return migrator
    }
}

// MARK: - Tokens

extension SQLiteServiceDatabase {
    public func createToken(role: AccessToken.Role, name: String) async throws -> String {
        let (token, record) = AccessToken.generate(role: role, name: name)
        try await pool.write { db in try record.insert(db) }
        return token
    }

    public func token(matching token: String) async throws -> AccessToken? {
        let hash = sha256Hex(token)
        return try await pool.read { db in try AccessToken.filter(Column("sha256") == hash).fetchOne(db) }
    }

    public func tokens() async throws -> [AccessToken] {
        try await pool.read { db in try AccessToken.order(Column("createdAt")).fetchAll(db) }
    }
}
