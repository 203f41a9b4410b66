import AudioFeatures
import Foundation
import Tensors

/// A dataset read, split and turned into labelled log-mel examples: what training and evaluation start from.
///
/// ```swift
/// let data = try PreparedData(DataRequest(path: URL(fileURLWithPath: "../shared/data/fsdd")))
/// data.classes            // ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
/// data.train.count        // 2700 examples
/// ```
public struct PreparedData: Sendable {
    /// The dataset's root as found (``DatasetIndex/root``; the synthetic corpus's folder when no path was
    /// given).
    public let root: URL
    /// Whether `root` is the built-in synthetic corpus.
    public let isSynthetic: Bool
    public let index: DatasetIndex
    public let classKind: ClassKind
    public let splitMethod: SplitMethod
    /// Class names in label order (sorted as ``DatasetIndex/classes(for:)``).
    public let classes: [String]
    public let train: LabelledExamples
    public let test: LabelledExamples
    /// The class index of every recording of the split, by ``Recording/id`` (skipped ones included).
    public let recordingClasses: [String: Int]
    /// Per recording id, the examples kept and windows dropped (``ExampleWindowing``).
    public let windows: [String: WindowCounts]
    /// What the feature cache did, and files skipped as unreadable.
    public let notes: [String]
    /// Seconds spent listing, splitting and extracting (or loading) features.
    public let seconds: Double

    public var layout: DatasetLayout { index.layout }
    /// See ``DatasetIndex/fingerprint``.
    public var fingerprint: String { index.fingerprint }

    /// Lists, splits and extracts (through the feature cache) the data of `request`.
    ///
    /// - Throws: ``DatasetError`` for a missing or unreadable folder, a test fraction outside (0, 1), or
    ///   a split that leaves no training or no test examples (``DatasetError/emptySplit(part:dataset:)``);
    ///   ``SpeechSynthesisError`` when the synthetic corpus cannot be generated.
    public init(_ request: DataRequest) throws {
        let start = Date()
        let root = try SyntheticCorpus.dataFolder(for: request.path, accents: request.layout == .accent,
                                                  seed: request.seed)
        let index = try DatasetIndex(root: root, layout: request.layout)
        let accents = (request.classKind ?? index.layout.defaultClassKind) == .accent
        let splitMethod = request.split ?? (index.hasOfficialSplit ? .official
            : accents ? .bySpeaker(testFraction: request.testFraction, seed: request.seed)
            : .stratified(testFraction: request.testFraction, seed: request.seed))
        if let (fraction, _) = splitMethod.seededShare, !(fraction > 0 && fraction < 1) {
            throw DatasetError.invalidTestFraction(fraction)
        }
        let split: DatasetSplit
        switch splitMethod {
        case .official:
            split = try DatasetSplit.official(index, classKind: request.classKind)
        case let .stratified(fraction, seed), let .bySpeaker(fraction, seed):
            split = try DatasetSplit.stratified(index, classKind: request.classKind, testFraction: fraction, seed: seed,
                                                bySpeaker: splitMethod == .bySpeaker(testFraction: fraction, seed: seed))
        case .byExample:
            split = try DatasetSplit.whole(index, classKind: request.classKind)   // examples are split below
        }
        let classes = split.classes
        let labelOfRecording = Dictionary(uniqueKeysWithValues: (split.train + split.validation + split.test).map {
            ($0.id, classes.firstIndex(of: split.label(of: $0))!)
        })
        let cache = FeatureCache(folder: request.featureCache ?? DataRequest.defaultFeatureCache)
        var notes = index.location.map { [$0] } ?? []
        var windows: [String: WindowCounts] = [:]
        func examples(_ recordings: [Recording], part: String) throws -> LabelledExamples {
            let progress = request.showsProgress ? ProgressReporter(total: recordings.count, label: "features (\(part))") : nil
            let (features, report, fromCache) = try cache.features(for: recordings, settings: request.settings,
                                                                   progress: progress)
            if !fromCache { progress?.finish() }
            notes += report.notes.map { "\(part): \($0)" } + report.skipped.map { "\(part): skipped \($0)" }
            windows.merge(report.windows) { first, _ in first }
            guard !features.isEmpty else {
                throw DatasetError.emptySplit(part: part, dataset: root.path)
            }
            return LabelledExamples(features: features, labels: features.recordingIDs.map { labelOfRecording[$0]! })
        }
        if case let .byExample(fraction, seed) = splitMethod {
            let all = try examples(split.train, part: "all")
            let (trainIndices, testIndices) = Self.splitExamples(labels: all.labels, testFraction: fraction, seed: seed)
            train = LabelledExamples(features: all.features.subset(trainIndices), labels: trainIndices.map { all.labels[$0] })
            test = LabelledExamples(features: all.features.subset(testIndices), labels: testIndices.map { all.labels[$0] })
            guard !test.features.isEmpty else { throw DatasetError.emptySplit(part: "test", dataset: root.path) }
            notes.append("split by example: \(splitMethod.caveat!)")
        } else {
            train = try examples(split.train + split.validation, part: "train")
            test = try examples(split.test, part: "test")
        }
        self.root = index.root
        self.index = index
        self.splitMethod = splitMethod
        self.classes = classes
        recordingClasses = labelOfRecording
        self.windows = windows
        classKind = split.classKind
        isSynthetic = request.path == nil
        self.notes = notes
        seconds = Date().timeIntervalSince(start)
    }

    /// Per class, a seeded `round(testFraction · n)` of its `n` examples (at least one when `n ≥ 2`, never
    /// all) are test; both lists in example order.
    static func splitExamples(labels: [Int], testFraction: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
        var generator = SplitMix64(seed: seed)
        var isTest = [Bool](repeating: false, count: labels.count)
        let byClass = Dictionary(grouping: labels.indices) { labels[$0] }
        for label in byClass.keys.sorted() {
            var members = byClass[label]!
            generator.shuffleReproducibly(&members)
            let count = members.count < 2 ? 0 : min(members.count - 1, max(1, Int((testFraction * Double(members.count)).rounded())))
            for index in members.prefix(count) { isTest[index] = true }
        }
        return (labels.indices.filter { !isTest[$0] }, labels.indices.filter { isTest[$0] })
    }

    /// Per class (in label order): its recordings, and the examples kept and windows dropped from them.
    public var windowsByClass: [(recordings: Int, windows: WindowCounts)] {
        var result = Array(repeating: (recordings: 0, windows: WindowCounts()), count: classes.count)
        for (recording, label) in recordingClasses {
            result[label].recordings += 1
            result[label].windows = result[label].windows + (windows[recording] ?? WindowCounts())
        }
        return result
    }

    /// The class indices of `names`, each a class name (`george`) or an index (`0`), in the given order
    /// without repeats: where names from the outside world (a flag, a scenario file, a checkpoint's
    /// record) become the indices that everything below works with.
    ///
    /// - Throws: ``DatasetError/unknownClass(_:available:)`` naming the first unknown one.
    public func classIndices(named names: [String]) throws -> [Int] {
        try Self.classIndices(named: names, in: classes)
    }

    /// As ``classIndices(named:)`` for any class list. A name wins over an index when a class is itself
    /// called by a number (FSDD digits, AudioMNIST speakers "01"…): `3` is the class named "3" if there
    /// is one, else the class at index 3.
    public static func classIndices(named names: [String], in classes: [String]) throws -> [Int] {
        var indices: [Int] = []
        for name in names {
            let index: Int
            if let named = classes.firstIndex(of: name) {
                index = named
            } else if let number = Int(name), classes.indices.contains(number) {
                index = number
            } else {
                throw DatasetError.unknownClass(name, available: classes)
            }
            if !indices.contains(index) { indices.append(index) }
        }
        return indices
    }
}
