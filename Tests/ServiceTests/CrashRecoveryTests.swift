import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Service
import Testing

/// `qpae serve` as operators run it, in its own process: killed with SIGKILL in the middle of a job and
/// started again, it finishes the request exactly once and the ledger still verifies.
@Suite(.serialized) struct CrashRecoveryTests {
    /// The `qpae` executable built beside the test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qpae")
    }

    /// A running `qpae serve` on a port the system picked, its output in `log`.
    final class Server {
        let process = Process()
        let log: URL
        private(set) var port = 0

        init(folder: URL, run: Int) throws {
            log = folder.appendingPathComponent("serve-\(run).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let output = try FileHandle(forWritingTo: log)
            process.executableURL = CrashRecoveryTests.executable
            process.arguments = ["serve", "--data-dir", folder.path, "--port", "0", "--oracles", "2", "--promote", "always",
                                 "--audit-setting", "probeFolds=2", "--audit-setting", "relearnShots=[2]",
                                 "--audit-setting", "relearnCheckpoints=[3]", "--audit-setting", "relearnDraws=1"]
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while port == 0 {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://") }),
                   let number = line.split(separator: ":").last.flatMap({ Int($0) }) {
                    port = number
                } else {
                    guard process.isRunning, Date() < deadline else { throw ServerError.didNotStart(text) }
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
        }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }

        func send(_ method: String, _ path: String, token: String, json: String? = nil) async throws -> (status: Int, body: Data) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            if let json {
                request.httpBody = Data(json.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        }

        func get<Value: Decodable>(_ path: String, as type: Value.Type, token: String) async throws -> Value {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(type, from: try await send("GET", path, token: token).body)
        }

        func request(_ id: String, token: String) async throws -> RequestResource {
            try await get("/v1/requests/\(id)", as: RequestResource.self, token: token)
        }
    }

    enum ServerError: Error { case didNotStart(String) }

    @Test func aKilledServerFinishesItsRequestExactlyOnceAfterARestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qpae-serve-\(UUID().uuidString)")
        let token: String
        do {                                                    // set up as an operator would, before the first start
            let service = try ErasureService(folder: folder)
            token = try service.database.createToken(role: .operator, name: "test")
            _ = try service.registerModel(name: "tiny", checkpoint: ServiceFixture.checkpoint)
        }
        let first = try Server(folder: folder, run: 1)
        let submission = #"{"model": "tiny", "subjects": ["\#(ServiceFixture.classes[0])"], "reference": "kill-9", "seed": 3}"#
        let submitted = try await first.send("POST", "/v1/requests", token: token, json: submission)
        #expect(submitted.status == 202)
        let id = try JSONDecoder().decode(IdOnly.self, from: submitted.body).id

        // Kill it while the job runs: once the audit is training its retrained models.
        let deadline = Date().addingTimeInterval(120)
        var state = ErasureRequest.State.queued
        while state != .auditing, Date() < deadline {
            state = try await first.request(id, token: token).state
            #expect(state != .completed, "the job finished before it could be killed")
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(state == .auditing)
        first.kill()

        let second = try Server(folder: folder, run: 2)
        defer { second.stop() }
        let restartLog = try String(contentsOf: second.log, encoding: .utf8)
        #expect(restartLog.contains("requeued 1 request(s)"), "\(restartLog)")
        var finished = try await second.request(id, token: token)
        while !finished.state.isFinished, Date() < deadline.addingTimeInterval(120) {
            try await Task.sleep(for: .milliseconds(100))
            finished = try await second.request(id, token: token)
        }
        #expect(finished.state == .completed && finished.attempts == 2, "\(finished.error ?? "")")
        #expect(finished.resultVersion == 2 && finished.ledgerSequence == 1)
        let model = try await second.get("/v1/models/tiny", as: ModelResource.self, token: token)
        #expect(model.versions?.map(\.version) == [1, 2] && model.activeVersion == 2)                  // no version made twice
        second.stop()

        // The ledger holds one entry for the request and verifies, read offline from the data folder.
        let database = try ServiceDatabase(folder: folder)
        let key = try #require(SigningIdentity.publicKey(fromText: try String(contentsOf: folder.appendingPathComponent("signing-key.pub"), encoding: .utf8)))
        let verification = try database.verifyLedger(with: key)
        #expect(verification.isValid && verification.verifiedCount == 1)
        #expect(try database.ledgerEntries().map { try $0.entry.record.request } == [id])
        // Nothing half-written is left in the store: no temporary files, and every checkpoint hashes to its name.
        let store = folder.appendingPathComponent("models")
        let stored = try FileManager.default.contentsOfDirectory(atPath: store.path).filter { !$0.hasSuffix(".oracles") }
        #expect(stored.count >= 2 && stored.allSatisfy { !$0.hasPrefix(".") }, "\(stored)")
        for name in stored where name.hasSuffix(".safetensors") {
            #expect(sha256Hex(try Data(contentsOf: store.appendingPathComponent(name))) + ".safetensors" == name)
        }
    }

    private struct IdOnly: Decodable { var id: String }
}
