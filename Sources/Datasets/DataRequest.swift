import AudioFeatures
import Checks
import Foundation

/// How a dataset is cut into training and test examples.
public enum SplitMethod: Equatable, Sendable, CustomStringConvertible {
    /// The dataset's own lists (FSDD takes 0–4, Speech Commands' `testing_list.txt`); an official
    /// validation list is folded into training (the trainer holds out its own validation share).
    case official
    /// Per class, a seeded `testFraction` of the recordings (of the speakers, for accents) is test.
    case stratified(testFraction: Double, seed: UInt64)
    /// Per class, a seeded `testFraction` of the speakers is test: no voice is heard on both sides.
    /// For classes that are not speakers (accents, digits, words).
    case bySpeaker(testFraction: Double, seed: UInt64)
    /// Per class, a seeded `testFraction` of the examples is test, wherever they were cut from: clips of
    /// the same speakers, even windows of the same recording, lie on both sides. The paper's accent
    /// protocol; what it measures is who speaks as much as the class (``caveat``).
    case byExample(testFraction: Double, seed: UInt64)

    /// The names `--split` takes: `official`, `stratified`, `by-speaker`, `by-example`.
    public static let names = ["official", "stratified", "by-speaker", "by-example"]

    /// The split named `name` (one of ``names``) with `testFraction` and `seed` where it takes them.
    public init?(name: String, testFraction: Double, seed: UInt64) {
        switch name {
        case "official": self = .official
        case "stratified": self = .stratified(testFraction: testFraction, seed: seed)
        case "by-speaker": self = .bySpeaker(testFraction: testFraction, seed: seed)
        case "by-example": self = .byExample(testFraction: testFraction, seed: seed)
        default: return nil
        }
    }

    /// The form stored in checkpoints and reports: `official` or `stratified test_fraction=0.2 seed=7`
    /// (`by-speaker …`, `by-example …`).
    public var description: String {
        switch self {
        case .official: "official"
        case let .stratified(fraction, seed): "stratified test_fraction=\(fraction) seed=\(seed)"
        case let .bySpeaker(fraction, seed): "by-speaker test_fraction=\(fraction) seed=\(seed)"
        case let .byExample(fraction, seed): "by-example test_fraction=\(fraction) seed=\(seed)"
        }
    }

    /// What a reader of a result must know about the split, or `nil`.
    public var caveat: String? {
        guard case .byExample = self else { return nil }
        return "examples of the same speakers, and of the same recordings, are on both sides: accuracy measures "
            + "who speaks as much as the class (the paper's protocol; --split by-speaker measures the class alone)"
    }

    /// ``description`` followed by the ``caveat`` when there is one, for reports.
    public static func explained(_ description: String) -> String {
        guard let caveat = SplitMethod(description)?.caveat else { return description }
        return "\(description) (\(caveat))"
    }

    /// Parses ``description``; `nil` for anything else.
    public init?(_ text: String) {
        if text == "official" { self = .official; return }
        let fields = text.split(separator: " ")
        guard fields.count == 3,
              let fraction = fields[1].split(separator: "=").last.flatMap({ Double($0) }), fields[1].hasPrefix("test_fraction="),
              let seed = fields[2].split(separator: "=").last.flatMap({ UInt64($0) }), fields[2].hasPrefix("seed="),
              let method = SplitMethod(name: String(fields[0]), testFraction: fraction, seed: seed), method != .official
        else { return nil }
        self = method
    }

    /// The test share and seed of a seeded split; `nil` for the official one.
    var seededShare: (testFraction: Double, seed: UInt64)? {
        switch self {
        case .official: nil
        case let .stratified(fraction, seed), let .bySpeaker(fraction, seed), let .byExample(fraction, seed): (fraction, seed)
        }
    }
}

/// How examples are cut from recordings, by the name used on the command line and in scenario files.
public enum ExamplePlacement: String, CaseIterable, Codable, Sendable {
    /// Where the speech is (``ExampleWindowing``): what new models use.
    case speech
    /// One after another from each recording's start, the last zero-padded: VGGish's and the paper's way.
    case consecutive

    /// The feature settings: ``LogMelSettings/recommended`` or ``LogMelSettings/vggish``, with `hop`
    /// seconds between examples in long recordings (speech only; `nil` places them side by side).
    public func settings(hopSeconds: Double? = nil) -> LogMelSettings {
        switch self {
        case .consecutive: return .vggish
        case .speech:
            var settings = LogMelSettings.recommended
            settings.windowing!.hop = hopSeconds.map { Int(($0 * Double(settings.sampleRate)).rounded()) }
            return settings
        }
    }
}

/// What data to use: a folder (or the built-in synthetic corpus), how to read it and how to split it.
public struct DataRequest: Sendable {
    /// The dataset root; `nil` is the built-in synthetic corpus (its accents when `layout == .accent`).
    public var path: URL?
    /// The folder layout; detected from the folder when `nil`.
    public var layout: DatasetLayout?
    /// What the classes are; the layout's default (speaker, or accent) when `nil`.
    public var classKind: ClassKind?
    /// The split; `nil` is the official split where the layout has one, else
    /// `stratified(testFraction, seed)`.
    public var split: SplitMethod?
    /// The test share of the default stratified split.
    public var testFraction: Double
    /// Seeds the default stratified split and the synthetic corpus.
    public var seed: UInt64
    /// The log-mel features (SPEC §5) and where examples are taken; examples on the speech by default.
    public var settings: LogMelSettings
    /// Where extracted features are cached; `nil` is ``DataRequest/defaultFeatureCache``.
    public var featureCache: URL?
    /// Draw extraction progress on standard error.
    public var showsProgress: Bool

    public init(path: URL? = nil, layout: DatasetLayout? = nil, classKind: ClassKind? = nil, split: SplitMethod? = nil,
                testFraction: Double = 0.2, seed: UInt64 = 0, settings: LogMelSettings = .recommended, featureCache: URL? = nil,
                showsProgress: Bool = false) {
        self.path = path
        self.layout = layout
        self.classKind = classKind
        self.split = split
        self.testFraction = testFraction
        self.seed = seed
        self.settings = settings
        self.featureCache = featureCache
        self.showsProgress = showsProgress
    }

    /// `features/` beside the synthetic corpus in the user's cache (`$QPAE_CACHE` or
    /// `~/.cache/qpaudioeraser`).
    public static var defaultFeatureCache: URL {
        SyntheticCorpus.defaultCacheFolder.deletingLastPathComponent().appendingPathComponent("features")
    }
}

/// Examples with their class indices: one side of a split, as features ready for batching.
public struct LabelledExamples: Sendable {
    public let features: FeatureSet
    /// The class index of each example (into ``PreparedData/classes``).
    public let labels: [Int]

    public init(features: FeatureSet, labels: [Int]) {
        checkPrecondition(features.count == labels.count, "LabelledExamples: \(labels.count) labels for \(features.count) examples")
        self.features = features
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// The indices of the examples whose class is in `classes`.
    public func indices(ofClasses classes: Set<Int>) -> [Int] {
        labels.indices.filter { classes.contains(labels[$0]) }
    }

    /// The indices of the examples whose class is not in `classes`.
    public func indices(excludingClasses classes: Set<Int>) -> [Int] {
        labels.indices.filter { !classes.contains(labels[$0]) }
    }
}
