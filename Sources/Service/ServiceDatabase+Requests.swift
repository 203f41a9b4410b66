import Foundation
import GRDB

extension ServiceDatabase {
    /// Stores `request` as queued; with an idempotency key that `owner` used before, returns the
    /// request stored then instead (and `created` false).
    ///
    /// - Throws: ``ServiceError/conflict(_:)`` when the key was used for a different request, or when
    ///   an unfinished request of the model already asks to forget one of the subjects.
    public func submit(_ request: ErasureRequest) throws -> (request: ErasureRequest, created: Bool) {
        try pool.write { db in
            if let key = request.idempotencyKey,
               let earlier = try ErasureRequest.filter(Column("owner") == request.owner && Column("idempotencyKey") == key)
                .fetchOne(db) {
                guard earlier.model == request.model, earlier.subjects == request.subjects,
                      earlier.reference == request.reference, earlier.method == request.method,
                      earlier.preset == request.preset, earlier.configuration == request.configuration else {
                    throw ServiceError.conflict("Idempotency-Key \(key) was used for request \(earlier.id), which asked for something else")
                }
                return (earlier, false)
            }
            let pending = try ErasureRequest.filter(Column("model") == request.model
                                                    && ![ErasureRequest.State.completed, .failed].contains(Column("state")))
                .fetchAll(db)
            if let other = pending.first(where: { !Set($0.subjects).isDisjoint(with: request.subjects) }) {
                throw ServiceError.conflict("request \(other.id) (\(other.state.rawValue)) already asks to forget "
                                            + Set(other.subjects).intersection(request.subjects).sorted().joined(separator: ", "))
            }
            try request.insert(db)
            return (request, true)
        }
    }

    /// - Throws: ``ServiceError/notFound(_:)``.
    public func request(_ id: String) throws -> ErasureRequest {
        guard let request = try pool.read({ db in try ErasureRequest.fetchOne(db, key: id) }) else {
            throw ServiceError.notFound("request \(id)")
        }
        return request
    }

    /// Requests, newest first, filtered by model, state and owner, `limit` at most, older than the
    /// request `before` (for paging).
    public func requests(model: String? = nil, state: ErasureRequest.State? = nil, owner: String? = nil,
                         before: String? = nil, limit: Int = 50) throws -> [ErasureRequest] {
        try pool.read { db in
            var query = ErasureRequest.all()
            if let model { query = query.filter(Column("model") == model) }
            if let state { query = query.filter(Column("state") == state) }
            if let owner { query = query.filter(Column("owner") == owner) }
            if let before, let cursor = try ErasureRequest.fetchOne(db, key: before) {
                query = query.filter(Column("submittedAt") < cursor.submittedAt
                                     || (Column("submittedAt") == cursor.submittedAt && Column("id") < cursor.id))
            }
            return try query.order(Column("submittedAt").desc, Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// How many requests are in each state.
    public func requestCounts() throws -> [ErasureRequest.State: Int] {
        try pool.read { db in
            var counts: [ErasureRequest.State: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS count FROM requests GROUP BY state") {
                if let state = ErasureRequest.State(rawValue: row["state"]) { counts[state] = row["count"] }
            }
            return counts
        }
    }

    /// Takes the oldest queued request whose model has no request running, marks it running on the
    /// model's active version, and returns it; `nil` when there is none. Requests for one model thus
    /// run one after another, each on the version its predecessor made.
    public func claimNextRequest() throws -> ErasureRequest? {
        try pool.write { db in
            guard var request = try ErasureRequest.fetchOne(db, sql: """
                SELECT * FROM requests WHERE state = 'queued' AND model NOT IN
                    (SELECT model FROM requests WHERE state IN ('running', 'auditing'))
                ORDER BY submittedAt, id LIMIT 1
                """) else { return nil }
            request.state = .running
            request.startedAt = Date()
            request.attempts += 1
            request.phase = nil
            request.progress = nil
            request.error = nil
            request.baseVersion = try Self.activeVersion(of: request.model, in: db).version
            try request.update(db)
            return request
        }
    }

    /// Puts requests a crashed process left running back in the queue; returns how many. Nothing they
    /// did counts until the transaction that completes them, so running them again does each once.
    @discardableResult
    public func requeueInterruptedRequests() throws -> Int {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE requests SET state = 'queued', phase = NULL, progress = NULL
                WHERE state IN ('running', 'auditing')
                """)
            return db.changesCount
        }
    }

    /// Records what a running request is doing.
    public func setProgress(of id: String, state: ErasureRequest.State, phase: String?, progress: Double?) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE requests SET state = ?, phase = ?, progress = ? WHERE id = ? AND state IN ('running', 'auditing')",
                           arguments: [state, phase, progress, id])
        }
    }

    /// Ends a running request without a new version: `failed` with `error`, or `needs-exact-fallback`
    /// with the outcome that explains why.
    public func finish(_ id: String, state: ErasureRequest.State, error: String? = nil, outcome: RequestOutcome? = nil) throws {
        precondition(state == .failed || state == .needsExactFallback, "finish(_:state:) ends a request without a version, not as \(state)")
        try pool.write { db in
            guard var request = try ErasureRequest.fetchOne(db, key: id) else { throw ServiceError.notFound("request \(id)") }
            request.state = state
            request.error = error
            request.outcome = outcome ?? request.outcome
            request.phase = nil
            request.progress = nil
            request.finishedAt = Date()
            try request.update(db)
        }
    }

    /// Completes a running request in one transaction: stores `sha256` as the model's next version
    /// and makes it active, appends the ledger entry that `record` builds for it (given the new
    /// version's number), and marks the request completed.
    ///
    /// - Throws: ``ServiceError/conflict(_:)`` when the request is no longer running (it completed already).
    @discardableResult
    public func complete(_ id: String, sha256: String, forgottenClasses: [String], outcome: RequestOutcome,
                         identity: SigningIdentity, record: (_ version: Int) -> LedgerRecord) throws -> SignedLedgerEntry {
        try pool.write { db in
            guard var request = try ErasureRequest.fetchOne(db, key: id) else { throw ServiceError.notFound("request \(id)") }
            guard request.state == .running || request.state == .auditing else {
                throw ServiceError.conflict("request \(id) is \(request.state.rawValue), not running: it is not completed twice")
            }
            guard var model = try RegisteredModel.fetchOne(db, key: request.model) else {
                throw ServiceError.notFound("model \(request.model)")
            }
            let version = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM modelVersions WHERE model = ?",
                                           arguments: [model.name])! + 1
            let now = Date()
            try ModelVersion(model: model.name, version: version, sha256: sha256, forgottenClasses: forgottenClasses,
                             request: id, createdAt: now).insert(db)
            model.activeVersion = version
            try model.update(db)
            let entry = try Self.appendToLedger(record(version), identity: identity, in: db)
            request.state = .completed
            request.phase = nil
            request.progress = nil
            request.finishedAt = now
            request.resultVersion = version
            request.ledgerSequence = entry.sequence
            request.outcome = outcome
            try request.update(db)
            return entry
        }
    }

    /// Sends a request the audit did not pass back to the queue as a retraining without its subjects
    /// (the exact erasure), as an operator decided.
    ///
    /// - Throws: ``ServiceError/conflict(_:)`` unless the request is `needs-exact-fallback`.
    public func approveRetraining(_ id: String) throws -> ErasureRequest {
        try pool.write { db in
            guard var request = try ErasureRequest.fetchOne(db, key: id) else { throw ServiceError.notFound("request \(id)") }
            guard request.state == .needsExactFallback else {
                throw ServiceError.conflict("request \(id) is \(request.state.rawValue): only a request in "
                                            + "\(ErasureRequest.State.needsExactFallback.rawValue) can be retrained")
            }
            request.state = .queued
            request.method = "retrain"
            request.preset = nil
            request.configuration = "{}"
            request.finishedAt = nil
            try request.update(db)
            return request
        }
    }
}
