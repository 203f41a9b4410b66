import Foundation
import Tensors

/// The recordings of one dataset folder, listed from file and folder names alone (nothing is decoded).
///
/// ```swift
/// let index = try DatasetIndex(root: URL(fileURLWithPath: "../shared/data/fsdd"))
/// index.layout                        // .fsdd (detected)
/// index.recordings.count              // 3000, sorted by id
/// index.classes(for: .digit)          // ["0", "1", …, "9"]
/// index.skipped                       // audio files whose names do not fit, with the reason
/// ```
///
/// Detection (when `layout` is `nil`), first match wins: a `recordings/` folder holding
/// `{digit}_{speaker}_{index}` files → fsdd; a `data/` folder → audiomnist; `SPEAKERS.TXT` → librispeech;
/// `speakers_all.csv` → accent; `testing_list.txt` or `validation_list.txt` → speechcommands;
/// `speaker-info.txt` → vctk; `iden_split.txt`, `vox1_meta.csv` or `vox2_meta.csv` → voxceleb;
/// `{language}{n}` / `{language}_{NNN}` audio files at the root, in `recordings/` or in its language
/// folders → accent. A folder without those marks is read by what its files are called: a subset such
/// as `LibriSpeech/test-other`, VCTK's `wav48/`, VoxCeleb's `wav/` or FSDD's `recordings/` (whose parent
/// is then the root). A folder that holds one dataset (`~/corpora` holding `LibriSpeech/`) is read
/// as that dataset; one that holds several names them.
///
/// Only audio files (`wav`, `flac`, `mp3`, `ogg`) are candidates; other files (READMEs, lists,
/// `.trans.txt`) and hidden files are metadata and ignored. An audio file whose name or place does not
/// fit the layout is listed in ``skipped`` with the reason, never dropped silently.
public struct DatasetIndex: Sendable {
    /// Filters applied after listing; what they remove is counted in ``excludedCount``.
    public struct Options: Equatable, Sendable {
        /// Speech Commands: keep only the `speakerLimit` speakers with the most clips (ties: smaller
        /// hash first); `nil` keeps all. The paper uses 100.
        public var speakerLimit: Int?
        /// Accent archive: keep only languages with at least this many speakers.
        public var minimumSpeakersPerLanguage: Int

        public init(speakerLimit: Int? = nil, minimumSpeakersPerLanguage: Int = 1) {
            checkPrecondition(speakerLimit.map { $0 > 0 } ?? true, "speakerLimit must be positive, got \(speakerLimit!)")
            self.speakerLimit = speakerLimit
            self.minimumSpeakersPerLanguage = minimumSpeakersPerLanguage
        }
    }

    /// An audio file under the root that is not a recording of the layout, and why.
    public struct SkippedFile: Equatable, Sendable, CustomStringConvertible {
        /// The path relative to the root.
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public let root: URL
    public let layout: DatasetLayout
    /// Where the dataset was found when `root` is not the folder asked for (one that holds it, or a
    /// subset's parent), said for notes: `"found in /corpora/LibriSpeech"`.
    public let location: String?
    public let options: Options
    /// Every recording kept, sorted by ``Recording/id``.
    public let recordings: [Recording]
    /// Audio files that do not fit the layout, sorted by path.
    public let skipped: [SkippedFile]
    /// Recordings that fit the layout but were removed by ``Options`` (top-N speakers, minimum speakers).
    public let excludedCount: Int

    /// Lists the dataset at `root`, detecting the layout when `layout` is `nil`.
    ///
    /// - Throws: ``DatasetError/folderNotFound(_:)``, ``DatasetError/unrecognizedLayout(_:contents:)``,
    ///   ``DatasetError/missingFolder(_:layout:)``, ``DatasetError/noRecordings(_:layout:skippedCount:)``,
    ///   ``DatasetError/unreadableFile(_:reason:)``.
    public init(root: URL, layout: DatasetLayout? = nil, options: Options = Options()) throws {
        let asked = root.standardizedFileURL
        let (root, layout) = try layout.map { (asked, $0) } ?? Self.locate(asked)
        var listing: Listing
        switch layout {
        case .fsdd: listing = try Self.listFSDD(root: root)
        case .audioMNIST: listing = try Self.listAudioMNIST(root: root)
        case .speechCommands: listing = try Self.listSpeechCommands(root: root)
        case .libriSpeech: listing = try Self.listLibriSpeech(root: root)
        case .accent: listing = try Self.listAccent(root: root)
        case .vctk: listing = try Self.listVCTK(root: root)
        case .voxCeleb: listing = try Self.listVoxCeleb(root: root)
        }
        let listedCount = listing.recordings.count
        if layout == .speechCommands, let limit = options.speakerLimit {
            listing.recordings = Self.keepTopSpeakers(listing.recordings, limit: limit)
        }
        if layout == .accent {
            listing.recordings = Self.keepLanguages(listing.recordings,
                                                    minimumSpeakers: options.minimumSpeakersPerLanguage)
        }
        guard listedCount > 0 else {
            throw DatasetError.noRecordings(root, layout: layout, skippedCount: listing.skipped.count)
        }
        self.root = root
        self.layout = layout
        location = root == asked ? nil : "\(layout.rawValue) dataset found at \(root.path) (asked: \(asked.path))"
        self.options = options
        self.recordings = listing.recordings.sorted { $0.id < $1.id }
        self.skipped = listing.skipped.sorted { $0.path < $1.path }
        self.excludedCount = listedCount - listing.recordings.count
    }

    /// The distinct speakers, sorted (numbers by value: `"19" < "103"`).
    public var speakers: [String] { Self.sortedNames(Set(recordings.map(\.speaker))) }

    /// The distinct class names under `kind`, sorted (numbers by value); empty when the layout does not
    /// carry `kind` (see ``DatasetLayout/supportedClassKinds``).
    public func classes(for kind: ClassKind) -> [String] {
        Self.sortedNames(Set(recordings.compactMap { $0.label(for: kind) }))
    }

    /// The class names under the layout's default class kind.
    public var classes: [String] { classes(for: layout.defaultClassKind) }

    /// Whether the dataset has its own train/test lists: always for FSDD and Speech Commands, for
    /// VoxCeleb when `iden_split.txt` is there.
    public var hasOfficialSplit: Bool {
        layout.hasOfficialSplit || (layout == .voxCeleb && recordings.contains { $0.officialPart != nil })
    }

    /// The recordings that have a class under `kind` (VCTK speakers missing from `speaker-info.txt`
    /// have no accent).
    public func labelled(_ kind: ClassKind) -> [Recording] {
        recordings.filter { $0.label(for: kind) != nil }
    }

    /// Sorts names, comparing two all-digit names by value and anything else as strings.
    static func sortedNames(_ names: Set<String>) -> [String] {
        names.sorted { a, b in
            if let x = Int(a), let y = Int(b), x != y { return x < y }
            return a < b
        }
    }
}

// MARK: - Detection and listing helpers

extension DatasetIndex {
    struct Listing {
        var recordings: [Recording] = []
        var skipped: [SkippedFile] = []
    }

    static let audioExtensions: Set<String> = ["wav", "flac", "mp3", "ogg"]

    /// Finds the layout of the folder at `root` (see the type's documentation for the rules).
    public static func detectLayout(at root: URL) throws -> DatasetLayout {
        let root = root.standardizedFileURL
        guard isDirectory(root) else { throw DatasetError.folderNotFound(root) }
        if let layout = markedLayout(at: root) { return layout }
        let entries = visibleEntries(of: root)
        let recordingsFolder = root.appendingPathComponent("recordings")
        let recordingsEntries = isDirectory(recordingsFolder) ? visibleEntries(of: recordingsFolder) : []
        let groups = recordingsEntries.map { recordingsFolder.appendingPathComponent($0) }.filter(isDirectory)
        let looseAudio = entries + recordingsEntries + groups.flatMap { visibleEntries(of: $0).prefix(20) }
        if looseAudio.contains(where: { isAudio($0) && parseLanguageName(stem($0)) != nil }) { return .accent }
        throw DatasetError.unrecognizedLayout(root, contents: entries)
    }

    /// The layout that the marker files or folders at `root` name (FSDD's digit-named `recordings/`,
    /// AudioMNIST's `data/`, `SPEAKERS.TXT`, `speakers_all.csv`, …); `nil` when there are none.
    static func markedLayout(at root: URL) -> DatasetLayout? {
        let entries = visibleEntries(of: root)
        let recordingsFolder = root.appendingPathComponent("recordings")
        if isDirectory(recordingsFolder),
           visibleEntries(of: recordingsFolder).contains(where: { parseDigitName(stem($0)) != nil }) {
            return .fsdd
        }
        if isDirectory(root.appendingPathComponent("data")) { return .audioMNIST }
        if entries.contains("SPEAKERS.TXT") { return .libriSpeech }
        if entries.contains("speakers_all.csv") { return .accent }
        if entries.contains("testing_list.txt") || entries.contains("validation_list.txt") { return .speechCommands }
        if entries.contains("speaker-info.txt") { return .vctk }
        if entries.contains("iden_split.txt") || entries.contains("vox1_meta.csv") || entries.contains("vox2_meta.csv") {
            return .voxCeleb
        }
        return nil
    }

    /// The root and layout of the dataset in (or at) `folder`; see the type's documentation.
    static func locate(_ folder: URL) throws -> (root: URL, layout: DatasetLayout) {
        guard isDirectory(folder) else { throw DatasetError.folderNotFound(folder) }
        if let layout = try? detectLayout(at: folder) { return (folder, layout) }
        // Datasets in the folder, by their marker files first: a folder that holds two of them must not
        // read as whichever one's file names the name-based detection below meets first (a grouped accent
        // archive's language folders carry no marker and fall through to it).
        let subfolders = visibleEntries(of: folder).map { folder.appendingPathComponent($0) }.filter(isDirectory)
        let marked = subfolders.compactMap { sub in markedLayout(at: sub).map { (sub, $0) } }
        let found = marked.count > 1 ? marked : (layoutFromNames(in: folder).map { [(folder, $0)] }
            ?? subfolders.compactMap { sub in ((try? detectLayout(at: sub)) ?? layoutFromNames(in: sub)).map { (sub, $0) } })
        if found.count == 1 { return found[0] }
        if found.count > 1 {
            throw DatasetError.severalDatasets(folder, found: found.map { "\($0.0.lastPathComponent) (\($0.1.rawValue))" })
        }
        // FSDD's `recordings/`, AudioMNIST's `data/`: the whole dataset, read from its root.
        let parent = folder.deletingLastPathComponent()
        if ["recordings", "data"].contains(folder.lastPathComponent), let layout = try? detectLayout(at: parent),
           layout != .audioMNIST || audioFiles(under: folder, relativeTo: "").contains(where: { file in
               file.path.split(separator: "/").count == 2 && parseDigitName(stem(file.url.lastPathComponent)) != nil
           }) {
            return (parent, layout)
        }
        throw DatasetError.unrecognizedLayout(folder, contents: visibleEntries(of: folder))
    }

    /// A layout read from how the audio files within three folders of `folder` are named and placed,
    /// for a subset without the dataset's marker files; `nil` when nothing fits.
    static func layoutFromNames(in folder: URL) -> DatasetLayout? {
        var paths: [[String]] = []
        var queue: [(URL, [String])] = [(folder, [])]
        while let (current, prefix) = queue.first, paths.count < 200 {
            queue.removeFirst()
            for name in visibleEntries(of: current) {
                let url = current.appendingPathComponent(name)
                if isDirectory(url) {
                    if prefix.count < 3 { queue.append((url, prefix + [name])) }
                } else if isAudio(name) || name.lowercased().hasSuffix(".m4a") {
                    paths.append(prefix + [stem(name)])
                }
            }
        }
        func fits(_ test: ([String]) -> Bool) -> Bool { !paths.isEmpty && paths.filter(test).count * 2 > paths.count }
        if fits({ path in
            let parts = path.last!.split(separator: "-").map(String.init)
            return path.count >= 3 && parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
                && path[path.count - 3] == parts[0] && path[path.count - 2] == parts[1]
        }) { return .libriSpeech }
        if fits({ path in
            path.count >= 2 && isVCTKSpeaker(path[path.count - 2]) && path.last!.hasPrefix(path[path.count - 2] + "_")
        }) { return .vctk }
        if fits({ path in
            path.count >= 3 && isVoxCelebSpeaker(path[path.count - 3]) && path.last!.allSatisfy(\.isNumber)
        }) { return .voxCeleb }
        if fits({ path in path.count >= 2 && parseLanguageName(path.last!) != nil }) { return .accent }
        return nil
    }

    /// A metadata file's text, or ``DatasetError/unreadableFile(_:reason:)`` naming it.
    static func readText(_ url: URL) throws -> String {
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            throw DatasetError.unreadableFile(url, reason: error.localizedDescription)
        }
    }

    /// The text of the metadata file `name` at `root` or in the folder above it (a subset read on its
    /// own keeps its dataset's metadata one level up); `nil` when neither has it.
    static func metadataText(_ name: String, near root: URL) throws -> String? {
        let candidates = [root, root.deletingLastPathComponent()].map { $0.appendingPathComponent(name) }
        return try candidates.first { FileManager.default.fileExists(atPath: $0.path) }.map(readText)
    }

    static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The names in `folder` that do not start with a dot, sorted.
    static func visibleEntries(of folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted()
    }

    static func isAudio(_ name: String) -> Bool {
        audioExtensions.contains((name as NSString).pathExtension.lowercased())
    }

    static func stem(_ name: String) -> String { (name as NSString).deletingPathExtension }

    /// Every visible audio file under `folder`, recursively, as (url, path relative to `root`), sorted;
    /// audio by ``audioExtensions`` unless `extensions` says otherwise.
    static func audioFiles(under folder: URL, relativeTo prefix: String,
                           extensions: Set<String> = audioExtensions) -> [(url: URL, path: String)] {
        var found: [(url: URL, path: String)] = []
        for name in visibleEntries(of: folder) {
            let url = folder.appendingPathComponent(name)
            let path = prefix.isEmpty ? name : prefix + "/" + name
            if isDirectory(url) {
                found += audioFiles(under: url, relativeTo: path, extensions: extensions)
            } else if extensions.contains((name as NSString).pathExtension.lowercased()) {
                found.append((url, path))
            }
        }
        return found
    }

    /// `{digit}_{speaker}_{index}` → (digit, speaker, index), digit 0–9, index ≥ 0.
    static func parseDigitName(_ stem: String) -> (digit: Int, speaker: String, take: Int)? {
        let parts = stem.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 1, let digit = Int(parts[0]), (0...9).contains(digit),
              !parts[1].isEmpty, let take = Int(parts[2]), take >= 0, parts[2].allSatisfy(\.isNumber)
        else { return nil }
        return (digit, String(parts[1]), take)
    }

    /// `{language}{n}` → (language, n): letters (and `-`, `_`, spaces) then digits, e.g. `spanish12`; the
    /// separators before the digits are not part of the language (`arabic_012` → arabic).
    static func parseLanguageName(_ stem: String) -> (language: String, number: Int)? {
        let digits = stem.reversed().prefix(while: \.isNumber)
        let separators: Set<Character> = ["-", "_", " "]
        let language = stem.dropLast(digits.count).reversed().drop(while: separators.contains).reversed()
        guard !digits.isEmpty, let number = Int(String(digits.reversed())),
              let first = language.first, first.isLetter,
              language.allSatisfy({ $0.isLetter || separators.contains($0) })
        else { return nil }
        return (String(language), number)
    }
}
