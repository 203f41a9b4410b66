import Foundation

// FSDD (`recordings/{digit}_{speaker}_{index}.wav`) and AudioMNIST (`data/{speaker}/{digit}_{speaker}_{index}.wav`).
extension DatasetIndex {
    /// Takes below this index are FSDD's official test set ("takes 0–4 of each digit and speaker").
    public static let fsddTestTakeCount = 5

    static func listFSDD(root: URL) throws -> Listing {
        try listDigitRecordings(root: root, layout: .fsdd)
    }

    static func listAudioMNIST(root: URL) throws -> Listing {
        try listDigitRecordings(root: root, layout: .audioMNIST)
    }

    /// Both layouts name clips `{digit}_{speaker}_{index}`: FSDD keeps them directly in `recordings/`,
    /// AudioMNIST in one `data/{speaker}/` folder per speaker (which must agree with the name).
    private static func listDigitRecordings(root: URL, layout: DatasetLayout) throws -> Listing {
        let speakerFolders = layout == .audioMNIST
        let folderName = speakerFolders ? "data" : "recordings"
        let folder = root.appendingPathComponent(folderName)
        guard isDirectory(folder) else { throw DatasetError.missingFolder(folder, layout: layout) }
        var listing = Listing()
        for (url, path) in audioFiles(under: folder, relativeTo: folderName) {
            let components = path.split(separator: "/")
            guard components.count == (speakerFolders ? 3 : 2) else {
                listing.skipped.append(SkippedFile(
                    path: path, reason: speakerFolders ? "not inside a data/{speaker}/ folder" : "not directly inside recordings/"))
                continue
            }
            guard let name = parseDigitName(stem(url.lastPathComponent)) else {
                listing.skipped.append(SkippedFile(path: path, reason: "name is not {digit}_{speaker}_{index}"))
                continue
            }
            guard !speakerFolders || name.speaker == components[1] else {
                listing.skipped.append(SkippedFile(
                    path: path, reason: "speaker \(name.speaker) in the name but in folder \(components[1])"))
                continue
            }
            let officialPart: SplitPart? = layout == .fsdd ? (name.take < fsddTestTakeCount ? .test : .train) : nil
            listing.recordings.append(Recording(url: url, id: stem(path), speaker: name.speaker, digit: name.digit,
                                                take: name.take, officialPart: officialPart))
        }
        return listing
    }
}
