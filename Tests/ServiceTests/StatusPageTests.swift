import Foundation
import Service
import Testing
import TestSupport
import Training

/// The status page as a browser shows it: headless Chromium (Debian's `chromium-headless-shell`) loads
/// it from a live server, signing in with a token as the Basic password, and the test reads the DOM.
@Suite(.serialized) struct StatusPageTests {
    @Test func theBrowserShowsRequestsDeadlinesCertificatesAndCharts() async throws {
        #expect(HeadlessChromium.isInstalled, "install chromium-headless-shell (scripts/install-system-deps)")
        var settings = ServiceFixture.quickSettings
        settings.deadline = 1                                   // so the request still queued is overdue
        let fixture = try await ServiceFixture(settings: settings)
        let classes = ServiceFixture.classes
        let nothing = JSONValue.object(["epochs": .integer(0), "without": .array(["interference", "superposition",
            "fine-tune", "entropy", "mixing"].map(JSONValue.string))])
        // Requests go in through the routes in process: the live test client gives up on a request after
        // 20 s, which a full parallel test run on 2 cores can exceed while other suites train.
        let ids = try await fixture.test(.router) { client in
            _ = try await client.registerModel()
            var ids: [String] = []
            for (index, (method, configuration)) in [("retrain", JSONValue?.none), ("qpaudioeraser", nothing), ("retrain", nil)].enumerated() {
                ids.append(try await client.send(.post, "/v1/requests", as: .requester,
                                                 body: Submission(model: "tiny", subjects: [classes[index]], reference: "DSAR-\(index)",
                                                                  method: method, configuration: configuration))
                    .decode(RequestResource.self).id)
            }
            return ids
        }
        #expect(await fixture.service.runNextRequest())
        #expect(await fixture.service.runNextRequest())                            // the third stays queued
        try await Task.sleep(for: .seconds(1.1))
        try await fixture.test(.live) { client in
            let port = try #require(client.client.port)
            let page = try await HeadlessChromium.dumpDOM("http://operator:\(fixture.tokens[.operator]!)@127.0.0.1:\(port)/status")

            #expect(page.contains("<h1>Erasure requests</h1>"), "\(page.prefix(500))")
            #expect(page.contains(#"<tr class="state-completed" id="request-\#(ids[0])">"#))
            #expect(page.contains(#"<tr class="state-needs-exact-fallback" id="request-\#(ids[1])">"#))
            #expect(page.contains(#"<tr class="state-queued" id="request-\#(ids[2])">"#))
            #expect(page.contains(#"href="/v1/requests/\#(ids[0])/certificate""#))
            #expect(page.contains("Audit: <strong>not forgotten</strong>"))
            #expect(page.contains("Exact fallback"))
            #expect(page.contains("overdue by"))
            for subject in classes.prefix(3) { #expect(page.contains(subject)) }      // the operator sees whom
            let charts = page.components(separatedBy: "<svg").count - 1
            #expect(charts == 3, "before/after bars for both finished requests, the relearning curves of the audited one")
            #expect(page.contains("Relearning with"))

            // An auditor sees the same requests without the names; without a token there is a sign-in page.
            let audited = try await HeadlessChromium.dumpDOM("http://auditor:\(fixture.tokens[.auditor]!)@127.0.0.1:\(port)/status")
            #expect(audited.contains(#"id="request-\#(ids[0])""#) && audited.contains("1 subject"))
            for subject in classes.prefix(3) { #expect(!audited.contains(">\(subject)<")) }
            #expect(try await HeadlessChromium.dumpDOM("http://127.0.0.1:\(port)/status").contains("Sign in"))
        }
    }
}
