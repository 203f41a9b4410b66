import Checks
import AudioFeatures
import Foundation

/// The log-mel features of many examples, stored flat, with where each example came from.
///
/// `values` holds `count × melBandCount × frameCount` floats, row-major: example `i` is the block
/// `values[i·featureCount ..< (i+1)·featureCount]`, itself `1 × melBandCount × frameCount` in
/// (channel, mel, time) order (`1 × 64 × 96` = 6,144 values for VGGish, SPEC §5), exactly as
/// ``LogMelExtractor/logMel(example:)`` returns it. Example `i` was cut from recording
/// `recordingIDs[i]` at position `exampleIndices[i]` (0 for its first 0.975 s), so a split keeps all
/// examples of a recording together and utterance-level prediction can average their logits.
///
/// ```swift
/// let (features, report) = try extractFeatures(for: split.train)
/// let first = features.example(at: 0)          // 6,144 floats, first[band * 96 + frame]
/// let statistics = features.normalizationStatistics()   // record in the checkpoint
/// ```
public struct FeatureSet: Equatable, Sendable {
    /// The framing and mel constants the features were made with.
    public let settings: LogMelSettings
    /// All examples back to back, `count · featureCount` floats.
    public let values: [Float]
    /// The ``Recording/id`` of each example's recording.
    public let recordingIDs: [String]
    /// Each example's position within its recording, from 0.
    public let exampleIndices: [Int]

    /// Wraps extracted features.
    ///
    /// - Precondition: `recordingIDs` and `exampleIndices` have one entry per example and
    ///   `values.count == recordingIDs.count · settings.featureCount`.
    public init(settings: LogMelSettings, values: [Float], recordingIDs: [String], exampleIndices: [Int]) {
        checkPrecondition(recordingIDs.count == exampleIndices.count,
                          "FeatureSet: \(recordingIDs.count) recording ids but \(exampleIndices.count) example indices")
        checkPrecondition(values.count == recordingIDs.count * settings.featureCount,
                          "FeatureSet: \(values.count) values for \(recordingIDs.count) examples of "
                          + "\(settings.featureCount) (\(settings.melBandCount) × \(settings.frameCount))")
        self.settings = settings
        self.values = values
        self.recordingIDs = recordingIDs
        self.exampleIndices = exampleIndices
    }

    /// No examples.
    public init(settings: LogMelSettings) {
        self.init(settings: settings, values: [], recordingIDs: [], exampleIndices: [])
    }

    /// Number of examples.
    public var count: Int { recordingIDs.count }

    /// Whether there are no examples.
    public var isEmpty: Bool { recordingIDs.isEmpty }

    /// The shape of one example, `[1, melBandCount, frameCount]` (`[1, 64, 96]` for VGGish).
    public var featureShape: [Int] { [1, settings.melBandCount, settings.frameCount] }

    /// Values in one example, `melBandCount · frameCount`.
    public var featureCount: Int { settings.featureCount }

    /// The range of `values` that holds example `index`.
    public func valueRange(of index: Int) -> Range<Int> {
        checkPrecondition(0 <= index && index < count, "FeatureSet: example \(index) out of 0..<\(count)")
        return index * featureCount ..< (index + 1) * featureCount
    }

    /// The features of example `index` without copying, `featureCount` values in (mel, time) order.
    public func features(at index: Int) -> ArraySlice<Float> { values[valueRange(of: index)] }

    /// The features of example `index` as a new array.
    public func example(at index: Int) -> [Float] { Array(features(at: index)) }

    /// The indices of the examples cut from recording `id`, in order.
    public func exampleIndices(ofRecording id: String) -> [Int] {
        recordingIDs.indices.filter { recordingIDs[$0] == id }
    }

    /// The examples at `indices`, in that order (with their recording IDs and example indices).
    public func subset(_ indices: [Int]) -> FeatureSet {
        var selected = [Float]()
        selected.reserveCapacity(indices.count * featureCount)
        for index in indices { selected += features(at: index) }
        return FeatureSet(settings: settings, values: selected, recordingIDs: indices.map { recordingIDs[$0] },
                          exampleIndices: indices.map { exampleIndices[$0] })
    }

    /// One scalar mean and standard deviation over every value (SPEC §5), for normalising inputs.
    public func normalizationStatistics() -> NormalizationStatistics {
        NormalizationStatistics(of: values)
    }
}

/// One scalar mean and one scalar standard deviation over all feature values of the training split
/// (SPEC §5); recorded in the checkpoint so inference normalises as training did.
///
/// Both are computed in `Double` in two passes, `μ = Σx/n` and `σ = √(Σ(x − μ)²/n)`: the population
/// deviation (NumPy's `std` with `ddof=0`). No values give `μ = 0, σ = 1`, which normalises to identity.
public struct NormalizationStatistics: Codable, Hashable, Sendable {
    /// The mean of all values.
    public var mean: Float
    /// The population standard deviation of all values.
    public var standardDeviation: Float

    public init(mean: Float, standardDeviation: Float) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// Computes the statistics of `values`.
    public init<Values: Collection>(of values: Values) where Values.Element == Float {
        guard !values.isEmpty else {
            self.init(mean: 0, standardDeviation: 1)
            return
        }
        var sum = 0.0
        for value in values { sum += Double(value) }
        let mean = sum / Double(values.count)
        var squares = 0.0
        for value in values {
            let deviation = Double(value) - mean
            squares += deviation * deviation
        }
        self.init(mean: Float(mean), standardDeviation: Float((squares / Double(values.count)).squareRoot()))
    }

    /// `(x − mean) / standardDeviation` for each value; a zero deviation divides by 1 instead.
    public func normalize(_ values: inout [Float]) {
        let scale = standardDeviation > 0 ? 1 / standardDeviation : 1
        for index in values.indices { values[index] = (values[index] - mean) * scale }
    }
}
