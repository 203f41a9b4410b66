import Foundation
import GRDB

extension SQLiteServiceDatabase {
    public func submit(_ request: ErasureRequest) async throws -> (request: ErasureRequest, created: Bool) {
        try await pool.write { db in
            let earlier = try request.idempotencyKey.flatMap { key in
                try ErasureRequest.filter(Column("owner") == request.owner && Column("idempotencyKey") == key).fetchOne(db)
            }
            let pending = earlier != nil ? [] : try ErasureRequest.filter(
                Column("model") == request.model && ![ErasureRequest.State.completed, .failed].contains(Column("state"))).fetchAll(db)
            if let conflict = request.admissionConflict(earlier: earlier, pending: pending) { throw conflict }
            if let earlier { return (earlier, false) }
            try request.insert(db)
            return (request, true)
        }
    }

    public func request(_ id: String) async throws -> ErasureRequest {
        guard let request = try await pool.read({ db in try ErasureRequest.fetchOne(db, key: id) }) else {
            throw ServiceError.notFound("request \(id)")
        }
        return request
    }

    public func requests(model: String?, state: ErasureRequest.State?, owner: String?, before: String?, limit: Int) async throws
        -> [ErasureRequest] {
        try await pool.read { db in
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

    public func requestCounts() async throws -> [ErasureRequest.State: Int] {
        try await pool.read { db in
            var counts: [ErasureRequest.State: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS count FROM requests GROUP BY state") {
                if let state = ErasureRequest.State(rawValue: row["state"]) { counts[state] = row["count"] }
            }
            return counts
        }
    }

    public func claimNextRequest(worker: String, lease: TimeInterval) async throws -> ErasureRequest? {
        try await pool.write { db in
            let now = Date()
            // Per model, the oldest unfinished request that no live lease holds; of those, the oldest.
            guard let candidate = try ErasureRequest.fetchOne(db, sql: """
                SELECT * FROM requests r
                WHERE (r.state = 'queued' OR (r.state IN ('running', 'auditing') AND r.leaseExpiresAt < ?))
                  AND NOT EXISTS (SELECT 1 FROM requests o WHERE o.model = r.model AND o.id <> r.id
                                  AND o.state IN ('running', 'auditing') AND o.leaseExpiresAt >= ?)
                  AND NOT EXISTS (SELECT 1 FROM requests e WHERE e.model = r.model AND e.id <> r.id
                                  AND e.state IN ('queued', 'running', 'auditing')
                                  AND (e.submittedAt < r.submittedAt OR (e.submittedAt = r.submittedAt AND e.id < r.id)))
                ORDER BY r.submittedAt, r.id LIMIT 1
                """, arguments: [now, now]) else { return nil }
            let request = candidate.claimed(by: worker, at: now, lease: lease,
                                            version: try Self.activeVersion(of: candidate.model, in: db).version)
            try request.update(db)
            return request
        }
    }

    public func renewLease(of id: String, worker: String, lease: TimeInterval) async throws {
        try await pool.write { db in
            var request = try Self.held(id, by: worker, in: db)
            request.leaseExpiresAt = Date().addingTimeInterval(lease)
            try request.update(db)
        }
    }

    public func setProgress(of id: String, worker: String, state: ErasureRequest.State, phase: String?, progress: Double?) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE requests SET state = ?, phase = ?, progress = ?
                WHERE id = ? AND leaseOwner = ? AND state IN ('running', 'auditing')
                """, arguments: [state, phase, progress, id, worker])
        }
    }

    public func finish(_ id: String, worker: String, state: ErasureRequest.State, error: String?, outcome: RequestOutcome?) async throws {
        precondition(state == .failed || state == .needsExactFallback, "finish ends a request without a version, not as \(state)")
        try await pool.write { db in
            try Self.held(id, by: worker, in: db).finished(as: state, error: error, outcome: outcome).update(db)
        }
    }

    public func complete(_ id: String, worker: String, sha256: String, forgottenClasses: [String], outcome: RequestOutcome,
                         identity: SigningIdentity, record: @Sendable (_ version: Int) -> LedgerRecord) async throws
        -> SignedLedgerEntry {
        try await pool.write { db in
            let request = try Self.held(id, by: worker, in: db)
            guard var model = try RegisteredModel.fetchOne(db, key: request.model) else {
                throw ServiceError.notFound("model \(request.model)")
            }
            let version = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM modelVersions WHERE model = ?",
                                            arguments: [model.name]) ?? 0) + 1
            try ModelVersion(model: model.name, version: version, sha256: sha256, forgottenClasses: forgottenClasses,
                             request: id, createdAt: Date()).insert(db)
            model.activeVersion = version
            try model.update(db)
            let entry = try Self.appendToLedger(record(version), identity: identity, in: db)
            try request.completed(version: version, ledgerSequence: entry.sequence, outcome: outcome).update(db)
            return entry
        }
    }

    public func approveRetraining(_ id: String) async throws -> ErasureRequest {
        try await pool.write { db in
            guard let request = try ErasureRequest.fetchOne(db, key: id) else { throw ServiceError.notFound("request \(id)") }
            let queued = try request.queuedForRetraining()
            try queued.update(db)
            return queued
        }
    }

    /// Request `id` while `worker` holds it.
    ///
    /// - Throws: ``ServiceError/leaseLost(_:)`` otherwise.
    static func held(_ id: String, by worker: String, in db: Database) throws -> ErasureRequest {
        guard let request = try ErasureRequest.fetchOne(db, key: id), request.isHeld(by: worker) else {
            throw ServiceError.leaseLost(id)
        }
        return request
    }
}
