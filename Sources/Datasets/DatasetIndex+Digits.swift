import Foundation

// FSDD (`recordings/{digit}_{speaker}_{index}.wav`) and AudioMNIST (`data/{speaker}/{digit}_{speaker}_{index}.wav`).
extension DatasetIndex {
    /// Takes below this index are FSDD's official test set ("takes 0–4 of each digit and speaker").
    public static let fsddTestTakeCount = 5

    static func listFSDD(root: URL) throws -> Listing {
        let folder = root.appendingPathComponent("recordings")
        guard isDirectory(folder) else { throw DatasetError.missingFolder(folder, layout: .fsdd) }
        var listing = Listing()
        for (url, path) in audioFiles(under: folder, relativeTo: "recordings") {
            let components = path.split(separator: "/")
            guard components.count == 2 else {
                listing.skipped.append(SkippedFile(path: path, reason: "not directly inside recordings/"))
                continue
            }
            guard let name = parseDigitName(stem(url.lastPathComponent)) else {
                listing.skipped.append(SkippedFile(path: path, reason: "name is not {digit}_{speaker}_{index}"))
                continue
            }
            listing.recordings.append(Recording(
                url: url, id: stem(path), speaker: name.speaker, digit: name.digit, take: name.take,
                officialPart: name.take < fsddTestTakeCount ? .test : .train))
        }
        return listing
    }

    static func listAudioMNIST(root: URL) throws -> Listing {
        let folder = root.appendingPathComponent("data")
        guard isDirectory(folder) else { throw DatasetError.missingFolder(folder, layout: .audioMNIST) }
        var listing = Listing()
        for (url, path) in audioFiles(under: folder, relativeTo: "data") {
            let components = path.split(separator: "/")
            guard components.count == 3 else {
                listing.skipped.append(SkippedFile(path: path, reason: "not inside a data/{speaker}/ folder"))
                continue
            }
            guard let name = parseDigitName(stem(url.lastPathComponent)) else {
                listing.skipped.append(SkippedFile(path: path, reason: "name is not {digit}_{speaker}_{index}"))
                continue
            }
            guard name.speaker == components[1] else {
                listing.skipped.append(SkippedFile(
                    path: path, reason: "speaker \(name.speaker) in the name but in folder \(components[1])"))
                continue
            }
            listing.recordings.append(Recording(
                url: url, id: stem(path), speaker: name.speaker, digit: name.digit, take: name.take))
        }
        return listing
    }
}
