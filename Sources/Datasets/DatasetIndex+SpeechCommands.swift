import Foundation

// Speech Commands: `{word}/{speakerhash}_nohash_{n}.wav`, `testing_list.txt`, `validation_list.txt`.
extension DatasetIndex {
    static func listSpeechCommands(root: URL) throws -> Listing {
        let testing = try readList(root.appendingPathComponent("testing_list.txt"))
        let validation = try readList(root.appendingPathComponent("validation_list.txt"))
        var listing = Listing()
        for (url, path) in audioFiles(under: root, relativeTo: "") {
            let components = path.split(separator: "/")
            guard components.count == 2 else {
                listing.skipped.append(SkippedFile(path: path, reason: "not directly inside a {word}/ folder"))
                continue
            }
            let word = String(components[0])
            guard word != "_background_noise_" else {
                listing.skipped.append(SkippedFile(path: path, reason: "background noise, not an utterance"))
                continue
            }
            let parts = stem(String(components[1])).components(separatedBy: "_nohash_")
            guard parts.count == 2, !parts[0].isEmpty, let take = Int(parts[1]) else {
                listing.skipped.append(SkippedFile(path: path, reason: "name is not {speaker}_nohash_{n}"))
                continue
            }
            let id = stem(path)
            let part: SplitPart = testing.contains(id) ? .test : validation.contains(id) ? .validation : .train
            listing.recordings.append(Recording(
                url: url, id: id, speaker: parts[0], word: word, take: take, officialPart: part))
        }
        return listing
    }

    /// The ids (relative paths without extension) in a Speech Commands list; empty when the file is absent.
    static func readList(_ url: URL) throws -> Set<String> {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let text = try readText(url)
        return Set(text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .map { stem($0) })
    }

    /// Keeps the recordings of the `limit` speakers with the most clips (ties: the smaller name first).
    static func keepTopSpeakers(_ recordings: [Recording], limit: Int) -> [Recording] {
        let counts = Dictionary(grouping: recordings, by: \.speaker).mapValues(\.count)
        let kept = Set(counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map(\.key))
        return recordings.filter { kept.contains($0.speaker) }
    }
}
