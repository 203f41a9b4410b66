import Foundation
import Logging
import PostgresNIO

/// The service's state in a PostgreSQL server that several `qpae serve` instances share
/// (``ServiceDatabase``), through postgres-nio.
///
/// - **Queue.** A worker claims the oldest request that may run with `SELECT … FOR UPDATE SKIP LOCKED`,
///   then locks the request's model row and checks again that no other request of the model runs under a
///   live lease: two instances never run one model's requests at once, and never out of order.
///   Lease times are the server's clock (`now()`), so instances on machines whose clocks differ agree.
/// - **Ledger.** The chain's head is one row (`ledgerHead`), read `FOR UPDATE` and updated in the same
///   transaction as the entry, so concurrent appends queue behind each other and the chain stays linear.
/// - Requests are stored as JSON documents beside the columns the queries filter on.
public final class PostgresServiceDatabase: ServiceDatabase {
    let client: PostgresClient
    let logger: Logger = {
        var logger = Logger(label: "qpae.postgres")
        logger.logLevel = .error              // the pool's start-up notices are not the operator's concern
        return logger
    }()
    private let runner: Task<Void, Never>

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`, or
    /// `postgres://user@/database?host=/socket/folder&port=5432` for a Unix socket, as libpq writes it) and creates the tables that
    /// are missing (under an advisory lock, so instances starting together do it once).
    ///
    /// - Throws: ``ServiceError/badDataFolder(_:problem:)`` naming the server when it cannot be reached
    ///   or set up.
    public init(url: URL) async throws {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let user = url.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let database = url.path.isEmpty || url.path == "/" ? user : String(url.path.dropFirst())
        let port = url.port ?? components?.queryItems?.first { $0.name == "port" }?.value.flatMap { Int($0) } ?? 5432
        let configuration: PostgresClient.Configuration
        if let socketFolder = components?.queryItems?.first(where: { $0.name == "host" })?.value, socketFolder.hasPrefix("/") {
            configuration = .init(unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: user, password: url.password,
                                  database: database)
        } else {
            configuration = .init(host: url.host ?? "127.0.0.1", port: port, username: user, password: url.password,
                                  database: database, tls: .disable)
        }
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        runner = Task { [client] in await client.run() }
        do {
            try await migrate()
        } catch {
            runner.cancel()
            throw ServiceError.badDataFolder(Self.redacted(url), problem: "cannot set up the PostgreSQL database: \(String(reflecting: error))")
        }
    }

    deinit { runner.cancel() }

    /// `url` without its password, for messages.
    static func redacted(_ url: URL) -> String {
        guard url.password != nil, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return url.absoluteString
        }
        components.password = "***"
        return components.string ?? url.absoluteString
    }

    /// Creates what ``schema`` describes unless the catalog shows all of it there already. An instance
    /// that starts beside working ones must not run the DDL: `CREATE INDEX IF NOT EXISTS` takes a share
    /// lock on `requests` even when the index exists, and the `ledgerHead` insert waits on the head row
    /// that a completing job holds while it updates `requests`, a deadlock PostgreSQL breaks by failing
    /// the start. The check reads the catalog only, so it waits on nothing a job holds; a dropped object
    /// (the append-only trigger, say) is put back at the next start.
    func migrate() async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(7190001)", logger: logger)
            let complete = "SELECT " + Self.schema.map { "(\($0.exists))" }.joined(separator: " AND ")
            for try await isComplete in try await connection.query(PostgresQuery(unsafeSQL: complete), logger: logger)
                .decode(Bool.self) where isComplete {
                return
            }
            for statement in Self.schema.flatMap(\.statements) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    /// The service's tables, indexes, function and trigger, each with a condition on the catalog that holds
    /// once it exists and the statements that make it (the head row with its table, in one transaction).
    static let schema: [(exists: String, statements: [String])] = [
        ("to_regclass('models') IS NOT NULL", ["""
            CREATE TABLE IF NOT EXISTS models (name TEXT PRIMARY KEY, "classNames" TEXT NOT NULL, "dataPath" TEXT,
                "activeVersion" INTEGER NOT NULL, "createdAt" TIMESTAMPTZ NOT NULL)
            """]),
        (#"to_regclass('"modelVersions"') IS NOT NULL"#, ["""
            CREATE TABLE IF NOT EXISTS "modelVersions" (model TEXT NOT NULL REFERENCES models(name), version INTEGER NOT NULL,
                sha256 TEXT NOT NULL, "forgottenClasses" TEXT NOT NULL, request TEXT, "createdAt" TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (model, version))
            """]),
        ("to_regclass('tokens') IS NOT NULL", ["""
            CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
                name TEXT NOT NULL, "createdAt" TIMESTAMPTZ NOT NULL)
            """]),
        ("to_regclass('requests') IS NOT NULL", ["""
            CREATE TABLE IF NOT EXISTS requests (id TEXT PRIMARY KEY, model TEXT NOT NULL REFERENCES models(name),
                state TEXT NOT NULL, "submittedAt" TIMESTAMPTZ NOT NULL, owner TEXT NOT NULL, "idempotencyKey" TEXT,
                "leaseOwner" TEXT, "leaseExpiresAt" TIMESTAMPTZ, document TEXT NOT NULL, UNIQUE (owner, "idempotencyKey"))
            """]),
        (#"to_regclass('"requestsByModel"') IS NOT NULL"#,
         [#"CREATE INDEX IF NOT EXISTS "requestsByModel" ON requests (model, "submittedAt", id)"#]),
        (#"to_regclass('"requestsByState"') IS NOT NULL"#, [#"CREATE INDEX IF NOT EXISTS "requestsByState" ON requests (state)"#]),
        ("to_regclass('ledger') IS NOT NULL",
         ["CREATE TABLE IF NOT EXISTS ledger (sequence INTEGER PRIMARY KEY, text TEXT NOT NULL, hash TEXT NOT NULL, signature TEXT NOT NULL)"]),
        (#"to_regclass('"ledgerHead"') IS NOT NULL"#, ["""
            CREATE TABLE IF NOT EXISTS "ledgerHead" (id INTEGER PRIMARY KEY CHECK (id = 1), sequence INTEGER NOT NULL,
                hash TEXT NOT NULL)
            """, "INSERT INTO \"ledgerHead\" VALUES (1, 0, '\(LedgerEntry.genesisHash)') ON CONFLICT (id) DO NOTHING"]),
        (#"to_regprocedure('"ledgerIsAppendOnly"()') IS NOT NULL"#, ["""
            CREATE OR REPLACE FUNCTION "ledgerIsAppendOnly"() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'the ledger is append-only'; END $$ LANGUAGE plpgsql
            """]),
        ("EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'ledgerIsAppendOnly' AND tgrelid = to_regclass('ledger'))", [
            #"DROP TRIGGER IF EXISTS "ledgerIsAppendOnly" ON ledger"#,
            #"CREATE TRIGGER "ledgerIsAppendOnly" BEFORE UPDATE OR DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION "ledgerIsAppendOnly"()"#,
        ]),
    ]

    /// Runs `body` in a transaction on one pooled connection: committed when it returns, rolled back
    /// when it throws (its error passes through unchanged).
    func transaction<Value: Sendable>(_ body: (PostgresConnection) async throws -> Value) async throws -> Value {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()

    static func text<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func value<Value: Decodable>(_ type: Value.Type, from text: String) throws -> Value {
        try decoder.decode(type, from: Data(text.utf8))
    }
}

// MARK: - Tokens, models, ledger

extension PostgresServiceDatabase {
    public func createToken(role: AccessToken.Role, name: String) async throws -> String {
        let (token, record) = AccessToken.generate(role: role, name: name)
        try await client.query("""
            INSERT INTO tokens VALUES (\(record.id), \(record.sha256), \(record.role.rawValue), \(record.name), \(record.createdAt))
            """, logger: logger)
        return token
    }

    public func token(matching token: String) async throws -> AccessToken? {
        try await tokens(where: "WHERE sha256 = $1", sha256Hex(token)).first
    }

    public func tokens() async throws -> [AccessToken] { try await tokens(where: "", nil) }

    private func tokens(where clause: String, _ hash: String?) async throws -> [AccessToken] {
        var query = PostgresQuery(unsafeSQL: "SELECT id, sha256, role, name, \"createdAt\" FROM tokens \(clause) ORDER BY \"createdAt\"")
        if let hash { query.binds.append(hash) }
        var tokens: [AccessToken] = []
        for try await (id, sha256, role, name, created) in try await client.query(query, logger: logger)
            .decode((String, String, String, String, Date).self) {
            guard let role = AccessToken.Role(rawValue: role) else { continue }
            tokens.append(AccessToken(id: id, sha256: sha256, role: role, name: name, createdAt: created))
        }
        return tokens
    }

    public func registerModel(name: String, sha256: String, classNames: [String], forgottenClasses: [String],
                              dataPath: String?) async throws -> RegisteredModel {
        let model = RegisteredModel(name: name, classNames: classNames, dataPath: dataPath, activeVersion: 1, createdAt: Date())
        let classes = try Self.text(classNames), forgotten = try Self.text(forgottenClasses)
        return try await transaction { connection in
            let inserted = try await connection.query("""
                INSERT INTO models VALUES (\(name), \(classes), \(dataPath), 1, \(model.createdAt))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """, logger: logger).collect()
            guard !inserted.isEmpty else { throw ServiceError.conflict("a model named \(name) is already registered") }
            try await connection.query("""
                INSERT INTO "modelVersions" VALUES (\(name), 1, \(sha256), \(forgotten), \(String?.none), \(model.createdAt))
                """, logger: logger)
            return model
        }
    }

    public func models() async throws -> [RegisteredModel] { try await models(named: nil) }

    public func model(named name: String) async throws -> RegisteredModel {
        guard let model = try await models(named: name).first else { throw ServiceError.notFound("model \(name)") }
        return model
    }

    private func models(named name: String?) async throws -> [RegisteredModel] {
        var query = PostgresQuery(unsafeSQL: "SELECT name, \"classNames\", \"dataPath\", \"activeVersion\", \"createdAt\" FROM models"
                                  + (name == nil ? "" : " WHERE name = $1") + " ORDER BY name")
        if let name { query.binds.append(name) }
        var models: [RegisteredModel] = []
        for try await (name, classes, dataPath, active, created) in try await client.query(query, logger: logger)
            .decode((String, String, String?, Int, Date).self) {
            models.append(RegisteredModel(name: name, classNames: try Self.value([String].self, from: classes), dataPath: dataPath,
                                          activeVersion: active, createdAt: created))
        }
        return models
    }

    public func versions(of model: String) async throws -> [ModelVersion] {
        try await versions(client.query("""
            SELECT model, version, sha256, "forgottenClasses", request, "createdAt" FROM "modelVersions"
            WHERE model = \(model) ORDER BY version
            """, logger: logger))
    }

    public func version(_ version: Int, of model: String) async throws -> ModelVersion {
        guard let found = try await versions(client.query("""
            SELECT model, version, sha256, "forgottenClasses", request, "createdAt" FROM "modelVersions"
            WHERE model = \(model) AND version = \(version)
            """, logger: logger)).first else {
            throw ServiceError.notFound("version \(version) of model \(model)")
        }
        return found
    }

    public func activeVersion(of model: String) async throws -> ModelVersion {
        guard let found = try await versions(client.query("""
            SELECT v.model, v.version, v.sha256, v."forgottenClasses", v.request, v."createdAt" FROM "modelVersions" v
            JOIN models m ON m.name = v.model AND m."activeVersion" = v.version WHERE v.model = \(model)
            """, logger: logger)).first else {
            throw ServiceError.notFound("model \(model)")
        }
        return found
    }

    private func versions(_ rows: PostgresRowSequence) async throws -> [ModelVersion] {
        var versions: [ModelVersion] = []
        for try await (model, version, sha256, forgotten, request, created) in rows.decode((String, Int, String, String, String?, Date).self) {
            versions.append(ModelVersion(model: model, version: version, sha256: sha256,
                                         forgottenClasses: try Self.value([String].self, from: forgotten), request: request,
                                         createdAt: created))
        }
        return versions
    }

    public func ledgerEntries(after sequence: Int, limit: Int?) async throws -> [SignedLedgerEntry] {
        var entries: [SignedLedgerEntry] = []
        for try await (number, text, hash, signature) in try await client.query("""
            SELECT sequence, text, hash, signature FROM ledger WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit ?? Int(Int32.max))
            """, logger: logger).decode((Int, String, String, String).self) {
            entries.append(SignedLedgerEntry(sequence: number, text: text, hash: hash, signature: signature))
        }
        return entries
    }

    public func ledgerEntry(_ sequence: Int) async throws -> SignedLedgerEntry {
        guard let entry = try await ledgerEntries(after: sequence - 1, limit: 1).first, entry.sequence == sequence else {
            throw ServiceError.notFound("ledger entry \(sequence)")
        }
        return entry
    }

    /// Appends `record` as the next entry of the chain inside the caller's transaction, the head row
    /// locked until it commits.
    func appendToLedger(_ record: LedgerRecord, identity: SigningIdentity, on connection: PostgresConnection) async throws
        -> SignedLedgerEntry {
        var head: (Int, String)?
        for try await row in try await connection.query(#"SELECT sequence, hash FROM "ledgerHead" WHERE id = 1 FOR UPDATE"#,
                                                        logger: logger).decode((Int, String).self) { head = row }
        guard let (sequence, hash) = head else { throw ServiceError.badDataFolder("PostgreSQL", problem: "the ledger's head row is missing") }
        let signed = try SignedLedgerEntry(signing: LedgerEntry(sequence: sequence + 1, previousHash: hash, record: record),
                                           with: identity)
        try await connection.query("""
            INSERT INTO ledger VALUES (\(signed.sequence), \(signed.text), \(signed.hash), \(signed.signature))
            """, logger: logger)
        try await connection.query("""
            UPDATE "ledgerHead" SET sequence = \(signed.sequence), hash = \(signed.hash) WHERE id = 1
            """, logger: logger)
        return signed
    }
}
