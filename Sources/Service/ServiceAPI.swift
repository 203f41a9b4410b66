import Foundation
import HTTPTypes
import Hummingbird
import Training

/// The HTTP API of an ``ErasureService`` (JSON in and out under `/v1`, errors as ``ProblemDetails``),
/// described route by route in `openapi.yaml` at the repository's root.
///
/// | route | roles |
/// |---|---|
/// | `GET /status` (HTML; the token as a Basic password) | any token |
/// | `GET /healthz`, `GET /readyz`, `GET /metrics`, `GET /v1/public-key` | anyone |
/// | `POST /v1/models` | operator |
/// | `GET /v1/models`, `GET /v1/models/{name}` | any token |
/// | `POST /v1/requests` | requester, operator |
/// | `GET /v1/requests`, `GET /v1/requests/{id}` | the requester who submitted it, operator |
/// | `POST /v1/requests/{id}/retraining` | operator |
/// | `GET /v1/requests/{id}/certificate` | its requester, operator, auditor |
/// | `GET /v1/ledger` | operator, auditor |
public enum ServiceAPI {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    /// The routes and middleware, ready for an `Application` or for in-process tests.
    public static func router(for service: ErasureService) -> Router<ServiceContext> {
        let router = Router(context: ServiceContext.self)
        router.add(middleware: LatencyRecording(metrics: service.metrics))
        router.add(middleware: ProblemResponses())
        router.add(middleware: TokenAuthentication(database: service.database))
        addOperationalRoutes(to: router, service: service)
        addModelRoutes(to: router, service: service)
        addRequestRoutes(to: router, service: service)
        addLedgerRoutes(to: router, service: service)
        addStatusPage(to: router, service: service)
        return router
    }

    /// An application serving ``router(for:)`` on `host:port` (port 0: one the system picks), telling
    /// `listening` the port once it accepts connections.
    public static func application(for service: ErasureService, host: String = "127.0.0.1", port: Int = 8080,
                                   listening: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(for: service),
                    configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "qpae"),
                    onServerRunning: { channel in listening(channel.localAddress?.port ?? port) })
    }

    /// Serves `service` on `host:port` until SIGINT or SIGTERM, then lets the workers finish their
    /// current step and returns. An interrupted job runs again at the next start.
    public static func serve(_ service: ErasureService, host: String, port: Int,
                             listening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        try await application(for: service, host: host, port: port, listening: listening).runService()
        await service.stopWorkers()
    }

    // MARK: Operational

    static func addOperationalRoutes(to router: Router<ServiceContext>, service: ErasureService) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            _ = try await service.database.requestCounts()          // the database answers
            guard service.runningWorkers > 0 else {
                throw ProblemDetails(status: .serviceUnavailable, detail: "no worker is running")
            }
            return text("ready\n")
        }
        router.get("/metrics") { _, _ in
            text(service.metrics.exposition(requestCounts: try await service.database.requestCounts()),
                 contentType: "text/plain; version=0.0.4")
        }
        router.get("/v1/public-key") { _, _ in text(service.identity.publicKeyText + "\n") }
    }

    // MARK: Models

    static func addModelRoutes(to router: Router<ServiceContext>, service: ErasureService) {
        router.post("/v1/models") { request, context -> Response in
            _ = try context.require(.operator)
            let registration = try await decode(ModelRegistration.self, from: request, service: service)
            let model = try await service.registerModel(name: registration.name, checkpoint: URL(fileURLWithPath: registration.path),
                                                  dataPath: registration.dataPath)
            return try json(ModelResource(model, versions: try await service.database.versions(of: model.name), revealing: true),
                            status: .created,
                            headers: [.location: "/v1/models/\(model.name)"])
        }
        router.get("/v1/models") { _, context -> Response in
            _ = try context.require(.requester, .operator, .auditor)
            return try json(try await service.database.models().map { ModelResource($0) })
        }
        router.get("/v1/models/{name}") { _, context -> Response in
            let token = try context.require(.requester, .operator, .auditor)
            let name = try context.parameters.require("name")
            return try json(ModelResource(try await service.database.model(named: name), versions: try await service.database.versions(of: name),
                                          revealing: token.role == .operator))
        }
    }

    // MARK: Requests

    static func addRequestRoutes(to router: Router<ServiceContext>, service: ErasureService) {
        router.post("/v1/requests") { request, context -> Response in
            let token = try context.require(.requester, .operator)
            let submission = try await decode(Submission.self, from: request, service: service)
            let key = request.headers[idempotencyKey]
            if let key, key.isEmpty || key.count > 200 {
                throw ProblemDetails(status: .badRequest, detail: "Idempotency-Key: 1-200 characters")
            }
            let (stored, created) = try await service.submit(submission, owner: token, idempotencyKey: key)
            return try json(RequestResource(stored), status: created ? .accepted : .ok,
                            headers: [.location: "/v1/requests/\(stored.id)"])
        }
        router.get("/v1/requests") { request, context -> Response in
            let token = try context.require(.requester, .operator)
            let query = request.uri.queryParameters
            var state: ErasureRequest.State?
            if let text = query["state"] {
                guard let parsed = ErasureRequest.State(rawValue: String(text)) else {
                    throw ProblemDetails(status: .badRequest, detail: "state \(text): one of "
                                         + ErasureRequest.State.allCases.map(\.rawValue).joined(separator: ", "))
                }
                state = parsed
            }
            let limit = try pageSize(query["limit"].map(String.init))
            let requests = try await service.database.requests(model: query["model"].map(String.init), state: state,
                                                         owner: token.role == .operator ? nil : token.id,
                                                         before: query["before"].map(String.init), limit: limit)
            return try json(RequestPage(requests: requests.map { RequestResource($0) },
                                        next: requests.count == limit ? requests.last?.id : nil))
        }
        router.get("/v1/requests/{id}") { _, context -> Response in
            let token = try context.require(.requester, .operator)
            return try json(RequestResource(try await visibleRequest(try context.parameters.require("id"), to: token, service: service)))
        }
        router.post("/v1/requests/{id}/retraining") { _, context -> Response in
            _ = try context.require(.operator)
            return try json(RequestResource(try await service.approveRetraining(try context.parameters.require("id"))),
                            status: .accepted)
        }
        router.get("/v1/requests/{id}/certificate") { _, context -> Response in
            let token = try context.require(.requester, .operator, .auditor)
            let request = try await visibleRequest(try context.parameters.require("id"), to: token, service: service)
            let contents = try await service.certificate(for: request.id).fileContents()
            return Response(status: .ok, headers: [.contentType: "application/json",
                                                   .contentDisposition: "attachment; filename=\"certificate-\(request.id).json\""],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: contents)))
        }
    }

    /// The request `id` when `token` may see it: requesters see their own only (others' are "not found",
    /// so that ids reveal nothing); operators and auditors see all.
    static func visibleRequest(_ id: String, to token: AccessToken, service: ErasureService) async throws -> ErasureRequest {
        let request = try await service.database.request(id)
        guard token.role != .requester || request.owner == token.id else { throw ServiceError.notFound("request \(id)") }
        return request
    }

    // MARK: Ledger

    static func addLedgerRoutes(to router: Router<ServiceContext>, service: ErasureService) {
        router.get("/v1/ledger") { request, context -> Response in
            _ = try context.require(.operator, .auditor)
            let query = request.uri.queryParameters
            let limit = try pageSize(query["limit"].map(String.init))
            guard let after = Int(query["after"].map(String.init) ?? "0"), after >= 0 else {
                throw ProblemDetails(status: .badRequest, detail: "after: an entry number, 0 or more")
            }
            let entries = try await service.database.ledgerEntries(after: after, limit: limit)
            return try json(LedgerPage(entries: entries, next: entries.count == limit ? entries.last?.sequence : nil))
        }
    }

    // MARK: Status page

    static func addStatusPage(to router: Router<ServiceContext>, service: ErasureService) {
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/status"]) }
        router.get("/status") { _, context -> Response in
            guard let token = context.token else {
                return Response(status: .unauthorized,
                                headers: [.wwwAuthenticate: "Basic realm=\"qpae serve\", charset=\"UTF-8\"",
                                          .contentType: "text/html; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string:
                                    "<p>Sign in with any user name and your qpae token as the password.</p>\n")))
            }
            let page = StatusPage.render(try await StatusPage.view(service: service, token: token))
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
    }

    // MARK: Helpers

    static func pageSize(_ text: String?) throws -> Int {
        guard let text else { return 50 }
        guard let limit = Int(text), (1 ... 500).contains(limit) else {
            throw ProblemDetails(status: .badRequest, detail: "limit \(text): a number from 1 to 500")
        }
        return limit
    }

    /// Times in the API: ISO 8601 in UTC with milliseconds (`2026-11-30T20:32:21.417Z`), so that queue
    /// and job latencies can be read from them.
    static func dateText(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(dateText(date))
        }
        return encoder
    }()

    /// A decoder for the API's JSON: times with or without fractional seconds.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime]
            guard let date = formatter.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 time: \(text)"))
            }
            return date
        }
        return decoder
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func text(_ text: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The request's JSON body as `type`, refusing bodies over ``ServiceSettings/maximumBodyBytes`` (413).
    static func decode<Value: Decodable>(_ type: Value.Type, from request: Request, service: ErasureService) async throws -> Value {
        var request = request
        let body = try await request.collectBody(upTo: service.settings.maximumBodyBytes)
        return try makeDecoder().decode(type, from: Data(body.readableBytesView))
    }
}
