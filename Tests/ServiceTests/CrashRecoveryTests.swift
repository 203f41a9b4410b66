import Foundation
@testable import Service
import Testing
import TestSupport

/// `qpae serve` as operators run it, in its own process: killed with SIGKILL in the middle of a job and
/// started again, it takes the request over when the dead instance's lease lapses, finishes it exactly
/// once, and the ledger still verifies.
@Suite(.serialized) struct CrashRecoveryTests {
    @Test func aKilledServerFinishesItsRequestExactlyOnceAfterARestart() async throws {
        let folder = Scratch.path("serve")
        let token: String
        do {                                                    // set up as an operator would, before the first start
            let service = try await ErasureService(folder: folder)
            token = try await service.database.createToken(role: .operator, name: "test")
            _ = try await service.registerModel(name: "tiny", checkpoint: ServiceFixture.checkpoint)
        }
        let arguments = ["--oracles", "2", "--promote", "always", "--lease-seconds", "2", "--audit-setting", "probeFolds=2",
                         "--audit-setting", "relearnShots=[2]", "--audit-setting", "relearnCheckpoints=[3]",
                         "--audit-setting", "relearnDraws=1"]
        let first = try ServerProcess(folder: folder, name: "serve-1", arguments: arguments)
        // Kill it while the job runs: the worker logs its claim (`<instance>/<worker> forgets …`) once the
        // request is running under its lease. The watch starts before the request is sent.
        let killing = first.killWhenLogContains("\(first.instanceName)/", within: 120)
        let submission = #"{"model": "tiny", "subjects": ["\#(ServiceFixture.classes[0])"], "reference": "kill-9", "seed": 3}"#
        let submitted = try await first.send("POST", "/v1/requests", token: token, json: submission)
        #expect(submitted.status == 202)
        let id = try JSONDecoder().decode(ServerProcess.IdOnly.self, from: submitted.body).id

        let deadline = Date().addingTimeInterval(120)
        let killed = await killing.value
        #expect(killed, "the job was never claimed: \((try? String(contentsOf: first.log, encoding: .utf8)) ?? "")")
        let log = try String(contentsOf: first.log, encoding: .utf8)
        #expect(!log.contains("request \(id): completed"), "the job finished before it could be killed: \(log)")
        let killedState = try await SQLiteServiceDatabase(folder: folder).request(id)
        #expect(killedState.state.isRunning && killedState.attempts == 1 && killedState.leaseOwner?.hasPrefix(first.instanceName) == true,
                "\(killedState.state) attempt \(killedState.attempts) lease \(killedState.leaseOwner ?? "none")")

        let second = try ServerProcess(folder: folder, name: "serve-2", arguments: arguments)
        defer { second.stop() }
        var finished = try await second.request(id, token: token)
        while !finished.state.isFinished, Date() < deadline.addingTimeInterval(120) {
            try await Task.sleep(for: .milliseconds(100))
            finished = try await second.request(id, token: token)
        }
        #expect(finished.state == .completed && finished.attempts == 2, "\(finished.error ?? "")")
        #expect(finished.resultVersion == 2 && finished.ledgerSequence == 1)
        // The restarted instance took the request over once the dead one's lease lapsed.
        let restartLog = try String(contentsOf: second.log, encoding: .utf8)
        #expect(restartLog.contains("request \(id): \(second.instanceName)"), "\(restartLog)")
        #expect(restartLog.contains("(attempt 2)"), "\(restartLog)")
        let model = try await second.get("/v1/models/tiny", as: ModelResource.self, token: token)
        #expect(model.versions?.map(\.version) == [1, 2] && model.activeVersion == 2)                  // no version made twice
        second.stop()

        // The ledger holds one entry for the request and verifies, read offline from the data folder.
        let database = try SQLiteServiceDatabase(folder: folder)
        let key = try #require(SigningIdentity.publicKey(fromText: try String(contentsOf: folder.appendingPathComponent("signing-key.pub"), encoding: .utf8)))
        let verification = try await database.verifyLedger(with: key)
        #expect(verification.isValid && verification.verifiedCount == 1)
        #expect(try await database.ledgerEntries().map { try $0.entry.record.request } == [id])
        // Nothing half-written is in the store: every checkpoint under its final name hashes to that name
        // (a killed write leaves at most a hidden temporary file, which nothing reads).
        let store = folder.appendingPathComponent("models")
        let stored = try FileManager.default.contentsOfDirectory(atPath: store.path).filter { !$0.hasPrefix(".") }
        #expect(stored.filter { $0.hasSuffix(".safetensors") }.count >= 2, "\(stored)")
        for name in stored where name.hasSuffix(".safetensors") {
            #expect(sha256Hex(try Data(contentsOf: store.appendingPathComponent(name))) + ".safetensors" == name)
        }
    }

}
