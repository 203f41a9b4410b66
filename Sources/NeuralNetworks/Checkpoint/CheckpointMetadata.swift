import Foundation

/// What a QPAudioEraser checkpoint records beside its tensors, so that the file alone rebuilds the model
/// and the inputs it expects: the architecture, the class names (their order is the logits' order), the
/// seed of the run, and the feature settings (sample rate, FFT and hop lengths, mel bands, the training
/// split's normalisation mean and standard deviation, …).
///
/// Stored as plain entries of the safetensors `__metadata__` map rather than one JSON blob, so that
/// Python reads each with `safe_open(path, "np").metadata()["architecture"]`:
///
/// | key                | value                                                          |
/// |--------------------|----------------------------------------------------------------|
/// | `architecture`     | the name as on the command line: `cnn`, `resnet18`, `vit-tiny` |
/// | `class_names`      | a JSON array of strings: `["george","jackson",…]`              |
/// | `seed`             | a decimal `UInt64`; absent when unknown                        |
/// | `feature_settings` | a JSON object of numbers with the `AudioFeatures` parameter names (`sampleRate`, `fftLength`, `hopLength`, `melBandCount`, `mean`, `standardDeviation`); `"nan"`, `"inf"`, `"-inf"` for non-finite values; absent when empty |
///
/// Any other entry is kept in ``additional``, so that a file written by a newer version or by hand
/// round-trips. The architecture is a string because `NeuralNetworks` sits below `Models`
/// (`Architecture(rawValue:)` turns it into the enum).
///
/// ```swift
/// let metadata = CheckpointMetadata(architecture: "cnn", classNames: ["zero", "one"], seed: 7,
///                                   featureSettings: ["sampleRate": 16_000, "melBandCount": 64])
/// try model.save(to: url, metadata: metadata)
/// let read = try CheckpointMetadata(SafeTensors(contentsOf: url).metadata, file: url.path)
/// ```
public struct CheckpointMetadata: Equatable, Sendable {
    public var architecture: String
    public var classNames: [String]
    public var seed: UInt64?
    public var featureSettings: [String: Double]
    /// Entries under other keys; one under a key above is ignored by ``entries``.
    public var additional: [String: String]

    /// The metadata keys this type reads and writes.
    public enum Key {
        public static let architecture = "architecture"
        public static let classNames = "class_names"
        public static let seed = "seed"
        public static let featureSettings = "feature_settings"
        static let all: Set<String> = [architecture, classNames, seed, featureSettings]
    }

    public init(architecture: String, classNames: [String], seed: UInt64? = nil,
                featureSettings: [String: Double] = [:], additional: [String: String] = [:]) {
        self.architecture = architecture
        self.classNames = classNames
        self.seed = seed
        self.featureSettings = featureSettings
        self.additional = additional
    }

    /// The safetensors metadata map (see the table above); JSON values with sorted keys, so equal
    /// metadata gives equal bytes.
    public var entries: [String: String] {
        var entries = additional.filter { !Key.all.contains($0.key) }
        entries[Key.architecture] = architecture
        entries[Key.classNames] = Self.json(classNames)
        if let seed { entries[Key.seed] = String(seed) }
        if !featureSettings.isEmpty { entries[Key.featureSettings] = Self.json(featureSettings) }
        return entries
    }

    /// Decodes a safetensors metadata map; `file` names the file in errors.
    ///
    /// - Throws: ``CheckpointError`` `.invalidMetadata` when `architecture` or `class_names` is absent, or
    ///   an entry does not hold what the table above says.
    public init(_ entries: [String: String], file: String? = nil) throws {
        func failure(_ key: String, _ reason: String) -> CheckpointError {
            CheckpointError(file: file, problem: .invalidMetadata(key: key, reason: reason))
        }
        func decode<Value: Decodable>(_ type: Value.Type, _ key: String, _ what: String) throws -> Value? {
            guard let text = entries[key] else { return nil }
            do {
                return try Self.decoder.decode(Value.self, from: Data(text.utf8))
            } catch {
                throw failure(key, "is not \(what): \(text.prefix(80))")
            }
        }
        guard let architecture = entries[Key.architecture] else { throw failure(Key.architecture, "is missing") }
        guard let classNames = try decode([String].self, Key.classNames, "a JSON array of strings") else {
            throw failure(Key.classNames, "is missing")
        }
        var seed: UInt64?
        if let text = entries[Key.seed] {
            guard let value = UInt64(text) else { throw failure(Key.seed, "is not a decimal UInt64: \(text.prefix(80))") }
            seed = value
        }
        let featureSettings = try decode([String: Double].self, Key.featureSettings, "a JSON object of numbers")
        self.init(architecture: architecture, classNames: classNames, seed: seed, featureSettings: featureSettings ?? [:],
                  additional: entries.filter { !Key.all.contains($0.key) })
    }

    private static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        // Arrays of strings and dictionaries of numbers, with non-finite numbers as strings, always encode.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                        nan: "nan")
        return decoder
    }
}
