import Foundation
import Service
import Testing

/// `openapi.yaml` at the repository's root describes exactly the routes the router serves, and the
/// answers every kind of route can give.
@Suite struct OpenAPITests {
    /// Operations in the document: "METHOD /path" → its documented statuses and whether it is open
    /// (`security: []`) and takes a body. Read by indentation: paths at 2 spaces, methods at 4, the
    /// response codes at 8 (the document is written in that shape).
    static func operations() throws -> [String: (statuses: Set<Int>, open: Bool, body: Bool)] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("openapi.yaml")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var operations: [String: (statuses: Set<Int>, open: Bool, body: Bool)] = [:]
        var inPaths = false, path = "", operation: String?
        for line in lines {
            let indent = line.prefix { $0 == " " }.count
            let text = line.trimmingCharacters(in: .whitespaces)
            if indent == 0 { inPaths = text == "paths:"; continue }
            guard inPaths else { continue }
            if indent == 2, text.hasSuffix(":") { path = String(text.dropLast()); operation = nil }
            if indent == 4, ["get:", "post:", "put:", "delete:"].contains(text) {
                operation = text.dropLast().uppercased() + " " + path
                operations[operation!] = ([], false, false)
            }
            guard let operation else { continue }
            if indent == 6, text == "security: []" { operations[operation]!.open = true }
            if indent == 6, text.hasPrefix("requestBody:") { operations[operation]!.body = true }
            if indent == 8, text.hasPrefix("\""), let status = Int(text.dropFirst().prefix(3)) {
                operations[operation]!.statuses.insert(status)
            }
        }
        return operations
    }

    @Test func theDocumentDescribesEveryRouteAndNoOther() async throws {
        let fixture = try await ServiceFixture()
        let served = Set(ServiceAPI.router(for: fixture.service).routes.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.operations()
        #expect(Set(documented.keys) == served)
        #expect(served.count >= 13)
    }

    @Test func everyOperationDocumentsTheAnswersItCanGive() throws {
        for (operation, described) in try Self.operations() {
            #expect(described.statuses.contains { (200 ..< 400).contains($0) }, "\(operation): no success answer")
            if !described.open && operation != "GET /status" {
                #expect(described.statuses.contains(401), "\(operation): a route that needs a token answers 401")
            }
            if described.body {
                #expect(described.statuses.isSuperset(of: [400, 413, 422]), "\(operation): a body can be malformed, too large or wrong")
            }
            if operation.contains("{") { #expect(described.statuses.contains(404), "\(operation): the path names something that may not exist") }
        }
    }
}
