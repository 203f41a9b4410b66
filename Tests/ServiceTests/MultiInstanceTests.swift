import Datasets
import Experiments
import Foundation
import PostgresNIO
@testable import Service
import TestSupport
import Testing
import Training

/// Several `qpae serve` processes sharing one database and one model store, one of them killed with
/// SIGKILL mid-job: every request completes exactly once, each model's requests run in the order they
/// came, no version is made twice, and the ledger verifies. On SQLite the same with one instance,
/// killed and started again.
@Suite(.serialized) struct MultiInstanceTests {
    static let modelCount = 6
    static let requestsPerModel = 10

    /// A speaker model with enough classes for ten requests in a row: 11 espeak-ng speakers × 2 digits
    /// × 2 takes, a CNN trained for one epoch.
    static let checkpoint: URL = {
        let folder = Scratch.root.appendingPathComponent("many-speakers")
        let settings = SyntheticCorpus.Settings(speakerCount: requestsPerModel + 1, takes: 2, digits: [0, 1],
                                                accentCodes: ["es"], speakersPerAccent: 1, sentencesPerSpeaker: 1)
        let root = try! SyntheticCorpus.ensure(at: folder.appendingPathComponent("corpus"), seed: 5, settings: settings)
        let data = try! PreparedData(DataRequest(path: root.appendingPathComponent(SyntheticCorpus.speakersFolderName),
                                                 testFraction: 0.25, seed: 1,
                                                 featureCache: folder.appendingPathComponent("features"), showsProgress: false))
        let file = folder.appendingPathComponent("original.safetensors")
        _ = try! trainModel(.cnn, on: data, configuration: .init(epochs: 1, batchSize: 8, learningRate: 3e-3, seed: 2),
                            checkpoint: file)
        return file
    }()

    @Test(arguments: [(Backend.postgres, 3), (Backend.sqlite, 1)])
    func everyRequestCompletesOnceAndInOrderWhenAnInstanceDies(_ backend: Backend, instances: Int) async throws {
        let root = Scratch.path("instances")
        let location = try backend.location()
        let store = root.appendingPathComponent("store")
        let folders = (1 ... instances).map { root.appendingPathComponent("instance-\($0)") }
        let classes = try TrainedModel(contentsOf: Self.checkpoint).classNames
        let token: String, key: SigningIdentity.PublicKey
        do {                                                      // the operator's set-up, before the first start
            let service = try await ErasureService(folder: folders[0], database: location, modelStore: store)
            token = try await service.database.createToken(role: .operator, name: "test")
            for model in 1 ... Self.modelCount { _ = try await service.registerModel(name: "m\(model)", checkpoint: Self.checkpoint) }
            key = service.identity.publicKey
            for folder in folders.dropFirst() {                   // every instance signs with the same key
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for name in ["signing-key", "signing-key.pub"] {
                    try FileManager.default.copyItem(at: folders[0].appendingPathComponent(name), to: folder.appendingPathComponent(name))
                }
            }
        }
        var arguments = ["--model-store", store.path, "--workers", "1", "--lease-seconds", "2"]
        if case let .postgres(url) = location { arguments += ["--database", url.absoluteString] }
        var servers = try folders.enumerated().map { try ServerProcess(folder: $1, name: "serve-\($0 + 1)", arguments: arguments) }
        defer { servers.forEach { $0.stop() } }

        // 60 requests, spread over the instances' HTTP fronts, each model's subjects in a fixed order.
        var submitted: [String: [String]] = [:]                   // model → request ids in submission order
        for index in 0 ..< Self.modelCount * Self.requestsPerModel {
            let model = "m\(index % Self.modelCount + 1)", subject = classes[index / Self.modelCount]
            let answer = try await servers[index % servers.count].send("POST", "/v1/requests", token: token, json: """
                {"model": "\(model)", "subjects": ["\(subject)"], "reference": "r\(index)", "method": "retrain", "seed": \(index)}
                """)
            #expect(answer.status == 202, "\(String(decoding: answer.body, as: UTF8.self))")
            submitted[model, default: []].append(try JSONDecoder().decode(ServerProcess.IdOnly.self, from: answer.body).id)
        }

        // Kill the last instance while it runs a job; on SQLite start it again.
        let database = try await location.open(folder: folders[0])
        let victim = servers.count - 1, deadline = Date().addingTimeInterval(300)
        var interrupted: String?
        while interrupted == nil, Date() < deadline {
            let name = servers[victim].instanceName
            interrupted = try await database.requests().first { $0.state.isRunning && $0.leaseOwner?.hasPrefix(name) == true }?.id
            if interrupted == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let victimName = servers[victim].instanceName
        servers[victim].kill()
        let killedAt = Date()
        if instances == 1 { servers[victim] = try ServerProcess(folder: folders[victim], name: "serve-restarted", arguments: arguments) }

        var requests: [ErasureRequest] = []
        repeat {
            try await Task.sleep(for: .milliseconds(200))
            requests = try await database.requests()
        } while requests.contains { !$0.state.isFinished } && Date() < deadline
        let interruptedRequest = try #require(requests.first { $0.id == interrupted })

        // Every request completed once: one version and one ledger entry each, none made twice.
        #expect(requests.count == 60 && requests.allSatisfy { $0.state == .completed }, "\(requests.filter { $0.state != .completed }.map { "\($0.state) \($0.error ?? "")" })")
        #expect(interruptedRequest.attempts == 2 && interruptedRequest.leaseOwner == nil)
        #expect(interruptedRequest.finishedAt.map { $0 > killedAt } == true)
        let entries = try await database.ledgerEntries()
        #expect(entries.count == 60)
        #expect(Set(try entries.map { try $0.entry.record.request }) == Set(requests.map(\.id)))
        let verification = try await database.verifyLedger(with: key)
        #expect(verification.isValid && verification.verifiedCount == 60)
        // Per model: versions 2…11, made by its requests in the order they were submitted.
        for model in 1 ... Self.modelCount {
            let versions = try await database.versions(of: "m\(model)")
            #expect(versions.map(\.version) == Array(1 ... Self.requestsPerModel + 1))
            #expect(versions.dropFirst().map(\.request) == submitted["m\(model)"]!, "model m\(model)")
            #expect(versions.last?.forgottenClasses == Array(classes.prefix(Self.requestsPerModel)))
            #expect(try await database.model(named: "m\(model)").activeVersion == Self.requestsPerModel + 1)
        }
        // With several instances, the others did the work after the kill; the dead one left no file half-written.
        let takeOver = "request \(interruptedRequest.id): "
        let logs = try servers.map { try String(contentsOf: $0.log, encoding: .utf8) }
        #expect(logs.contains { log in log.split(separator: "\n").contains { $0.contains(takeOver) && $0.contains("(attempt 2)") } },
                "another instance (or the restarted one) took over the request \(victimName) was running")
        for name in try FileManager.default.contentsOfDirectory(atPath: store.path) where name.hasSuffix(".safetensors") && !name.hasPrefix(".") {
            #expect(sha256Hex(try Data(contentsOf: store.appendingPathComponent(name))) + ".safetensors" == name)
        }
    }

    /// An instance (re)started while another completes a job, which holds the ledger's head row and
    /// writes to `requests`: it starts at once instead of waiting on those locks or deadlocking with
    /// them (as happened when a restarted instance ran its schema's DDL again).
    @Test func anInstanceStartsWhileAnotherHoldsTheLedgerHeadAndWritesRequests() async throws {
        let url = try TestPostgres.freshDatabase()
        let working = try await PostgresServiceDatabase(url: url)
        let startedWhileHeld = try await working.client.withConnection { connection in
            try await connection.query("BEGIN", logger: working.logger)
            try await connection.query(#"SELECT sequence FROM "ledgerHead" WHERE id = 1 FOR UPDATE"#, logger: working.logger)
            try await connection.query("LOCK TABLE requests IN ROW EXCLUSIVE MODE", logger: working.logger)
            return try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { _ = try await PostgresServiceDatabase(url: url); return true }
                group.addTask { try? await Task.sleep(for: .seconds(20)); return false }
                let first = try await group.next()!
                try await connection.query("COMMIT", logger: working.logger)   // lets a blocked start finish
                group.cancelAll()
                while try await group.next() != nil {}
                return first
            }
        }
        #expect(startedWhileHeld, "the second instance waited on the locks of the one at work")
    }
}
