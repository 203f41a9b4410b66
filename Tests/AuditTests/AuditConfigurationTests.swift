import Foundation
import Testing
import Training
@testable import Audit

@Suite struct AuditConfigurationTests {
    /// Each setting, changed alone, is read back changed: the decoder that tolerates missing settings
    /// (``AuditConfiguration/init(from:)``) must name every field, or a user's change would be dropped.
    @Test func everySettingIsReadBack() throws {
        guard case let .object(defaults) = try JSONValue(encoding: AuditConfiguration()) else {
            Issue.record("the configuration does not encode as an object")
            return
        }
        #expect(defaults.count == 12, "a new setting? read it in AuditConfiguration.init(from:): \(defaults.keys.sorted())")
        for (name, value) in defaults {
            let changed: JSONValue
            switch value {
            case let .integer(number): changed = .integer(number + 1)
            case let .unsigned(number): changed = .unsigned(number + 1)
            case let .number(number): changed = .number(number * 0.9)
            case let .array(values): changed = .array(Array(values.dropLast()))
            default:
                Issue.record("\(name): no change written for \(value)")
                continue
            }
            let configuration = try AuditConfiguration().applying(.object([name: changed]))
            guard case let .object(read) = try JSONValue(encoding: configuration) else { continue }
            #expect(read[name] != value, "\(name) = \(changed) was read back as \(read[name].map(\.description) ?? "nothing")")
        }
    }

    /// A report stored by an earlier version, whose audit settings had another band setting and lacked
    /// today's, still decodes: the missing setting takes its default, the unknown one is ignored.
    @Test func settingsOfAnEarlierVersionStillDecode() throws {
        let stored = #"{"seed": 3, "probeFolds": 5, "bandDeviations": 2}"#
        let configuration = try JSONDecoder().decode(AuditConfiguration.self, from: Data(stored.utf8))
        var expected = AuditConfiguration()
        expected.seed = 3
        #expect(configuration == expected)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(AuditConfiguration.self, from: Data(#"{"probeFolds": "five"}"#.utf8))
        }
    }
}
