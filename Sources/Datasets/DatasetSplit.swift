import Foundation
import Tensors

/// A side of a train/test split.
public enum SplitPart: String, CaseIterable, Codable, Sendable {
    case train, validation, test
}

/// A train/test (and optionally validation) split of a ``DatasetIndex`` by recording, for one class kind.
///
/// Every example cut from a recording lands on the recording's side. Two ways to split:
/// - ``official(_:classKind:)``: the dataset's own lists (FSDD: takes 0–4 of each digit and speaker are
///   test; Speech Commands: `testing_list.txt` is test, `validation_list.txt` is validation).
/// - ``stratified(_:classKind:testFraction:seed:bySpeaker:)``: per class, `round(testFraction · n)` of its
///   `n` units go to test, at least one when `n ≥ 2` and never all, chosen by a seeded shuffle. A unit is
///   a recording, except for accent classes (or when asked) where it is a speaker, so a test speaker is
///   never heard in training (each file of the accent archive is one speaker).
///
/// ```swift
/// let split = try DatasetSplit.stratified(index, testFraction: 0.2, seed: 42)
/// let forget = split.recordings(in: .train, of: ["spanish"])
/// let retain = split.recordings(in: .train, excluding: ["spanish"])
/// ```
public struct DatasetSplit: Sendable {
    public let classKind: ClassKind
    /// Class names (sorted as ``DatasetIndex/classes(for:)``) of the recordings in the split.
    public let classes: [String]
    public let train: [Recording]
    /// Empty unless the official split has a validation list.
    public let validation: [Recording]
    public let test: [Recording]

    /// The recordings of `part`.
    public subscript(part: SplitPart) -> [Recording] {
        switch part {
        case .train: train
        case .validation: validation
        case .test: test
        }
    }

    /// The recordings of `part` whose class is in `classes` (the forget view).
    public func recordings(in part: SplitPart, of classes: Set<String>) -> [Recording] {
        self[part].filter { $0.label(for: classKind).map(classes.contains) ?? false }
    }

    /// The recordings of `part` whose class is not in `classes` (the retain view).
    public func recordings(in part: SplitPart, excluding classes: Set<String>) -> [Recording] {
        self[part].filter { !($0.label(for: classKind).map(classes.contains) ?? true) }
    }

    /// The class name of `recording` (traps if it has none: every recording of a split has one).
    public func label(of recording: Recording) -> String {
        guard let label = recording.label(for: classKind) else {
            fatalError("\(recording.id) has no \(classKind.rawValue) label")
        }
        return label
    }

    init(classKind: ClassKind, parts: [SplitPart: [Recording]]) {
        self.classKind = classKind
        self.train = (parts[.train] ?? []).sorted { $0.id < $1.id }
        self.validation = (parts[.validation] ?? []).sorted { $0.id < $1.id }
        self.test = (parts[.test] ?? []).sorted { $0.id < $1.id }
        self.classes = DatasetIndex.sortedNames(Set((train + validation + test).compactMap { $0.label(for: classKind) }))
    }

    /// The dataset's own split.
    ///
    /// - Throws: ``DatasetError/noOfficialSplit(_:)`` for layouts without one,
    ///   ``DatasetError/unsupportedClassKind(_:layout:)`` when `classKind` is not in the layout.
    public static func official(_ index: DatasetIndex, classKind: ClassKind? = nil) throws -> DatasetSplit {
        let classKind = try checked(classKind, index.layout)
        guard index.hasOfficialSplit else { throw DatasetError.noOfficialSplit(index.layout) }
        return DatasetSplit(classKind: classKind,
                            parts: Dictionary(grouping: index.labelled(classKind)) { $0.officialPart ?? .train })
    }

    /// Every labelled recording on the training side, for a split made later by example.
    static func whole(_ index: DatasetIndex, classKind: ClassKind? = nil) throws -> DatasetSplit {
        let kind = try checked(classKind, index.layout)
        return DatasetSplit(classKind: kind, parts: [.train: index.labelled(kind)])
    }

    /// A seeded split stratified by class (see the type's documentation).
    ///
    /// - Parameters:
    ///   - classKind: what the classes are; `nil` is the layout's default.
    ///   - testFraction: the share of each class's units that go to test, in (0, 1); default 0.2.
    ///   - seed: the same seed gives the same split on every machine.
    ///   - bySpeaker: units are speakers (`nil`: for accent classes only, else recordings).
    public static func stratified(_ index: DatasetIndex, classKind: ClassKind? = nil, testFraction: Double = 0.2,
                                  seed: UInt64, bySpeaker: Bool? = nil) throws -> DatasetSplit {
        checkPrecondition(testFraction > 0 && testFraction < 1, "testFraction must lie in (0, 1), got \(testFraction)")
        let classKind = try checked(classKind, index.layout)
        if bySpeaker == true, classKind == .speaker { throw DatasetError.speakerSplitOfSpeakers }
        var generator = SplitMix64(seed: seed)
        let recordings = index.labelled(classKind)
        // A unit is a recording, or a speaker with all their recordings, drawn among the units of the class
        // it belongs to: a speaker's most frequent class (ties: the first name), the only one for accents.
        let units: [String: [Recording]]
        let classOfUnit: [String: String]
        if bySpeaker ?? (classKind == .accent) {
            units = Dictionary(grouping: recordings, by: \.speaker)
            classOfUnit = units.mapValues { own in
                let counts = Dictionary(grouping: own.map { $0.label(for: classKind)! }, by: { $0 }).mapValues(\.count)
                return counts.keys.sorted().max { counts[$0]! < counts[$1]! || (counts[$0]! == counts[$1]! && $0 > $1) }!
            }
        } else {
            units = Dictionary(grouping: recordings, by: \.id)
            classOfUnit = units.mapValues { $0[0].label(for: classKind)! }
        }
        let unitsOfClass = Dictionary(grouping: units.keys, by: { classOfUnit[$0]! })
        var parts: [SplitPart: [Recording]] = [:]
        for name in DatasetIndex.sortedNames(Set(unitsOfClass.keys)) {
            var drawn = unitsOfClass[name]!.sorted()
            generator.shuffleReproducibly(&drawn)
            let testCount = drawn.count < 2 ? 0
                : min(drawn.count - 1, max(1, Int((testFraction * Double(drawn.count)).rounded())))
            for (position, unit) in drawn.enumerated() {
                parts[position < testCount ? .test : .train, default: []] += units[unit]!
            }
        }
        return DatasetSplit(classKind: classKind, parts: parts)
    }

    private static func checked(_ kind: ClassKind?, _ layout: DatasetLayout) throws -> ClassKind {
        let kind = kind ?? layout.defaultClassKind
        guard layout.supportedClassKinds.contains(kind) else {
            throw DatasetError.unsupportedClassKind(kind, layout: layout)
        }
        return kind
    }
}
