import Foundation

/// A dataset folder that cannot be read as asked, told so that a person can fix it.
///
/// Every message names the path and what to do:
/// `"/data: no recordings/ or data/ folder …: pass --layout or point at the dataset root"`.
public enum DatasetError: Error, Equatable, Sendable {
    /// Nothing (or a plain file) exists where the dataset root should be.
    case folderNotFound(URL)
    /// The folder matches none of the layouts; `contents` lists a few of its entries to help.
    case unrecognizedLayout(URL, contents: [String])
    /// The folder holds no dataset itself but several in its subfolders (named with their layouts).
    case severalDatasets(URL, found: [String])
    /// A layout was asked for, but the folder it needs (`recordings/`, `data/`) is not there.
    case missingFolder(URL, layout: DatasetLayout)
    /// The layout's folders are there but no file has a name of that layout.
    case noRecordings(URL, layout: DatasetLayout, skippedCount: Int)
    /// A metadata file (`speakers_all.csv`, `testing_list.txt`) exists but could not be read.
    case unreadableFile(URL, reason: String)
    /// The class kind does not exist in this layout (e.g. `digit` for Speech Commands).
    case unsupportedClassKind(ClassKind, layout: DatasetLayout)
    /// The official split was asked for a dataset that has none.
    case noOfficialSplit(DatasetLayout)
    /// A stratified split's test share is not strictly between 0 and 1.
    case invalidTestFraction(Double)
    /// A split has no examples (e.g. a dataset with one recording per class has no test part).
    case emptySplit(part: String, dataset: String)
    /// A split by speaker was asked for classes that are speakers (a test class would never be trained).
    case speakerSplitOfSpeakers
    /// A class was named that is neither a class name nor an index of the classes.
    case unknownClass(String, available: [String])
}

extension DatasetError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .folderNotFound(let url):
            return "\(url.path): no such folder. Check the path to the dataset root."
        case .unrecognizedLayout(let url, let contents):
            let shown = contents.prefix(8).joined(separator: ", ")
            return "\(url.path): no recordings/ or data/ folder, no SPEAKERS.TXT, speakers_all.csv, "
                + "testing_list.txt, speaker-info.txt or iden_split.txt, and no files named as in LibriSpeech, VCTK, "
                + "VoxCeleb or the accent archive, here or in a subfolder (found: \(shown.isEmpty ? "nothing" : shown)"
                + "\(contents.count > 8 ? ", … \(contents.count - 8) more" : "")): pass --layout or point at the dataset root."
        case .severalDatasets(let url, let found):
            return "\(url.path) holds several datasets: \(found.joined(separator: ", ")). Point --data at one of them."
        case .missingFolder(let url, let layout):
            return "\(url.path): the \(layout.rawValue) layout needs this folder but it is not there: "
                + "point at the dataset root or pass another --layout."
        case .noRecordings(let url, let layout, let skippedCount):
            return "\(url.path): no file is named as the \(layout.rawValue) layout expects "
                + "(\(skippedCount) files skipped): check --layout and the dataset root."
        case .unreadableFile(let url, let reason):
            return "\(url.path): cannot be read (\(reason)). Fix or remove the file."
        case .unsupportedClassKind(let kind, let layout):
            let kinds = layout.supportedClassKinds.map(\.rawValue).joined(separator: ", ")
            return "class kind \(kind.rawValue) does not exist in the \(layout.rawValue) layout: use one of \(kinds)."
        case .noOfficialSplit(let layout):
            return "the \(layout.rawValue) layout has no official split: use a stratified split with a seed."
        case .invalidTestFraction(let fraction):
            return "--test-fraction \(fraction) must lie between 0 and 1 (e.g. 0.2)."
        case .emptySplit(let part, let dataset):
            return "the \(part) part of \(dataset) is empty: the dataset needs at least two recordings per "
                + "class (or a larger --test-fraction)."
        case .speakerSplitOfSpeakers:
            return "--split by-speaker keeps each speaker on one side, so it needs classes other than speakers "
                + "(--classes accent, digit or word): for speaker classes use stratified (by recording)."
        case .unknownClass(let name, let available):
            return "unknown class '\(name)': the classes are \(Self.list(available)); "
                + "name one of them or give its index 0…\(max(available.count - 1, 0))."
        }
    }

    /// At most 12 names, then how many more.
    public static func list(_ names: [String]) -> String {
        let shown = names.prefix(12).joined(separator: ", ")
        return names.count > 12 ? "[\(shown), … \(names.count - 12) more]" : "[\(shown)]"
    }
}

extension DatasetError: LocalizedError {
    public var errorDescription: String? { description }
}
