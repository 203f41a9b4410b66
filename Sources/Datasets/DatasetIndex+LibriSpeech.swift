import Foundation

// LibriSpeech: `[{subset}/]{speaker}/{chapter}/{speaker}-{chapter}-{utterance}.flac` beside `SPEAKERS.TXT`.
extension DatasetIndex {
    static func listLibriSpeech(root: URL) throws -> Listing {
        var listing = Listing()
        for (url, path) in audioFiles(under: root, relativeTo: "") {
            let components = path.split(separator: "/").map(String.init)
            let parts = stem(url.lastPathComponent).split(separator: "-", omittingEmptySubsequences: false)
                .map(String.init)
            guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }),
                  let take = Int(parts[2]) else {
                listing.skipped.append(SkippedFile(path: path, reason: "name is not {speaker}-{chapter}-{utterance}"))
                continue
            }
            guard components.count >= 3,
                  components[components.count - 3] == parts[0], components[components.count - 2] == parts[1] else {
                listing.skipped.append(SkippedFile(
                    path: path, reason: "not inside a \(parts[0])/\(parts[1])/ ({speaker}/{chapter}/) folder"))
                continue
            }
            listing.recordings.append(Recording(
                url: url, id: stem(path), speaker: parts[0], chapter: parts[1], take: take))
        }
        return listing
    }
}
