import Foundation
import PostgresNIO

extension PostgresServiceDatabase {
    /// Writes `request` (its document and the columns the queries use), inserting or replacing.
    func save(_ request: ErasureRequest, on connection: PostgresConnection) async throws {
        let document = try Self.text(request)
        try await connection.query("""
            INSERT INTO requests VALUES (\(request.id), \(request.model), \(request.state.rawValue), \(request.submittedAt),
                \(request.owner), \(request.idempotencyKey), \(request.leaseOwner), \(request.leaseExpiresAt), \(document))
            ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, "leaseOwner" = EXCLUDED."leaseOwner",
                "leaseExpiresAt" = EXCLUDED."leaseExpiresAt", document = EXCLUDED.document
            """, logger: logger)
    }

    func requests(_ rows: PostgresRowSequence) async throws -> [ErasureRequest] {
        var requests: [ErasureRequest] = []
        for try await (document,) in rows.decode((String,).self) {
            requests.append(try Self.value(ErasureRequest.self, from: document))
        }
        return requests
    }

    /// Request `id`, locked for the rest of the transaction.
    func lockedRequest(_ id: String, on connection: PostgresConnection) async throws -> ErasureRequest? {
        try await requests(connection.query("SELECT document FROM requests WHERE id = \(id) FOR UPDATE", logger: logger)).first
    }

    /// Request `id`, locked, while `worker` holds it.
    ///
    /// - Throws: ``ServiceError/leaseLost(_:)`` otherwise.
    func held(_ id: String, by worker: String, on connection: PostgresConnection) async throws -> ErasureRequest {
        guard let request = try await lockedRequest(id, on: connection), request.isHeld(by: worker) else {
            throw ServiceError.leaseLost(id)
        }
        return request
    }

    func now(on connection: PostgresConnection) async throws -> Date {
        var now = Date()
        for try await (time,) in try await connection.query("SELECT now()", logger: logger).decode((Date,).self) { now = time }
        return now
    }

    public func submit(_ request: ErasureRequest) async throws -> (request: ErasureRequest, created: Bool) {
        try await transaction { connection in
            // One submit per model at a time: the pending check and the insert see each other.
            try await connection.query("SELECT name FROM models WHERE name = \(request.model) FOR UPDATE", logger: logger)
            let earlier = try await request.idempotencyKey.asyncMap { key in
                try await requests(connection.query("""
                    SELECT document FROM requests WHERE owner = \(request.owner) AND "idempotencyKey" = \(key)
                    """, logger: logger)).first
            } ?? nil
            let pending = earlier != nil ? [] : try await requests(connection.query("""
                SELECT document FROM requests WHERE model = \(request.model) AND state NOT IN ('completed', 'failed')
                """, logger: logger))
            if let conflict = request.admissionConflict(earlier: earlier, pending: pending) { throw conflict }
            if let earlier { return (earlier, false) }
            try await save(request, on: connection)
            return (request, true)
        }
    }

    public func request(_ id: String) async throws -> ErasureRequest {
        guard let request = try await requests(client.query("SELECT document FROM requests WHERE id = \(id)", logger: logger)).first else {
            throw ServiceError.notFound("request \(id)")
        }
        return request
    }

    public func requests(model: String?, state: ErasureRequest.State?, owner: String?, before: String?, limit: Int) async throws
        -> [ErasureRequest] {
        try await requests(client.query("""
            SELECT r.document FROM requests r
            WHERE (\(model)::TEXT IS NULL OR r.model = \(model)) AND (\(state?.rawValue)::TEXT IS NULL OR r.state = \(state?.rawValue))
              AND (\(owner)::TEXT IS NULL OR r.owner = \(owner))
              AND (\(before)::TEXT IS NULL OR EXISTS (SELECT 1 FROM requests c WHERE c.id = \(before)
                   AND (r."submittedAt", r.id) < (c."submittedAt", c.id)))
            ORDER BY r."submittedAt" DESC, r.id DESC LIMIT \(limit)
            """, logger: logger))
    }

    public func requestCounts() async throws -> [ErasureRequest.State: Int] {
        var counts: [ErasureRequest.State: Int] = [:]
        for try await (state, count) in try await client.query("SELECT state, COUNT(*) FROM requests GROUP BY state", logger: logger)
            .decode((String, Int).self) {
            if let state = ErasureRequest.State(rawValue: state) { counts[state] = count }
        }
        return counts
    }

    public func claimNextRequest(worker: String, lease: TimeInterval) async throws -> ErasureRequest? {
        try await transaction { connection in
            let now = try await now(on: connection)
            // The oldest request that may run; rows other claimers hold are skipped, not waited for.
            guard let candidate = try await requests(connection.query("""
                SELECT r.document FROM requests r
                WHERE (r.state = 'queued' OR (r.state IN ('running', 'auditing') AND r."leaseExpiresAt" < \(now)))
                  AND NOT EXISTS (SELECT 1 FROM requests e WHERE e.model = r.model AND e.id <> r.id
                                  AND e.state IN ('queued', 'running', 'auditing')
                                  AND (e."submittedAt", e.id) < (r."submittedAt", r.id))
                ORDER BY r."submittedAt", r.id LIMIT 1
                FOR UPDATE OF r SKIP LOCKED
                """, logger: logger)).first else { return nil }
            // The per-model lock: claims of one model queue here, then see each other's commits.
            var active: Int?
            for try await (version,) in try await connection.query("""
                SELECT "activeVersion" FROM models WHERE name = \(candidate.model) FOR UPDATE
                """, logger: logger).decode((Int,).self) { active = version }
            let running = try await connection.query("""
                SELECT id FROM requests WHERE model = \(candidate.model) AND id <> \(candidate.id)
                  AND state IN ('running', 'auditing') AND "leaseExpiresAt" >= \(now)
                """, logger: logger).collect()
            guard let active, running.isEmpty else { return nil }
            let claimed = candidate.claimed(by: worker, at: now, lease: lease, version: active)
            try await save(claimed, on: connection)
            return claimed
        }
    }

    public func renewLease(of id: String, worker: String, lease: TimeInterval) async throws {
        try await transaction { connection in
            var request = try await held(id, by: worker, on: connection)
            request.leaseExpiresAt = try await now(on: connection).addingTimeInterval(lease)
            try await save(request, on: connection)
        }
    }

    public func setProgress(of id: String, worker: String, state: ErasureRequest.State, phase: String?, progress: Double?) async throws {
        try await transaction { connection in
            guard var request = try await lockedRequest(id, on: connection), request.isHeld(by: worker) else { return }
            request.state = state
            request.phase = phase
            request.progress = progress
            try await save(request, on: connection)
        }
    }

    public func finish(_ id: String, worker: String, state: ErasureRequest.State, error: String?, outcome: RequestOutcome?) async throws {
        precondition(state == .failed || state == .needsExactFallback, "finish ends a request without a version, not as \(state)")
        try await transaction { connection in
            try await save(try await held(id, by: worker, on: connection).finished(as: state, error: error, outcome: outcome),
                           on: connection)
        }
    }

    public func complete(_ id: String, worker: String, sha256: String, forgottenClasses: [String], outcome: RequestOutcome,
                         identity: SigningIdentity, record: @Sendable (_ version: Int) -> LedgerRecord) async throws
        -> SignedLedgerEntry {
        let forgotten = try Self.text(forgottenClasses)
        return try await transaction { connection in
            let request = try await held(id, by: worker, on: connection)
            var latest: Int?
            for try await (version,) in try await connection.query("""
                SELECT MAX(v.version) FROM models m JOIN "modelVersions" v ON v.model = m.name
                WHERE m.name = \(request.model) GROUP BY m.name
                """, logger: logger).decode((Int,).self) { latest = version }
            guard let latest else { throw ServiceError.notFound("model \(request.model)") }
            let version = latest + 1, now = Date()
            try await connection.query("""
                INSERT INTO "modelVersions" VALUES (\(request.model), \(version), \(sha256), \(forgotten), \(id), \(now))
                """, logger: logger)
            try await connection.query("UPDATE models SET \"activeVersion\" = \(version) WHERE name = \(request.model)", logger: logger)
            let entry = try await appendToLedger(record(version), identity: identity, on: connection)
            try await save(request.completed(version: version, ledgerSequence: entry.sequence, outcome: outcome), on: connection)
            return entry
        }
    }

    public func approveRetraining(_ id: String) async throws -> ErasureRequest {
        try await transaction { connection in
            guard let request = try await lockedRequest(id, on: connection) else { throw ServiceError.notFound("request \(id)") }
            let queued = try request.queuedForRetraining()
            try await save(queued, on: connection)
            return queued
        }
    }
}

extension Optional {
    func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async rethrows -> Mapped? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
