import Foundation

// Speech Accent Archive: `{language}{n}.mp3` (or `.wav`, or `{language}_{NNN}` as the grouped mirrors name them)
// anywhere under the root, `speakers_all.csv` optional.
extension DatasetIndex {
    static func listAccent(root: URL) throws -> Listing {
        let csv = root.appendingPathComponent("speakers_all.csv")
        let languages = FileManager.default.fileExists(atPath: csv.path) ? try readSpeakerLanguages(csv) : [:]
        var listing = Listing()
        for (url, path) in audioFiles(under: root, relativeTo: "") {
            let name = stem(url.lastPathComponent)
            guard let parsed = parseLanguageName(name) else {
                listing.skipped.append(SkippedFile(path: path, reason: "name is not {language}{n}"))
                continue
            }
            // Every file of the archive is one speaker, named by the file.
            listing.recordings.append(Recording(
                url: url, id: stem(path), speaker: name, language: languages[name] ?? parsed.language,
                take: parsed.number))
        }
        return listing
    }

    /// Keeps the languages spoken by at least `minimumSpeakers` distinct speakers.
    static func keepLanguages(_ recordings: [Recording], minimumSpeakers: Int) -> [Recording] {
        var speakers: [String: Set<String>] = [:]
        for recording in recordings { speakers[recording.language ?? "", default: []].insert(recording.speaker) }
        return recordings.filter { speakers[$0.language ?? ""]!.count >= minimumSpeakers }
    }

    /// `filename` → `native_language` from `speakers_all.csv`; rows marked `file_missing?` TRUE are left out.
    static func readSpeakerLanguages(_ url: URL) throws -> [String: String] {
        let text = try readText(url)
        let rows = parseCSV(text)
        guard let header = rows.first,
              let fileColumn = header.firstIndex(of: "filename"),
              let languageColumn = header.firstIndex(of: "native_language") else {
            throw DatasetError.unreadableFile(url, reason: "no filename and native_language columns in the header")
        }
        let missingColumn = header.firstIndex(of: "file_missing?")
        var languages: [String: String] = [:]
        for row in rows.dropFirst() where row.count > max(fileColumn, languageColumn) {
            if let missingColumn, row.count > missingColumn, row[missingColumn].uppercased() == "TRUE" { continue }
            let file = row[fileColumn].trimmingCharacters(in: .whitespaces)
            let language = row[languageColumn].trimmingCharacters(in: .whitespaces)
            if !file.isEmpty, !language.isEmpty { languages[stem(file)] = language }
        }
        return languages
    }

    /// Splits RFC 4180 CSV text into rows of fields (quoted fields may hold commas, quotes and newlines).
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var characters = text.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? characters.next() {
            pending = nil
            if inQuotes {
                if character == "\"" {
                    if let next = characters.next() {
                        if next == "\"" { field.append("\"") } else { inQuotes = false; pending = next }
                    } else { inQuotes = false }
                } else { field.append(character) }
                continue
            }
            switch character {
            case "\"": inQuotes = true
            case ",": row.append(field); field = ""
            case "\n", "\r\n", "\r":
                row.append(field); field = ""
                if row != [""] { rows.append(row) }
                row = []
            default: field.append(character)
            }
        }
        row.append(field)
        if row != [""] { rows.append(row) }
        return rows
    }
}
