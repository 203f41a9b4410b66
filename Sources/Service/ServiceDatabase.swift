import Foundation

/// Where the service keeps its state — models and versions, erasure requests and their leases, tokens,
/// the ledger — with one implementation per database: ``SQLiteServiceDatabase`` (one file, the embedded
/// default) and ``PostgresServiceDatabase`` (several instances sharing one server).
///
/// The promises every implementation keeps, and the shared tests check on both:
/// - **Leases.** A worker claims a request with a lease that it renews while the job runs. A request
///   whose lease ran out (its worker died) can be claimed again by any worker; the old worker's later
///   writes are refused (``ServiceError/leaseLost(_:)``), so a request completes exactly once.
/// - **Per-model order.** A request is claimed only when it is the oldest unfinished one of its model
///   and no other request of the model holds a live lease, so versions never fork.
/// - **One transaction per completion.** The new version, its activation, the ledger entry and the
///   request's state change together or not at all.
/// - **A linear ledger.** Appends are serialised; entry `n + 1` always names entry `n`'s hash.
public protocol ServiceDatabase: Sendable {
    // MARK: Tokens

    /// Makes a token for `role`, stores its SHA-256, and returns the token: the only time it is seen.
    func createToken(role: AccessToken.Role, name: String) async throws -> String
    /// The stored token whose hash matches `token`, or `nil`.
    func token(matching token: String) async throws -> AccessToken?
    func tokens() async throws -> [AccessToken]

    // MARK: Models

    /// Registers `name` with its first version, the checkpoint stored as `sha256`.
    ///
    /// - Throws: ``ServiceError/conflict(_:)`` when the name is taken.
    func registerModel(name: String, sha256: String, classNames: [String], forgottenClasses: [String],
                       dataPath: String?) async throws -> RegisteredModel
    func models() async throws -> [RegisteredModel]
    /// - Throws: ``ServiceError/notFound(_:)``.
    func model(named name: String) async throws -> RegisteredModel
    /// The versions of `model`, oldest first.
    func versions(of model: String) async throws -> [ModelVersion]
    /// - Throws: ``ServiceError/notFound(_:)``.
    func version(_ version: Int, of model: String) async throws -> ModelVersion
    /// The version `model` answers with now.
    func activeVersion(of model: String) async throws -> ModelVersion

    // MARK: Requests

    /// Stores `request` as queued; with an idempotency key its owner used before, returns the request
    /// stored then (and `created` false).
    ///
    /// - Throws: ``ServiceError/conflict(_:)`` when the key was used for a different request, or when
    ///   an unfinished request of the model already asks to forget one of the subjects.
    func submit(_ request: ErasureRequest) async throws -> (request: ErasureRequest, created: Bool)
    /// - Throws: ``ServiceError/notFound(_:)``.
    func request(_ id: String) async throws -> ErasureRequest
    /// Requests, newest first, filtered by model, state and owner, `limit` at most, older than the
    /// request `before` (for paging).
    func requests(model: String?, state: ErasureRequest.State?, owner: String?, before: String?, limit: Int) async throws
        -> [ErasureRequest]
    /// How many requests are in each state.
    func requestCounts() async throws -> [ErasureRequest.State: Int]

    /// Claims for `worker` the oldest request that may run — queued, or running under a lease that ran
    /// out — whose model has no other request under a live lease; marks it running on the model's
    /// active version with a lease of `lease` seconds; `nil` when none may run.
    func claimNextRequest(worker: String, lease: TimeInterval) async throws -> ErasureRequest?
    /// Extends `worker`'s lease on request `id` by `lease` seconds from now.
    ///
    /// - Throws: ``ServiceError/leaseLost(_:)`` when the worker no longer holds it.
    func renewLease(of id: String, worker: String, lease: TimeInterval) async throws
    /// Records what `worker`'s running request is doing (ignored once the lease is lost).
    func setProgress(of id: String, worker: String, state: ErasureRequest.State, phase: String?, progress: Double?) async throws
    /// Ends `worker`'s request without a new version: `failed` with `error`, or `needs-exact-fallback`
    /// with the outcome that explains why.
    ///
    /// - Throws: ``ServiceError/leaseLost(_:)`` when the worker no longer holds it.
    func finish(_ id: String, worker: String, state: ErasureRequest.State, error: String?, outcome: RequestOutcome?) async throws
    /// Completes `worker`'s request in one transaction: stores `sha256` as the model's next version and
    /// makes it active, appends the ledger entry that `record` builds for it (given the version's number),
    /// and marks the request completed.
    ///
    /// - Throws: ``ServiceError/leaseLost(_:)`` when the worker no longer holds it (it is never
    ///   completed twice).
    @discardableResult
    func complete(_ id: String, worker: String, sha256: String, forgottenClasses: [String], outcome: RequestOutcome,
                  identity: SigningIdentity, record: @Sendable (_ version: Int) -> LedgerRecord) async throws -> SignedLedgerEntry
    /// Sends a request the audit did not pass back to the queue as a retraining without its subjects.
    ///
    /// - Throws: ``ServiceError/conflict(_:)`` unless the request is `needs-exact-fallback`.
    func approveRetraining(_ id: String) async throws -> ErasureRequest

    // MARK: Ledger

    /// Ledger entries in order after `sequence`, `limit` at most (all when `nil`).
    func ledgerEntries(after sequence: Int, limit: Int?) async throws -> [SignedLedgerEntry]
    /// - Throws: ``ServiceError/notFound(_:)``.
    func ledgerEntry(_ sequence: Int) async throws -> SignedLedgerEntry
}

extension ServiceDatabase {
    public func requests(model: String? = nil, state: ErasureRequest.State? = nil, owner: String? = nil) async throws
        -> [ErasureRequest] {
        try await requests(model: model, state: state, owner: owner, before: nil, limit: 1000)
    }

    public func ledgerEntries() async throws -> [SignedLedgerEntry] { try await ledgerEntries(after: 0, limit: nil) }

    /// Checks the whole stored chain with `key` (``LedgerVerification/verify(_:with:)``).
    public func verifyLedger(with key: SigningIdentity.PublicKey) async throws -> LedgerVerification {
        LedgerVerification.verify(try await ledgerEntries(), with: key)
    }
}

/// Where a service's state lives, as `--database` names it.
public enum DatabaseLocation: Sendable, Equatable {
    /// `service.sqlite` in the data folder (the default).
    case sqlite
    /// A PostgreSQL server, `postgres://user[:password]@host[:port]/database` or
    /// `postgres:///database?host=/run/postgresql` for a Unix socket.
    case postgres(URL)

    /// `sqlite` or a `postgres://` URL.
    ///
    /// - Throws: ``ServiceError/invalidRequest(_:)`` for anything else.
    public init(_ text: String) throws {
        if text == "sqlite" { self = .sqlite; return }
        guard let url = URL(string: text), ["postgres", "postgresql"].contains(url.scheme) else {
            throw ServiceError.invalidRequest("--database \(text): give sqlite or a postgres://user@host:port/database URL")
        }
        self = .postgres(url)
    }

    /// The database here; SQLite's file lives in `folder`.
    public func open(folder: URL) async throws -> any ServiceDatabase {
        switch self {
        case .sqlite: try SQLiteServiceDatabase(folder: folder)
        case let .postgres(url): try await PostgresServiceDatabase(url: url)
        }
    }
}
