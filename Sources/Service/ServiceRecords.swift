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
    /// How many times a worker started it (a restart after a crash runs it again from the start).
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
}

/// What a finished run measured, kept with the request for the API and the status page.
public struct RequestOutcome: Codable, Sendable, Equatable {
    /// `before.FA`, `after.RA`, … in percent; `erasure seconds`.
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
