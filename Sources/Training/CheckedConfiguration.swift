import Foundation

/// The settings of one method or run as one `Codable` struct: the only place their names and defaults
/// live. Everything else is derived from it: the flat `settings` of reports and checkpoint histories
/// (``settings``), the partial JSON that scenario files, the command line and a server send
/// (``applying(_:)``), and the checks that every entry point runs (``validate()``).
///
/// ```swift
/// var configuration = TrainingConfiguration(epochs: 30)
/// configuration = try configuration.applying(JSONValue(parsing: #"{"batchSize": 64}"#))
/// try configuration.applying(JSONValue(parsing: #"{"batchSize": 0}"#))
/// // ConfigurationError: "setting batchSize = 0: must be 1 or more"
/// configuration.settings["batchSize"]        // "64"
/// ```
public protocol CheckedConfiguration: Codable, Equatable, Sendable {
    /// Throws a ``ConfigurationError`` naming the first field whose value is outside its range (use
    /// the ``Check`` helpers). Called before any work starts, by every entry point.
    func validate() throws
}

extension CheckedConfiguration {
    /// Every field under its name (nested ones as `batchPlan.retainFraction`), as JSON writes the value:
    /// what reports and a checkpoint's history record.
    public var settings: [String: String] {
        (try? JSONValue(encoding: self))?.flattened() ?? [:]
    }

    /// This configuration with the fields that `changes` names replaced, checked with ``validate()``.
    ///
    /// `changes` is a JSON object naming only what it changes (nested objects likewise); `{}` changes
    /// nothing.
    ///
    /// - Throws: ``ConfigurationError`` for a field this configuration does not have (with the list of
    ///   those it has), a value of the wrong kind, or a value out of range.
    public func applying(_ changes: JSONValue) throws -> Self {
        let merged = try Self.merge(changes, into: try JSONValue(encoding: self), path: "")
        let changed: Self
        do {
            changed = try merged.decode(Self.self)
        } catch let error as DecodingError {
            throw ConfigurationError(error)
        } catch let EncodingError.invalidValue(value, context) {         // NaN or ±∞, which JSON cannot hold
            throw ConfigurationError(field: context.codingPath.map(\.stringValue).joined(separator: "."),
                                     problem: .outOfRange(value: "\(value)", allowed: "a finite number"))
        }
        try changed.validate()
        return changed
    }

    private static func merge(_ changes: JSONValue, into base: JSONValue, path: String) throws -> JSONValue {
        guard case var .object(members) = base else { return changes }
        guard case let .object(given) = changes else {
            throw ConfigurationError(field: path, problem: .notAnObject(given: changes.description))
        }
        for (key, value) in given {
            let field = path.isEmpty ? key : path + "." + key
            guard let current = members[key] else {
                throw ConfigurationError(field: field, problem: .unknownField(known: members.keys.sorted()))
            }
            members[key] = try merge(value, into: current, path: field)
        }
        return .object(members)
    }
}

/// A setting that cannot be used as given, named with its value and what would be allowed.
public struct ConfigurationError: Error, Equatable, Sendable {
    public enum Problem: Equatable, Sendable {
        case outOfRange(value: String, allowed: String)
        /// The configuration has no such field; `known` lists the fields at that level.
        case unknownField(known: [String])
        /// The value has the wrong kind (`"five"` for a number, an unknown name for a choice).
        case invalidValue(reason: String)
        /// Changes for a group of settings must be a JSON object.
        case notAnObject(given: String)
    }

    /// The field's dotted path, `batchPlan.retainFraction`; empty for the configuration as a whole.
    public var field: String
    public var problem: Problem
    /// Whose settings these are (`QPAudioEraser`, `recipe`), when known.
    public var owner: String?

    public init(field: String, problem: Problem, owner: String? = nil) {
        self.field = field
        self.problem = problem
        self.owner = owner
    }

    public init(_ error: DecodingError) {
        let context: DecodingError.Context
        switch error {
        case let .typeMismatch(_, c), let .valueNotFound(_, c), let .keyNotFound(_, c), let .dataCorrupted(c): context = c
        @unknown default: context = .init(codingPath: [], debugDescription: String(describing: error))
        }
        self.init(field: context.codingPath.map(\.stringValue).joined(separator: "."),
                  problem: .invalidValue(reason: context.debugDescription))
    }

    /// Runs `body`, naming `owner` and putting `prefix.` before the field of a ``ConfigurationError`` it
    /// throws (for a nested group of settings, or to say whose settings they are).
    public static func within<T>(owner: String? = nil, prefix: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as ConfigurationError {
            if let prefix { error.field = error.field.isEmpty ? prefix : prefix + "." + error.field }
            if error.owner == nil { error.owner = owner }
            throw error
        }
    }
}

extension ConfigurationError: CustomStringConvertible, LocalizedError {
    public var description: String {
        let whose = owner.map { "\($0) " } ?? ""
        switch problem {
        case let .outOfRange(value, allowed):
            return "\(whose)setting \(field) = \(value): must be \(allowed)"
        case let .unknownField(known):
            return "\(whose)has no setting '\(field)' (its settings here: \(known.joined(separator: ", ")))"
        case let .invalidValue(reason):
            return "\(whose)setting \(field.isEmpty ? "value" : field): \(reason)"
        case let .notAnObject(given):
            return "\(whose)settings\(field.isEmpty ? "" : " " + field) must be a JSON object of fields, not \(given)"
        }
    }

    public var errorDescription: String? { description }
}

/// The range checks of ``CheckedConfiguration/validate()``: each throws a ``ConfigurationError``
/// naming the field, its value and the allowed range.
///
/// ```swift
/// public func validate() throws {
///     try Check.count("epochs", epochs, atLeast: 0)
///     try Check.positive("learningRate", learningRate)
/// }
/// ```
public enum Check {
    /// Throws unless `isAllowed`, describing what is allowed as `allowed` (it follows "must be").
    public static func that(_ isAllowed: Bool, _ field: String, _ value: some CustomStringConvertible,
                            allowed: String) throws {
        guard !isAllowed else { return }
        throw ConfigurationError(field: field, problem: .outOfRange(value: value.description, allowed: allowed))
    }

    /// An integer of at least `minimum`.
    public static func count(_ field: String, _ value: Int, atLeast minimum: Int) throws {
        try that(value >= minimum, field, value, allowed: "\(minimum) or more")
    }

    /// A finite number above 0.
    public static func positive<T: BinaryFloatingPoint & CustomStringConvertible>(_ field: String, _ value: T) throws {
        try that(value.isFinite && value > 0, field, value, allowed: "a finite number above 0")
    }

    /// A finite number of at least 0.
    public static func nonNegative<T: BinaryFloatingPoint & CustomStringConvertible>(_ field: String, _ value: T) throws {
        try that(value.isFinite && value >= 0, field, value, allowed: "a finite number, 0 or more")
    }

    /// A finite number.
    public static func finite<T: BinaryFloatingPoint & CustomStringConvertible>(_ field: String, _ value: T) throws {
        try that(value.isFinite, field, value, allowed: "a finite number")
    }

    /// A number in `range`.
    public static func within<T: BinaryFloatingPoint & CustomStringConvertible>(_ field: String, _ value: T,
                                                                                 _ range: ClosedRange<T>) throws {
        try that(range.contains(value), field, value, allowed: "in \(range.lowerBound)…\(range.upperBound)")
    }

    /// A number in `range` (its upper bound excluded).
    public static func within<T: BinaryFloatingPoint & CustomStringConvertible>(_ field: String, _ value: T,
                                                                                 _ range: Range<T>) throws {
        try that(range.contains(value), field, value, allowed: "in \(range.lowerBound) to below \(range.upperBound)")
    }
}

/// A setting that takes one of a fixed set of names (an enumeration of strings): decoding any other name
/// fails with the names it takes, so `--setting rowEdit=bogus` says what would do.
public protocol SettingChoice: RawRepresentable<String>, CaseIterable, Codable {}

extension SettingChoice {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let choice = Self(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "no such choice '\(name)' (one of: \(Self.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = choice
    }
}
