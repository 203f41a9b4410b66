import Foundation
import HTTPTypes
@testable import Service
import Testing
import Training

/// Requests carried out by the worker path, start to finish: versions chained, the ledger written and
/// verified, certificates that check out with the key the API serves, and the exact fallback.
@Suite(.serialized) struct ErasureLifecycleTests {
    @Test func sequentialRequestsChainVersionsAndEndInCertificates() async throws {
        let fixture = try ServiceFixture()
        let classes = ServiceFixture.classes
        try await fixture.test { client in
            _ = try await client.registerModel()
            var ids: [String] = []
            for (index, subject) in classes.prefix(2).enumerated() {
                let answer = try await client.send(.post, "/v1/requests", as: .requester,
                                                   body: Submission(model: "tiny", subjects: [subject], reference: "DSAR-\(index)",
                                                                    method: "retrain", seed: 5))
                #expect(answer.status == .accepted)
                let resource = try answer.decode(RequestResource.self)
                #expect(resource.state == .queued && resource.secondsLeft.map { $0 > 29 * 24 * 3600 } == true)
                ids.append(resource.id)
            }
            #expect(fixture.service.runNextRequest() && fixture.service.runNextRequest())
            #expect(!fixture.service.runNextRequest())                                     // the queue is empty

            let model = try await client.send(.get, "/v1/models/tiny", as: .operator).decode(ModelResource.self)
            #expect(model.activeVersion == 3 && model.versions?.map(\.active) == [false, false, true])
            #expect(model.versions?.map(\.forgottenClasses) == [[], [classes[0]], [classes[0], classes[1]]])
            // Whom the model forgot is for operators: others see how many, not who.
            let seenByRequester = try await client.send(.get, "/v1/models/tiny", as: .requester).decode(ModelResource.self)
            #expect(seenByRequester.versions?.map(\.forgottenClasses) == [nil, nil, nil])
            #expect(seenByRequester.versions?.map(\.forgottenCount) == [0, 1, 2])
            #expect(model.versions?.map(\.request) == [nil, ids[0], ids[1]])

            let publicKeyText = String(decoding: try await client.send(.get, "/v1/public-key", as: nil).body, as: UTF8.self)
            let key = try #require(SigningIdentity.publicKey(fromText: publicKeyText))
            for (index, id) in ids.enumerated() {
                let request = try await client.send(.get, "/v1/requests/\(id)", as: .requester).decode(RequestResource.self)
                #expect(request.state == .completed && request.attempts == 1, "\(request.error ?? "")")
                #expect(request.baseVersion == index + 1 && request.resultVersion == index + 2 && request.ledgerSequence == index + 1)
                #expect(request.outcome?.grade == "exact" && request.outcome?.audit == nil)
                #expect(request.outcome?.metrics["after.FA"] == 0)
                let download = try await client.send(.get, "/v1/requests/\(id)/certificate", as: .auditor)
                #expect(download.headers[.contentDisposition]?.contains("certificate-\(id).json") == true)
                let certificate = try ErasureCertificate.verify(download.body, file: "download", publicKey: key)
                let record = certificate.record
                #expect(record.request == id && record.reference == "DSAR-\(index)" && record.model == "tiny")
                #expect(record.before.version == index + 1 && record.after.version == index + 2)
                #expect(record.after.sha256 == model.versions?[index + 1].sha256)
                #expect(record.seed == 5 && record.method == "retrain")
                // The subject is a commitment that its salt opens, and the name appears nowhere.
                let stored = try fixture.service.database.request(id)
                #expect(record.subjects == [ErasureJob.commitment(classes[index], stored.subjectSalts[0])])
                #expect(!certificate.entry.text.contains(classes[index]))
            }
            // The stored files are what the versions say.
            for version in model.versions ?? [] {
                let data = try Data(contentsOf: fixture.service.store.url(for: version.sha256))
                #expect(sha256Hex(data) == version.sha256)
            }
            let ledger = try await client.send(.get, "/v1/ledger?limit=1", as: .auditor).decode(LedgerPage.self)
            #expect(ledger.entries.map(\.sequence) == [1] && ledger.next == 1)
            let rest = try await client.send(.get, "/v1/ledger?after=1", as: .auditor).decode(LedgerPage.self)
            #expect(rest.entries.map(\.sequence) == [2] && rest.next == nil)
            #expect(try fixture.service.database.verifyLedger(with: key).verifiedCount == 2)
            // A subject forgotten already cannot be asked for again.
            let again = try await client.send(.post, "/v1/requests", as: .requester,
                                              body: Submission(model: "tiny", subjects: [classes[0]], reference: "again"))
            #expect(again.status == .unprocessableContent)
            let metrics = String(decoding: try await client.send(.get, "/metrics", as: nil).body, as: UTF8.self)
            #expect(metrics.contains("qpae_requests{state=\"completed\"} 2"))
            #expect(metrics.contains("qpae_job_duration_seconds_count{state=\"completed\"} 2"))
            #expect(metrics.contains("qpae_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/requests\",status=\"202\"} 2"))
        }
    }

    @Test func anErasureTheAuditRejectsWaitsForRetrainingAndIsNeverPromoted() async throws {
        let fixture = try ServiceFixture()
        let subject = ServiceFixture.classes[0]
        try await fixture.test { client in
            _ = try await client.registerModel()
            // QPAudioEraser with every part switched off leaves the model as it was: the audit must see the speaker.
            let configuration = JSONValue.object(["epochs": .integer(0), "without": .array(["interference", "superposition",
                "fine-tune", "entropy", "mixing"].map(JSONValue.string))])
            let id = try await client.send(.post, "/v1/requests", as: .requester,
                                           body: Submission(model: "tiny", subjects: [subject], reference: "R-1",
                                                            configuration: configuration)).decode(RequestResource.self).id
            #expect(fixture.service.runNextRequest())
            let waiting = try await client.send(.get, "/v1/requests/\(id)", as: .operator).decode(RequestResource.self)
            #expect(waiting.state == .needsExactFallback)
            #expect(waiting.outcome?.audit?.verdict == "not forgotten")
            #expect(waiting.outcome?.fallback?.contains("retrain without \(subject)") == true)
            #expect(waiting.certificate == nil && waiting.ledgerSequence == nil)
            #expect(try await client.send(.get, "/v1/requests/\(id)/certificate", as: .operator).status == .notFound)
            #expect(try await client.send(.get, "/v1/models/tiny", as: .operator).decode(ModelResource.self).activeVersion == 1)
            #expect(try fixture.service.database.ledgerEntries().isEmpty)

            let approved = try await client.send(.post, "/v1/requests/\(id)/retraining", as: .operator)
            #expect(approved.status == .accepted)
            #expect(try approved.decode(RequestResource.self).state == .queued)
            #expect(try await client.send(.post, "/v1/requests/\(id)/retraining", as: .operator).status == .conflict)
            #expect(fixture.service.runNextRequest())
            let done = try await client.send(.get, "/v1/requests/\(id)", as: .requester).decode(RequestResource.self)
            #expect(done.state == .completed && done.method == "retrain" && done.attempts == 2 && done.resultVersion == 2)
            #expect(try fixture.service.database.ledgerEntries().count == 1)
        }
    }

    @Test func aFailingJobIsRecordedWithItsReason() async throws {
        var settings = ServiceFixture.quickSettings
        settings.promotion = .always
        let fixture = try ServiceFixture(settings: settings)
        try await fixture.test { client in
            let registration = ModelRegistration(name: "nodata", path: ServiceFixture.checkpoint.path, dataPath: "/no/such/corpus")
            #expect(try await client.send(.post, "/v1/models", as: .operator, body: registration).status == .created)
            let id = try await client.send(.post, "/v1/requests", as: .operator,
                                           body: Submission(model: "nodata", subjects: [ServiceFixture.classes[0]], reference: "R"))
                .decode(RequestResource.self).id
            #expect(fixture.service.runNextRequest())
            let failed = try await client.send(.get, "/v1/requests/\(id)", as: .operator).decode(RequestResource.self)
            #expect(failed.state == .failed && failed.error?.contains("/no/such/corpus") == true, "\(failed.error ?? "")")
            #expect(try await client.send(.get, "/v1/models/nodata", as: .operator).decode(ModelResource.self).activeVersion == 1)
        }
    }
}
