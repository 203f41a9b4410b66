import ArgumentParser
import Foundation
import Service

extension AccessToken.Role: ExpressibleByArgument {}
extension ServiceSettings.PromotionPolicy: ExpressibleByArgument {}

/// Where the service keeps its state; shared by the commands that read it.
struct DataFolderOption: ParsableArguments {
    @Option(help: ArgumentHelp("The service's data folder: its signing key, caches and (by default) its database and model store.",
                               valueName: "folder"))
    var dataDir: String

    @Option(help: ArgumentHelp("sqlite (service.sqlite in the data folder, one instance) or a PostgreSQL URL that several instances share: postgres://user[:password]@host[:port]/database, or postgres://user@/database?host=/socket/folder.",
                               valueName: "url"))
    var database = "sqlite"

    @Option(help: ArgumentHelp("The folder of checkpoints, by SHA-256 (default: models/ in the data folder); instances sharing a database share it too.",
                               valueName: "folder"))
    var modelStore: String?

    var url: URL { URL(fileURLWithPath: dataDir) }

    func validate() throws {
        do {
            _ = try DatabaseLocation(database)
        } catch let error as ServiceError {
            throw ValidationError(error.description)
        }
    }

    /// The service these options name, opened with `settings`.
    func service(settings: ServiceSettings = ServiceSettings()) async throws -> ErasureService {
        try await ErasureService(folder: url, database: try DatabaseLocation(database),
                                 modelStore: modelStore.map { URL(fileURLWithPath: $0) }, settings: settings)
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the erasure service: an HTTP API, a queue of erasure requests, and a signed ledger.",
        discussion: """
        Requests arrive over HTTP (`openapi.yaml` describes the API), run one after another per model \
        on its newest version, are audited against models retrained without their subjects, and are \
        recorded in an append-only, hash-chained ledger signed with the service's Ed25519 key. A new \
        version becomes active only when the audit finds it indistinguishable from retraining (unless \
        --promote always); otherwise the request waits in needs-exact-fallback for an operator to \
        approve retraining.

        Examples:
          qpae serve token create --data-dir /srv/qpae --role operator --name alice
          qpae serve --data-dir /srv/qpae --port 8080 --workers 2
        """,
        subcommands: [ServeStartCommand.self, TokenCommand.self],
        defaultSubcommand: ServeStartCommand.self)
}

struct ServeStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start the service (the default).")

    @OptionGroup var folder: DataFolderOption

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: one the system picks, printed when listening).")
    var port = 8080

    @Option(help: "Jobs for different models that may run at once.")
    var workers = 1

    @OptionGroup var audit: AuditOptions

    @Option(help: ArgumentHelp("When a new version becomes active: indistinguishable (the audit passed, or the method is exact) or always.",
                               valueName: "policy"))
    var promote: ServiceSettings.PromotionPolicy = .indistinguishable

    @Option(help: "Seconds a worker's claim on a request holds without renewal: after a crash, another worker (or this instance restarted) takes the request over within this long.")
    var leaseSeconds = 60.0

    @Option(help: "Days a request has before its deadline (GDPR art. 12(3): one month).")
    var deadlineDays = 30.0

    @Option(help: "The largest request body accepted, in bytes (larger: 413).")
    var maximumBodyBytes = 64 * 1024

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers \(workers): must be 1 or more") }
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port \(port): must lie between 1 and 65535") }
        guard leaseSeconds >= 1 else { throw ValidationError("--lease-seconds \(leaseSeconds): must be 1 or more") }
        guard deadlineDays > 0 else { throw ValidationError("--deadline-days \(deadlineDays): must be more than 0") }
        guard maximumBodyBytes >= 1024 else { throw ValidationError("--maximum-body-bytes \(maximumBodyBytes): must be 1024 or more") }
    }

    func run() async throws {
        var settings = ServiceSettings()
        settings.workerCount = workers
        settings.oracleCount = audit.oracles
        settings.audit = try audit.configuration()
        settings.promotion = promote
        settings.deadline = deadlineDays * 24 * 3600
        settings.maximumBodyBytes = maximumBodyBytes
        settings.lease = leaseSeconds
        let service = try await folder.service(settings: settings)
        service.startWorkers()
        FileHandle.standardOutput.write(Data(("qpae serve: data folder \(folder.url.path), \(workers) worker(s), audits against \(audit.oracles) retrained "
              + "models, database \(folder.database == "sqlite" ? "sqlite" : "postgres"), instance \(service.instance), public key \(service.identity.publicKeyText)\n").utf8))
        try await ServiceAPI.serve(service, host: host, port: port) { [host] port in
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
    }
}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Make and list the service's bearer tokens.",
        subcommands: [TokenCreateCommand.self, TokenListCommand.self])
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Make a bearer token and print it once (only its hash is kept).",
        discussion: "Roles: requester (submit requests, read its own), operator (register models, approve retraining, read everything), auditor (read the ledger and certificates).")

    @OptionGroup var folder: DataFolderOption

    @Option(help: "What the token may do: requester, operator or auditor.")
    var role: AccessToken.Role

    @Option(help: "Whose token it is, for the list.")
    var name: String

    func run() async throws {
        print(try await folder.service().database.createToken(role: role, name: name))
    }
}

struct TokenListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the tokens (never the tokens themselves).")

    @OptionGroup var folder: DataFolderOption

    func run() async throws {
        for token in try await folder.service().database.tokens() {
            print("\(token.id)  \(token.role.rawValue)  \(token.name)  \(ISO8601DateFormatter().string(from: token.createdAt))")
        }
    }
}
