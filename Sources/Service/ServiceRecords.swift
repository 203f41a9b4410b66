import Audit
import Foundation
import GRDB
import Training

/// A model the service manages: a name and its active version.
public struct RegisteredModel: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "models"
    public var name: String
    /// Every class the architecture knows, forgotten ones included, in the checkpoint's order.
    public var classNames: [String]
    /// The dataset folder the jobs read; `nil`: the one the checkpoint records.
    public var dataPath: String?
    public var activeVersion: Int
    public var createdAt: Date
}

/// One checkpoint of a model, stored content-addressed (``ModelStore``). Version 1 is the registered
/// checkpoint; each completed erasure adds the next.
public struct ModelVersion: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "modelVersions"
    public var model: String
    public var version: Int
    public var sha256: String
    /// Every class this version has forgotten, oldest request first.
    public var forgottenClasses: [String]
    /// The request that made it; `nil` for the registered checkpoint.
    public var request: String?
    public var createdAt: Date
}

/// A bearer token's stored form: only the SHA-256 of the token, never the token.
public struct AccessToken: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tokens"
    public var id: String
    public var sha256: String
    public var role: Role
    public var name: String
    public var createdAt: Date

    /// A new random token (`qpae_` and 32 random bytes in URL-safe base64) for `role`, and the form in
    /// which it is stored.
    static func generate(role: Role, name: String) -> (token: String, stored: AccessToken) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0 ..< 32).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        let token = "qpae_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return (token, AccessToken(id: UUID().uuidString.lowercased(), sha256: sha256Hex(token), role: role, name: name,
                                   createdAt: Date()))
    }

    /// What a token may do.
    public enum Role: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        /// Submits erasure requests and reads its own.
        case requester
        /// Registers models, approves retraining, reads everything.
        case `operator`
        /// Reads the ledger and the certificates.
        case auditor
    }
}

/// One erasure request and where it stands.
public struct ErasureRequest: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "requests"

    public enum State: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        case queued, running, auditing, completed, failed
        /// The audit did not pass: an operator may approve retraining without the subjects.
        case needsExactFallback = "needs-exact-fallback"

        public var isFinished: Bool { self == .completed || self == .failed }
        /// A worker holds it (under a lease).
        public var isRunning: Bool { self == .running || self == .auditing }
    }

    public var id: String
    public var model: String
    /// The classes to forget, by name. Personal data: it stays in this database and never reaches the ledger.
    public var subjects: [String]
    /// One random salt per subject (hex) for the ledger's commitments (``LedgerRecord/subjects``).
    public var subjectSalts: [String]
    public var reference: String
    public var method: String
    public var preset: String?
    /// The changes to the method's configuration, as submitted (JSON text).
    public var configuration: String
    public var seed: Int64
    public var state: State
    /// What is running now (`uncertainty fine-tune`, `audit: relearning`), with its share done (0–1).
    public var phase: String?
    public var progress: Double?
    public var submittedAt: Date
    public var deadline: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// How many times a worker started it (a worker that died leaves it to another, which runs it
    /// again from the start).
    public var attempts: Int
    public var error: String?
    /// The token that submitted it.
    public var owner: String
    public var idempotencyKey: String?
    /// The version it ran on, and the version it made (completed requests).
    public var baseVersion: Int?
    public var resultVersion: Int?
    public var ledgerSequence: Int?
    /// The measured outcome: before/after figures, the audit, the exact fallback.
    public var outcome: RequestOutcome?
    /// The worker running it and until when its lease holds (renewed while it runs).
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
}

extension ErasureRequest {
    /// Why `self` may not be stored beside `earlier` (the request its owner made before with the same
    /// idempotency key) and `pending` (the model's unfinished requests); `nil` when it may.
    func admissionConflict(earlier: ErasureRequest?, pending: [ErasureRequest]) -> ServiceError? {
        if let earlier {
            guard earlier.model == model, earlier.subjects == subjects, earlier.reference == reference,
                  earlier.method == method, earlier.preset == preset, earlier.configuration == configuration else {
                return .conflict("Idempotency-Key \(idempotencyKey ?? "") was used for request \(earlier.id), which asked for something else")
            }
            return nil
        }
        if let other = pending.first(where: { !Set($0.subjects).isDisjoint(with: subjects) }) {
            return .conflict("request \(other.id) (\(other.state.rawValue)) already asks to forget "
                             + Set(other.subjects).intersection(subjects).sorted().joined(separator: ", "))
        }
        return nil
    }

    /// `self` claimed by `worker` at `now` on `version` for `lease` seconds.
    func claimed(by worker: String, at now: Date, lease: TimeInterval, version: Int) -> ErasureRequest {
        var request = self
        request.state = .running
        request.startedAt = now
        request.attempts += 1
        request.phase = nil
        request.progress = nil
        request.error = nil
        request.baseVersion = version
        request.leaseOwner = worker
        request.leaseExpiresAt = now.addingTimeInterval(lease)
        return request
    }

    /// `self` ended without a new version.
    func finished(as state: State, error: String?, outcome: RequestOutcome?) -> ErasureRequest {
        var request = self
        request.state = state
        request.error = error
        request.outcome = outcome ?? request.outcome
        request.phase = nil
        request.progress = nil
        request.finishedAt = Date()
        request.leaseOwner = nil
        request.leaseExpiresAt = nil
        return request
    }

    /// `self` completed as `version`, recorded as ledger entry `ledgerSequence`.
    func completed(version: Int, ledgerSequence: Int, outcome: RequestOutcome) -> ErasureRequest {
        var request = finished(as: .completed, error: nil, outcome: outcome)
        request.resultVersion = version
        request.ledgerSequence = ledgerSequence
        return request
    }

    /// `self`, which the audit did not pass, queued again as a retraining without its subjects.
    ///
    /// - Throws: ``ServiceError/conflict(_:)`` unless it is `needs-exact-fallback`.
    func queuedForRetraining() throws -> ErasureRequest {
        guard state == .needsExactFallback else {
            throw ServiceError.conflict("request \(id) is \(state.rawValue): only a request in "
                                        + "\(State.needsExactFallback.rawValue) can be retrained")
        }
        var request = self
        request.state = .queued
        request.method = "retrain"
        request.preset = nil
        request.configuration = "{}"
        request.finishedAt = nil
        return request
    }

    /// Whether `worker` still holds `self`: it is running under `worker`'s lease. A lease that ran out
    /// still holds until another worker takes the request over.
    func isHeld(by worker: String) -> Bool { state.isRunning && leaseOwner == worker }
}

/// What a finished run measured, kept with the request for the API and the status page.
public struct RequestOutcome: Codable, Sendable, Equatable {
    /// `before.FA`, `after.RA`, … in percent; `erasure seconds`; for approximate methods `retraining
    /// seconds (estimated)`, what retraining without the classes would take here.
    public var metrics: [String: Double]
    public var grade: String
    public var settings: [String: String]
    public var audit: AuditEvidence?
    /// The audit in full: every test against the oracles' band, and the relearning curves.
    public var auditReport: AuditReport?
    /// SHA-256 of the checkpoint the run made (kept in the store even when it was not promoted).
    public var candidateSHA256: String
    /// Why retraining is offered, and what it would cost here.
    public var fallback: String?
}
