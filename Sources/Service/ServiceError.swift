import Foundation

/// What goes wrong in the service's files and ledger, told so an operator can act on it.
public enum ServiceError: Error, CustomStringConvertible, Equatable {
    /// The signing key file is not usable.
    case badKeyFile(String, problem: String)
    /// A certificate that does not verify: which file, and the first thing that does not match.
    case certificateRejected(String, problem: String)
    /// The data folder cannot hold the service's state.
    case badDataFolder(String, problem: String)
    /// A model, request, version or entry that does not exist.
    case notFound(String)
    /// A request that contradicts what is there (a model registered twice, an idempotency key reused
    /// for a different request, retraining approved for a request that does not need it).
    case conflict(String)
    /// A request that cannot be carried out as asked (an unknown subject, every class at once, a bad setting).
    case invalidRequest(String)
    /// A worker's lease on a request ran out and another worker took it over (or it was finished).
    case leaseLost(String)

    public var description: String {
        switch self {
        case let .badKeyFile(file, problem): "signing key \(file): \(problem)"
        case let .certificateRejected(file, problem): "certificate \(file) rejected: \(problem)"
        case let .badDataFolder(folder, problem): "data folder \(folder): \(problem)"
        case let .notFound(what): "\(what) not found"
        case let .conflict(problem), let .invalidRequest(problem): problem
        case let .leaseLost(id): "the lease on request \(id) was lost: another worker took it over"
        }
    }
}
