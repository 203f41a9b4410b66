import Foundation
import HTTPTypes
import Service
import Testing
import Training

/// Every route in process: the role matrix, idempotency, bad input, and requests carried through to a
/// certificate that verifies with the public key the API hands out.
@Suite(.serialized) struct ServiceAPITests {
    @Test(arguments: Backend.allCases) func theRoleMatrixHolds(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend)
        try await fixture.test { client in
            _ = try await client.registerModel()
            let id = try await client.send(.post, "/v1/requests", as: .requester,
                                           body: Submission(model: "tiny", subjects: [ServiceFixture.classes[0]], reference: "t-1"))
                .decode(RequestResource.self).id
            let submission = Submission(model: "tiny", subjects: [ServiceFixture.classes[1]], reference: "t-2")
            let registration = ModelRegistration(name: "other", path: ServiceFixture.checkpoint.path)
            // (method, path, body, roles allowed); nil: no token at all
            let routes: [(HTTPRequest.Method, String, String?, Set<AccessToken.Role>)] = [
                (.get, "/v1/models", nil, [.requester, .operator, .auditor]),
                (.get, "/v1/models/tiny", nil, [.requester, .operator, .auditor]),
                (.post, "/v1/models", String(decoding: try JSONEncoder().encode(registration), as: UTF8.self), [.operator]),
                (.get, "/v1/requests", nil, [.requester, .operator]),
                (.get, "/v1/requests/\(id)", nil, [.requester, .operator]),
                (.get, "/v1/ledger", nil, [.operator, .auditor]),
                (.post, "/v1/requests", String(decoding: try JSONEncoder().encode(submission), as: UTF8.self), [.requester, .operator]),
            ]
            for (method, path, body, allowed) in routes {
                let anonymous = try await client.send(method, path, as: nil, json: body)
                #expect(anonymous.status == .unauthorized, "\(method) \(path) without a token")
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
                #expect(anonymous.headers[.contentType] == "application/problem+json")
                for role in AccessToken.Role.allCases where !allowed.contains(role) {
                    let answer = try await client.send(method, path, as: role, json: body)
                    #expect(answer.status == .forbidden, "\(method) \(path) as \(role)")
                    #expect(answer.problem?.status == 403)
                }
            }
            for (method, path, body, allowed) in routes where method == .get {
                for role in allowed {
                    #expect(try await client.send(method, path, as: role, json: body).status == .ok, "\(method) \(path) as \(role)")
                }
            }
            // Approving retraining is the operator's; a stranger's token is refused outright.
            #expect(try await client.send(.post, "/v1/requests/\(id)/retraining", as: .requester).status == .forbidden)
            #expect(try await client.send(.post, "/v1/requests/\(id)/retraining", as: .auditor).status == .forbidden)
            #expect(try await client.send(.get, "/v1/models", as: nil, headers: [.authorization: "Bearer qpae_forged"]).status
                    == .unauthorized)
            // Open routes.
            for path in ["/healthz", "/metrics", "/v1/public-key"] {
                #expect(try await client.send(.get, path, as: nil).status == .ok, "\(path)")
            }
        }
    }

    @Test(arguments: Backend.allCases) func requestersSeeOnlyTheirOwnRequests(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend)
        let second = try await fixture.service.database.createToken(role: .requester, name: "another desk")
        try await fixture.test { client in
            _ = try await client.registerModel()
            let mine = try await client.send(.post, "/v1/requests", as: .requester,
                                             body: Submission(model: "tiny", subjects: [ServiceFixture.classes[0]], reference: "mine"))
                .decode(RequestResource.self)
            let theirs = try await client.send(.get, "/v1/requests/\(mine.id)", as: nil, headers: [.authorization: "Bearer \(second)"])
            #expect(theirs.status == .notFound)
            let list = try await client.send(.get, "/v1/requests", as: nil, headers: [.authorization: "Bearer \(second)"])
                .decode(RequestPage.self)
            #expect(list.requests.isEmpty)
            #expect(try await client.send(.get, "/v1/requests", as: .operator).decode(RequestPage.self).requests.map(\.id) == [mine.id])
        }
    }

    @Test(arguments: Backend.allCases) func aRetriedSubmitReturnsTheSameRequest(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend)
        try await fixture.test { client in
            _ = try await client.registerModel()
            let submission = Submission(model: "tiny", subjects: [ServiceFixture.classes[0]], reference: "DSAR-17")
            let first = try await client.send(.post, "/v1/requests", as: .requester, body: submission, headers: [.init("Idempotency-Key")!: "k-1"])
            let again = try await client.send(.post, "/v1/requests", as: .requester, body: submission, headers: [.init("Idempotency-Key")!: "k-1"])
            #expect(first.status == .accepted && again.status == .ok)
            #expect(try first.decode(RequestResource.self).id == (try again.decode(RequestResource.self).id))
            var changed = submission
            changed.subjects = [ServiceFixture.classes[1]]
            let conflicting = try await client.send(.post, "/v1/requests", as: .requester, body: changed, headers: [.init("Idempotency-Key")!: "k-1"])
            #expect(conflicting.status == .conflict)
            // Without a key, a second request for a subject already pending is a conflict too.
            #expect(try await client.send(.post, "/v1/requests", as: .operator, body: submission).status == .conflict)
            #expect(try await fixture.service.database.requests().count == 1)
        }
    }

    @Test(arguments: Backend.allCases) func badInputIsRefusedWithAProblemThatSaysWhy(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend)
        try await fixture.test { client in
            _ = try await client.registerModel()
            let classes = ServiceFixture.classes
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"model": "nope", "subjects": ["\#(classes[0])"], "reference": "r"}"#, .unprocessableContent, "unknown model nope"),
                (#"{"model": "tiny", "subjects": ["nobody"], "reference": "r"}"#, .unprocessableContent, "unknown subject nobody"),
                (#"{"model": "tiny", "subjects": \#(String(decoding: try JSONEncoder().encode(classes), as: UTF8.self)), "reference": "r"}"#,
                 .unprocessableContent, "every remaining class"),
                (#"{"model": "tiny", "subjects": [], "reference": "r"}"#, .unprocessableContent, "at least one"),
                (#"{"model": "tiny", "subjects": ["\#(classes[0])"], "reference": " "}"#, .unprocessableContent, "reference"),
                (#"{"model": "tiny", "subjects": ["\#(classes[0])"], "reference": "r", "method": "magic"}"#, .unprocessableContent, "unknown method magic"),
                (#"{"model": "tiny", "subjects": ["\#(classes[0])"], "reference": "r", "configuration": {"epochs": -1}}"#,
                 .unprocessableContent, "epochs"),
                (#"{"model": "tiny", "subjects": ["\#(classes[0])"], "reference": "r", "preset": "nope"}"#, .unprocessableContent, "preset"),
                (#"{"model": "tiny", "subjects": ["\#(classes[0])"]"#, .badRequest, "malformed JSON"),
                (#"{"model": "tiny", "reference": "r"}"#, .badRequest, "missing field subjects"),
                (#"{"model": "tiny", "subjects": ["\#(classes[0])"], "reference": "\#(String(repeating: "x", count: 5000))"}"#,
                 .contentTooLarge, "larger than"),
            ]
            for (body, status, phrase) in cases {
                let answer = try await client.send(.post, "/v1/requests", as: .requester, json: body)
                #expect(answer.status == status, "\(body.prefix(120))")
                #expect(answer.problem?.detail.contains(phrase) == true, "\(answer.problem?.detail ?? "no problem body") for \(body.prefix(80))")
            }
            #expect(try await client.send(.get, "/v1/requests/no-such-id", as: .operator).status == .notFound)
            #expect(try await client.send(.get, "/v1/models/no-such-model", as: .operator).status == .notFound)
            #expect(try await client.send(.get, "/v1/requests?state=asleep", as: .operator).status == .badRequest)
            #expect(try await client.send(.get, "/v1/ledger?limit=0", as: .auditor).status == .badRequest)
            #expect(try await client.send(.get, "/v1/nothing-here", as: .operator).status == .notFound)
            let duplicate = try await client.send(.post, "/v1/models", as: .operator,
                                                  body: ModelRegistration(name: "tiny", path: ServiceFixture.checkpoint.path))
            #expect(duplicate.status == .conflict)
            let missing = try await client.send(.post, "/v1/models", as: .operator, body: ModelRegistration(name: "x", path: "/no/such.safetensors"))
            #expect(missing.status == .unprocessableContent && missing.problem?.detail.contains("/no/such.safetensors") == true)
            #expect(try await fixture.service.database.requests().isEmpty)
        }
    }
}
