import Foundation

// VCTK (`wav48[_silence_trimmed]/p{NNN}/p{NNN}_{NNN}[_mic{1,2}].wav|flac`, `speaker-info.txt`) and VoxCeleb 1/2
// (`[wav|dev/aac|…]/id{N}/{video}/{NNNNN}.wav|m4a`, `iden_split.txt` when present).
extension DatasetIndex {
    /// Every speaker of VCTK is a class, and so is every accent of `speaker-info.txt`. VCTK 0.92 records each
    /// utterance with two microphones: `mic1` is used, `mic2` listed as skipped (the same utterance on both
    /// sides of a split would leak it).
    static func listVCTK(root: URL) throws -> Listing {
        let accents = try readVCTKAccents(root: root)
        var listing = Listing()
        for (url, path) in audioFiles(under: root, relativeTo: "") {
            let components = path.split(separator: "/").map(String.init)
            let parts = stem(url.lastPathComponent).split(separator: "_").map(String.init)
            guard parts.count == 2 || (parts.count == 3 && parts[2].hasPrefix("mic")),
                  isVCTKSpeaker(parts[0]), let take = Int(parts[1]) else {
                listing.skipped.append(SkippedFile(path: path, reason: "name is not p{NNN}_{NNN}[_mic1]"))
                continue
            }
            guard components.count >= 2, components[components.count - 2] == parts[0] else {
                listing.skipped.append(SkippedFile(path: path, reason: "not inside a \(parts[0])/ folder"))
                continue
            }
            if parts.count == 3, parts[2] != "mic1" {
                listing.skipped.append(SkippedFile(path: path, reason: "\(parts[2]) of an utterance that mic1 also holds"))
                continue
            }
            listing.recordings.append(Recording(url: url, id: stem(path), speaker: parts[0],
                                                language: accents[parts[0]], take: take))
        }
        return listing
    }

    static func isVCTKSpeaker(_ name: String) -> Bool {
        name.count > 1 && name.first == "p" && name.dropFirst().allSatisfy(\.isNumber)
            || name == "s5"                                    // VCTK 0.92's one speaker named otherwise
    }

    /// `speaker-info.txt` (at the root or the folder above): `ID AGE GENDER ACCENTS REGION…`, IDs with
    /// or without the `p`; speaker → accent. Missing file: no accents (speaker classes only).
    static func readVCTKAccents(root: URL) throws -> [String: String] {
        guard let text = try metadataText("speaker-info.txt", near: root) else { return [:] }
        var accents: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard fields.count >= 4, let first = fields.first else { continue }
            let speaker = first.hasPrefix("p") || first.hasPrefix("s") ? first : "p" + first
            accents[speaker] = fields[3]
        }
        return accents
    }

    /// Every `id{N}` folder is a speaker; `iden_split.txt` (`1|2|3 id…/video/n.wav`: train, validation,
    /// test), when present at the root or the folder above, is the official split.
    static func listVoxCeleb(root: URL) throws -> Listing {
        let parts = try readVoxCelebSplit(root: root)
        var listing = Listing()
        for (url, path) in audioFiles(under: root, relativeTo: "", extensions: audioExtensions.union(["m4a"])) {
            let components = path.split(separator: "/").map(String.init)
            guard components.count >= 3, isVoxCelebSpeaker(components[components.count - 3]),
                  let take = Int(stem(url.lastPathComponent)) else {
                listing.skipped.append(SkippedFile(path: path, reason: "not id{N}/{video}/{N}.wav"))
                continue
            }
            guard url.pathExtension.lowercased() != "m4a" else {
                listing.skipped.append(SkippedFile(path: path, reason: "AAC (.m4a) cannot be decoded here: convert "
                                                   + "VoxCeleb2 to WAV first (ffmpeg -i in.m4a out.wav)"))
                continue
            }
            let key = components.suffix(3).joined(separator: "/")
            listing.recordings.append(Recording(url: url, id: stem(path), speaker: components[components.count - 3],
                                                take: take, officialPart: parts.isEmpty ? nil : parts[key] ?? .train))
        }
        return listing
    }

    static func isVoxCelebSpeaker(_ name: String) -> Bool {
        name.count > 2 && name.hasPrefix("id") && name.dropFirst(2).allSatisfy(\.isNumber)
    }

    static func readVoxCelebSplit(root: URL) throws -> [String: SplitPart] {
        guard let text = try metadataText("iden_split.txt", near: root) else { return [:] }
        var parts: [String: SplitPart] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 2 else { continue }
            parts[fields[1]] = switch fields[0] { case "3": .test; case "2": .validation; default: .train }
        }
        return parts
    }
}
