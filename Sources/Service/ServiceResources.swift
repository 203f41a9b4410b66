import Foundation
import Training

/// The body of `POST /v1/models`: a checkpoint file on the server's disk, registered under `name`.
public struct ModelRegistration: Codable, Sendable {
    public var name: String
    public var path: String
    /// The dataset folder the jobs read, when not the one the checkpoint records.
    public var dataPath: String?

    public init(name: String, path: String, dataPath: String? = nil) {
        self.name = name
        self.path = path
        self.dataPath = dataPath
    }
}

/// A model as the API shows it, with its versions (oldest first) when asked for one model.
public struct ModelResource: Codable, Sendable, Equatable {
    public var name: String
    public var classes: [String]
    public var dataPath: String?
    public var activeVersion: Int
    public var createdAt: Date
    public var versions: [VersionResource]?

    /// `versions` name the forgotten classes only when `revealing` (for operators: who was erased is
    /// personal data, and a requester or an auditor needs the count, not the names).
    init(_ model: RegisteredModel, versions: [ModelVersion]? = nil, revealing: Bool = false) {
        name = model.name
        classes = model.classNames
        dataPath = model.dataPath
        activeVersion = model.activeVersion
        createdAt = model.createdAt
        self.versions = versions?.map { version in
            VersionResource(version: version.version, sha256: version.sha256,
                            forgottenClasses: revealing ? version.forgottenClasses : nil,
                            forgottenCount: version.forgottenClasses.count, request: version.request,
                            createdAt: version.createdAt, active: version.version == model.activeVersion)
        }
    }
}

/// One version of a model as the API shows it.
public struct VersionResource: Codable, Sendable, Equatable {
    public var version: Int
    /// SHA-256 of the checkpoint: the name it is stored under, and what certificates cite.
    public var sha256: String
    /// The classes forgotten so far, by name; only operators see them.
    public var forgottenClasses: [String]?
    public var forgottenCount: Int
    /// The request that made it; `nil` for the registered checkpoint.
    public var request: String?
    public var createdAt: Date
    public var active: Bool
}

/// An erasure request as the API shows it: everything but the subjects' salts, with the time left
/// before its deadline and where its certificate is once it has one.
public struct RequestResource: Codable, Sendable, Equatable {
    public var id: String
    public var model: String
    public var subjects: [String]
    public var reference: String
    public var method: String
    public var preset: String?
    public var configuration: JSONValue
    public var seed: UInt64
    public var state: ErasureRequest.State
    public var phase: String?
    public var progress: Double?
    public var submittedAt: Date
    public var deadline: Date
    /// Seconds until the deadline at the time of the answer (negative: overdue); `nil` once finished.
    public var secondsLeft: Double?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var attempts: Int
    public var error: String?
    public var baseVersion: Int?
    public var resultVersion: Int?
    public var ledgerSequence: Int?
    public var outcome: RequestOutcome?
    /// The certificate's path, for completed requests.
    public var certificate: String?

    init(_ request: ErasureRequest, now: Date = Date()) {
        id = request.id
        model = request.model
        subjects = request.subjects
        reference = request.reference
        method = request.method
        preset = request.preset
        configuration = (try? JSONValue(parsing: request.configuration)) ?? .object([:])
        seed = UInt64(bitPattern: request.seed)
        state = request.state
        phase = request.phase
        progress = request.progress
        submittedAt = request.submittedAt
        deadline = request.deadline
        secondsLeft = request.state == .completed ? nil : request.deadline.timeIntervalSince(now)
        startedAt = request.startedAt
        finishedAt = request.finishedAt
        attempts = request.attempts
        error = request.error
        baseVersion = request.baseVersion
        resultVersion = request.resultVersion
        ledgerSequence = request.ledgerSequence
        outcome = request.outcome
        certificate = request.ledgerSequence == nil ? nil : "/v1/requests/\(request.id)/certificate"
    }
}

/// One page of the ledger; `next` is the `after` that fetches the following page.
public struct LedgerPage: Codable, Sendable, Equatable {
    public var entries: [SignedLedgerEntry]
    public var next: Int?
}

/// One page of requests, newest first; `next` is the `before` that fetches the following page.
public struct RequestPage: Codable, Sendable, Equatable {
    public var requests: [RequestResource]
    public var next: String?
}
