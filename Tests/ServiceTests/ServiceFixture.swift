import Audit
import Datasets
import Experiments
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Service
import TestSupport
import Testing
import Training

/// The databases the service runs on; the shared tests run on each.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A fresh, empty database of this kind (PostgreSQL: a new database in ``TestPostgres``'s cluster).
    func location() throws -> DatabaseLocation {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres(try TestPostgres.freshDatabase())
        }
    }
}

/// A service on a fresh data folder and database with one token per role, and a tiny speaker model
/// (3 espeak-ng speakers, a CNN trained for two epochs) to register in it.
struct ServiceFixture {
    let service: ErasureService
    let tokens: [AccessToken.Role: String]

    /// The tiny model's checkpoint, trained once per test process.
    static let checkpoint: URL = {
        let data = try! PreparedData(DataRequest(path: TinyCorpus.speakers, testFraction: 0.25, seed: 1,
                                                 featureCache: TinyCorpus.featureCache, showsProgress: false))
        let file = TinyCorpus.temporaryFile("original.safetensors")
        _ = try! trainModel(.cnn, on: data, configuration: .init(epochs: 2, batchSize: 8, learningRate: 3e-3, seed: 2),
                            checkpoint: file)
        return file
    }()

    static var classes: [String] { try! TrainedModel(contentsOf: checkpoint).classNames }

    /// An audit small enough for tests: two oracles, few probe folds and relearning draws.
    static var quickSettings: ServiceSettings {
        var settings = ServiceSettings()
        settings.oracleCount = 2
        settings.audit.probeFolds = 2
        settings.audit.relearnShots = [2]
        settings.audit.relearnCheckpoints = [3]
        settings.audit.relearnDraws = 1
        settings.audit.relearnBatchSize = 8
        settings.audit.retainOnlyLearningRates = [1e-3]
        settings.maximumBodyBytes = 4096
        return settings
    }

    init(_ backend: Backend = .sqlite, settings: ServiceSettings = quickSettings) async throws {
        let folder = Scratch.path("service")
        service = try await ErasureService(folder: folder, database: try backend.location(), settings: settings)
        var tokens: [AccessToken.Role: String] = [:]
        for role in AccessToken.Role.allCases { tokens[role] = try await service.database.createToken(role: role, name: "test \(role)") }
        self.tokens = tokens
    }

    /// Runs `body` against the service's routes in process (`.live`: behind a real socket on a free port).
    func test<Value: Sendable>(_ setup: TestingSetup = .router, _ body: @Sendable (Client) async throws -> Value) async throws -> Value {
        let tokens = tokens
        return try await Application(router: ServiceAPI.router(for: service)).test(setup) { client in
            try await body(Client(client: client, tokens: tokens))
        }
    }

    /// A test client that sends JSON as one of the fixture's tokens.
    struct Client: Sendable {
        let client: any TestClientProtocol
        let tokens: [AccessToken.Role: String]

        struct Answer {
            var status: HTTPResponse.Status
            var headers: HTTPFields
            var body: Data

            func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
                try ServiceAPI.makeDecoder().decode(type, from: body)
            }

            var problem: ProblemDetails.Body? { try? decode(ProblemDetails.Body.self) }
        }

        @discardableResult
        func send(_ method: HTTPRequest.Method, _ uri: String, as role: AccessToken.Role?, json: String? = nil,
                  headers extra: HTTPFields = [:]) async throws -> Answer {
            var headers = extra
            if let role { headers[.authorization] = "Bearer \(tokens[role]!)" }
            if json != nil { headers[.contentType] = "application/json" }
            return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
                Answer(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
            }
        }

        func send<Body: Encodable>(_ method: HTTPRequest.Method, _ uri: String, as role: AccessToken.Role?, body: Body,
                                   headers: HTTPFields = [:]) async throws -> Answer {
            try await send(method, uri, as: role, json: String(decoding: try JSONEncoder().encode(body), as: UTF8.self),
                           headers: headers)
        }

        /// Registers the tiny model as `name` (operator).
        func registerModel(_ name: String = "tiny") async throws -> ModelResource {
            let answer = try await send(.post, "/v1/models", as: .operator,
                                        body: ModelRegistration(name: name, path: ServiceFixture.checkpoint.path))
            #expect(answer.status == .created, "\(String(decoding: answer.body, as: UTF8.self))")
            return try answer.decode(ModelResource.self)
        }
    }
}
