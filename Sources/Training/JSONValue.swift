import Foundation

/// Any JSON value, kept exactly: the form in which settings travel between a scenario file, the command
/// line, a server's request body and a configuration struct (``CheckedConfiguration/applying(_:)``).
///
/// Integers stay integers (a 64-bit seed survives, which a `Double` would round), and objects encode
/// with their keys sorted, so equal values give equal bytes. Numbers compare by value: `2` read back
/// from `.number(2)`'s JSON is `.integer(2)`, and equal to it.
///
/// ```swift
/// let changes = try JSONValue(parsing: #"{"epochs": 1, "batchPlan": {"retainFraction": 0.25}}"#)
/// changes["batchPlan"]?["retainFraction"]     // .number(0.25)
/// changes.flattened()                          // ["epochs": "1", "batchPlan.retainFraction": "0.25"]
/// ```
public enum JSONValue: Codable, Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    /// An integer above `Int64.max`.
    case unsigned(UInt64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .unsigned(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .integer(value): try container.encode(value)
        case let .unsigned(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a == b
        case let (.integer(a), .integer(b)): a == b
        case let (.unsigned(a), .unsigned(b)): a == b
        default: lhs.numericValue.map { a in rhs.numericValue.map { a == $0 } ?? false } ?? false
        }
    }

    /// A number as a `Double` (for comparing an integer with a floating-point number); `nil` otherwise.
    private var numericValue: Double? {
        switch self {
        case let .integer(value): Double(value)
        case let .unsigned(value): Double(value)
        case let .number(value): value
        default: nil
        }
    }

    /// Parses JSON text; a bare scalar (`3`, `true`, `"x"`) is a value too.
    public init(parsing text: String) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// `value` encoded by `JSONEncoder` and read back as a ``JSONValue``.
    public init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Self.encoder.encode(value))
    }

    /// Decodes `type` from this value.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Self.encoder.encode(self))
    }

    /// The member `key` of an object; `nil` for a missing key or another kind of value.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members[key]
    }

    /// Sets `value` at the dotted `path` (`batchPlan.retainFraction`) of an object, making the objects on
    /// the way; a value that is not an object on the way is replaced by one.
    public mutating func set(_ value: JSONValue, at path: String) {
        var keys = path.split(separator: ".").map(String.init)
        guard !keys.isEmpty else { self = value; return }
        var members: [String: JSONValue] = if case let .object(members) = self { members } else { [:] }
        let first = keys.removeFirst()
        var member = members[first] ?? .object([:])
        member.set(value, at: keys.joined(separator: "."))
        members[first] = member
        self = .object(members)
    }

    /// This object with `other`'s members written over it, objects merged member by member at every depth:
    /// `{"a":1,"b":{"c":2}}` merging `{"b":{"d":3}}` is `{"a":1,"b":{"c":2,"d":3}}`. Any other value
    /// `other` replaces.
    public func merging(_ other: JSONValue) -> JSONValue {
        guard case var .object(members) = self, case let .object(changes) = other else { return other }
        for (key, value) in changes { members[key] = members[key].map { $0.merging(value) } ?? value }
        return .object(members)
    }

    /// Compact JSON with sorted keys: `{"epochs":1}`.
    public var description: String {
        String(decoding: (try? Self.encoder.encode(self)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// Every scalar under its dotted path (`batchPlan.retainFraction`), written as JSON writes it; an
    /// array of scalars as one comma-separated entry (`learningRateDecayEpochs` → `3,5,9`), an empty one
    /// as `none`. A scalar at the top is under `""`.
    public func flattened() -> [String: String] {
        var entries: [String: String] = [:]
        func visit(_ value: JSONValue, path: String) {
            switch value {
            case let .object(members):
                for (key, member) in members { visit(member, path: path.isEmpty ? key : path + "." + key) }
            case let .array(elements):
                entries[path] = elements.isEmpty ? "none" : elements.map(\.scalarText).joined(separator: ",")
            default:
                entries[path] = value.scalarText
            }
        }
        visit(self, path: "")
        return entries
    }

    /// A scalar as it reads in a table: strings without quotes, numbers and `null` as JSON writes them.
    var scalarText: String {
        if case let .string(text) = self { return text }
        return description
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
