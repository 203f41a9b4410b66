import AudioFeatures
import Foundation
import Testing

@testable import Datasets

/// Small dataset trees written by the tests into temporary folders (real, short WAV/FLAC/MP3 tones).
enum DatasetFixture {
    /// Runs `body` with a fresh temporary folder, removed afterwards.
    static func withFolder<T>(_ body: (URL) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("qpae-datasets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try body(folder)
    }

    /// Writes a 50 ms tone at `path` (relative to `root`), making folders; the format follows the extension.
    static func tone(_ path: String, in root: URL) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let format: AudioFileFormat = switch url.pathExtension {
        case "flac": .flac
        case "mp3": .mp3
        default: .wav16
        }
        let samples = (0..<400).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / 8_000)) }
        try writeAudio(samples, sampleRate: 8_000, to: url, format: format)
    }

    /// Writes a text file at `path`, making folders.
    static func text(_ path: String, _ contents: String, in root: URL) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: true, encoding: .utf8)
    }

    /// FSDD: digits 0–2 × speakers `alice`, `bob` × takes 0–6 (42 recordings), one odd name, a README.
    static func fsdd(in root: URL) throws {
        for digit in 0...2 { for speaker in ["alice", "bob"] { for take in 0...6 {
            try tone("recordings/\(digit)_\(speaker)_\(take).wav", in: root)
        } } }
        try tone("recordings/notes.wav", in: root)
        try text("README.md", "FSDD fixture", in: root)
    }

    /// AudioMNIST: speakers 01, 02 × digits 0–9 × takes 0–1 (40), one misfiled clip, the meta file.
    static func audioMNIST(in root: URL) throws {
        for speaker in ["01", "02"] { for digit in 0...9 { for take in 0...1 {
            try tone("data/\(speaker)/\(digit)_\(speaker)_\(take).wav", in: root)
        } } }
        try tone("data/02/0_03_0.wav", in: root)
        try text("data/audioMNIST_meta.txt", "{}", in: root)
    }

    /// Speech Commands: `yes`/`no` clips by speakers aaaa (6), bbbb (4), cccc (2); lists; background noise.
    static func speechCommands(in root: URL) throws {
        for (speaker, count) in [("aaaa", 3), ("bbbb", 2), ("cccc", 1)] {
            for word in ["yes", "no"] { for n in 0..<count {
                try tone("\(word)/\(speaker)_nohash_\(n).wav", in: root)
            } }
        }
        try tone("_background_noise_/white_noise.wav", in: root)
        try tone("yes/stray.wav", in: root)
        try text("testing_list.txt", "yes/aaaa_nohash_0.wav\nno/bbbb_nohash_1.wav\n", in: root)
        try text("validation_list.txt", "no/aaaa_nohash_2.wav\n", in: root)
    }

    /// LibriSpeech: speakers 19 (2 chapters × 2) and 103 (1 chapter × 3) under `train-clean-100/`.
    static func libriSpeech(in root: URL) throws {
        try text("SPEAKERS.TXT", ";ID |SEX| SUBSET |MINUTES| NAME\n19 | F | train-clean-100 | 25.19 | Kara\n", in: root)
        for chapter in ["198", "227"] { for utt in 0..<2 {
            try tone("train-clean-100/19/\(chapter)/19-\(chapter)-000\(utt).flac", in: root)
        } }
        for utt in 0..<3 { try tone("train-clean-100/103/1240/103-1240-000\(utt).flac", in: root) }
        try text("train-clean-100/103/1240/103-1240.trans.txt", "103-1240-0000 CHAPTER ONE\n", in: root)
        try tone("train-clean-100/103/19-198-0009.flac", in: root)
    }

    /// Accent archive: spanish ×3 (MP3), english ×2, korean ×1 under `recordings/`, one odd name.
    static func accent(in root: URL, csv: String? = nil) throws {
        for n in 1...3 { try tone("recordings/spanish\(n).mp3", in: root) }
        for n in 1...2 { try tone("recordings/english\(n).wav", in: root) }
        try tone("recordings/korean1.wav", in: root)
        try tone("recordings/paragraph.wav", in: root)
        if let csv { try text("speakers_all.csv", csv, in: root) }
    }

    /// Accent archive as the grouped mirrors ship it: `recordings/{language}/{language}_{NNN}.wav`.
    static func groupedAccent(in root: URL) throws {
        for n in 1...3 { try tone("recordings/arabic/arabic_\(String(format: "%03d", n)).wav", in: root) }
        for n in 1...2 { try tone("recordings/dutch/dutch_00\(n).wav", in: root) }
        try tone("recordings/serbo-croatian/serbo-croatian_001.wav", in: root)
    }

    /// VCTK 0.92: p225 (English) ×3, p226 (Scottish) ×2, each with mic1 and mic2; p999 missing from the info.
    static func vctk(in root: URL) throws {
        try text("speaker-info.txt", """
            ID  AGE  GENDER  ACCENTS  REGION  COMMENTS
            p225  23  F    English    Southern  England
            p226  22  M    Scottish   Edinburgh

            """, in: root)
        for (speaker, count) in [("p225", 3), ("p226", 2), ("p999", 1)] { for n in 1...count { for mic in 1...2 {
            try tone("wav48_silence_trimmed/\(speaker)/\(speaker)_00\(n)_mic\(mic).flac", in: root)
        } } }
        try text("txt/p225/p225_001.txt", "Please call Stella.", in: root)
    }

    /// VoxCeleb1: id10001 ×3 and id10002 ×2 clips over two videos each, `iden_split.txt` (3 = test).
    static func voxCeleb(in root: URL) throws {
        for (speaker, videos) in [("id10001", ["1zcIwhmdeo4", "7w0IBEWc9Qw"]), ("id10002", ["0_laIeN-Q44", "6WO410QOeuo"])] {
            for (v, video) in videos.enumerated() { for n in 1...(speaker == "id10001" ? 2 - v : 1) {
                try tone("wav/\(speaker)/\(video)/0000\(n).wav", in: root)
            } }
        }
        try text("iden_split.txt", "1 id10001/1zcIwhmdeo4/00001.wav\n3 id10001/7w0IBEWc9Qw/00001.wav\n"
                 + "1 id10002/0_laIeN-Q44/00001.wav\n3 id10002/6WO410QOeuo/00001.wav\n", in: root)
    }
}

@Suite("DatasetIndex")
struct DatasetIndexTests {
    @Test("FSDD: detected, 42 recordings, 2 speakers, 3 digits, odd name skipped")
    func fsdd() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.fsdd(in: root)
            let index = try DatasetIndex(root: root)
            #expect(index.layout == .fsdd)
            #expect(index.recordings.count == 42)
            #expect(index.speakers == ["alice", "bob"])
            #expect(index.classes(for: .digit) == ["0", "1", "2"])
            #expect(index.classes == ["alice", "bob"])
            #expect(index.skipped == [.init(path: "recordings/notes.wav", reason: "name is not {digit}_{speaker}_{index}")])
            let first = try #require(index.recordings.first)
            #expect(first.id == "recordings/0_alice_0" && first.digit == 0 && first.take == 0 && first.speaker == "alice")
            #expect(index.recordings.map(\.id) == index.recordings.map(\.id).sorted())
        }
    }

    @Test("AudioMNIST: detected, 40 recordings, speaker/folder mismatch skipped, meta file ignored")
    func audioMNIST() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.audioMNIST(in: root)
            let index = try DatasetIndex(root: root)
            #expect(index.layout == .audioMNIST)
            #expect(index.recordings.count == 40)
            #expect(index.speakers == ["01", "02"])
            #expect(index.classes(for: .digit).count == 10)
            #expect(index.skipped.map(\.path) == ["data/02/0_03_0.wav"])
            #expect(index.recordings.first?.id == "data/01/0_01_0")
        }
    }

    @Test("Speech Commands: detected, background noise and stray names skipped, lists read")
    func speechCommands() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.speechCommands(in: root)
            let index = try DatasetIndex(root: root)
            #expect(index.layout == .speechCommands)
            #expect(index.recordings.count == 12 && index.excludedCount == 0)
            #expect(index.speakers == ["aaaa", "bbbb", "cccc"])
            #expect(index.classes(for: .word) == ["no", "yes"])
            #expect(index.skipped.map(\.path) == ["_background_noise_/white_noise.wav", "yes/stray.wav"])
            let parts = Dictionary(grouping: index.recordings, by: { $0.officialPart! }).mapValues { $0.map(\.id) }
            #expect(parts[.test]?.sorted() == ["no/bbbb_nohash_1", "yes/aaaa_nohash_0"])
            #expect(parts[.validation] == ["no/aaaa_nohash_2"])
        }
    }

    @Test("Speech Commands: keeps the top-N speakers by clip count", arguments: [
        (1, ["aaaa"], 6), (2, ["aaaa", "bbbb"], 2), (5, ["aaaa", "bbbb", "cccc"], 0),
    ])
    func speechCommandsTopSpeakers(limit: Int, speakers: [String], excluded: Int) throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.speechCommands(in: root)
            let index = try DatasetIndex(root: root, options: .init(speakerLimit: limit))
            #expect(index.speakers == speakers)
            #expect(index.excludedCount == excluded)
            #expect(index.recordings.count == 12 - excluded)
        }
    }

    @Test("LibriSpeech: detected, numeric speaker order, chapters, misplaced file skipped")
    func libriSpeech() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.libriSpeech(in: root)
            let index = try DatasetIndex(root: root)
            #expect(index.layout == .libriSpeech)
            #expect(index.recordings.count == 7)
            #expect(index.speakers == ["19", "103"])
            #expect(Set(index.recordings.compactMap(\.chapter)) == ["198", "227", "1240"])
            #expect(index.skipped.map(\.path) == ["train-clean-100/103/19-198-0009.flac"])
        }
    }

    @Test("Accent: language from the file name, one speaker per file, odd name skipped")
    func accentFromNames() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.accent(in: root)
            let index = try DatasetIndex(root: root)
            #expect(index.layout == .accent)
            #expect(index.recordings.count == 6)
            #expect(index.classes == ["english", "korean", "spanish"])
            #expect(index.speakers.count == 6)
            #expect(index.skipped.map(\.path) == ["recordings/paragraph.wav"])
        }
    }

    @Test("Accent: keeps languages with at least N speakers", arguments: [
        (1, ["english", "korean", "spanish"]), (2, ["english", "spanish"]), (3, ["spanish"]),
    ])
    func accentMinimumSpeakers(minimum: Int, languages: [String]) throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.accent(in: root)
            let index = try DatasetIndex(root: root, options: .init(minimumSpeakersPerLanguage: minimum))
            #expect(index.classes(for: .accent) == languages)
            #expect(index.recordings.count + index.excludedCount == 6)
        }
    }

    @Test("Accent: speakers_all.csv, when present, gives the language (quoted fields, missing files)")
    func accentFromCSV() throws {
        try DatasetFixture.withFolder { root in
            let csv = """
            age,age_onset,birthplace,filename,native_language,sex,speakerid,country,file_missing?
            24,12,"madrid, spain",spanish1,spanish,male,1,spain,FALSE
            30,5,"barcelona, spain",spanish3,catalan,female,3,spain,FALSE
            40,5,"seoul, south korea",korean1,english,female,9,south korea,TRUE

            """
            try DatasetFixture.accent(in: root, csv: csv)
            let index = try DatasetIndex(root: root)
            #expect(index.layout == .accent)
            let language = Dictionary(uniqueKeysWithValues: index.recordings.map { ($0.speaker, $0.language!) })
            #expect(language["spanish1"] == "spanish" && language["spanish3"] == "catalan")
            #expect(language["korean1"] == "korean")  // marked missing in the CSV: the name decides
            #expect(index.classes == ["catalan", "english", "korean", "spanish"])
        }
    }

    @Test("Accent, grouped by language: detected, the class is the language without separators or digits")
    func groupedAccent() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.groupedAccent(in: root)
            for folder in [root, root.appendingPathComponent("recordings")] {
                let index = try DatasetIndex(root: folder)
                #expect(index.layout == .accent && index.root == folder.standardizedFileURL)
                #expect(index.classes == ["arabic", "dutch", "serbo-croatian"])
                #expect(index.speakers.count == 6 && index.skipped.isEmpty)
            }
            // One language's folder is a subset: one class.
            let arabic = try DatasetIndex(root: root.appendingPathComponent("recordings/arabic"))
            #expect(arabic.layout == .accent && arabic.classes == ["arabic"] && arabic.recordings.count == 3)
        }
    }

    @Test("VCTK: detected, speakers and accents from speaker-info.txt, mic2 skipped, unknown accents left out")
    func vctk() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.vctk(in: root)
            let index = try DatasetIndex(root: root)
            #expect(index.layout == .vctk)
            #expect(index.recordings.count == 6 && index.speakers == ["p225", "p226", "p999"])
            #expect(index.classes(for: .accent) == ["English", "Scottish"])
            #expect(index.skipped.count == 6 && index.skipped.allSatisfy { $0.reason.contains("mic2") })
            let split = try DatasetSplit.stratified(index, classKind: .accent, testFraction: 0.4, seed: 1)
            #expect(!(split.train + split.test).contains { $0.speaker == "p999" })
            // The audio folder alone (a subset without speaker-info.txt beside it) still reads as VCTK.
            let subset = try DatasetIndex(root: root.appendingPathComponent("wav48_silence_trimmed"))
            #expect(subset.layout == .vctk && subset.recordings.count == 6)
        }
    }

    @Test("VoxCeleb: detected, speaker ids, iden_split.txt as the official split, m4a named as undecodable")
    func voxCeleb() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.voxCeleb(in: root)
            try DatasetFixture.text("wav/id10003/abc/00001.m4a", "aac", in: root)
            let index = try DatasetIndex(root: root)
            #expect(index.layout == .voxCeleb && index.hasOfficialSplit)
            #expect(index.speakers == ["id10001", "id10002"] && index.recordings.count == 5)
            let split = try DatasetSplit.official(index)
            #expect(split.test.map(\.id) == ["wav/id10001/7w0IBEWc9Qw/00001", "wav/id10002/6WO410QOeuo/00001"])
            #expect(index.skipped.map(\.path) == ["wav/id10003/abc/00001.m4a"] && index.skipped[0].reason.contains("ffmpeg"))
            let subset = try DatasetIndex(root: root.appendingPathComponent("wav"))
            #expect(subset.layout == .voxCeleb && subset.recordings.count == 5)
        }
    }

    @Test("Detected from the folder that holds a dataset, and from a subset of one")
    func holdingAndSubsetFolders() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.libriSpeech(in: root.appendingPathComponent("LibriSpeech"))
            try DatasetFixture.text("LibriSpeech.tar.gz.md5", "0", in: root)
            let held = try DatasetIndex(root: root)
            #expect(held.layout == .libriSpeech && held.root == root.appendingPathComponent("LibriSpeech").standardizedFileURL)
            #expect(held.location?.contains("found at") == true && held.recordings.count == 7)
            let subset = try DatasetIndex(root: root.appendingPathComponent("LibriSpeech/train-clean-100"))
            #expect(subset.layout == .libriSpeech && subset.recordings.count == 7)

            try DatasetFixture.fsdd(in: root.appendingPathComponent("free-spoken-digit-dataset"))
            let several = #expect(throws: DatasetError.self) { try DatasetIndex(root: root) }
            #expect(several?.description.contains("LibriSpeech (librispeech), free-spoken-digit-dataset (fsdd)") == true)
            let recordings = root.appendingPathComponent("free-spoken-digit-dataset/recordings")
            let fsdd = try DatasetIndex(root: recordings)
            #expect(fsdd.layout == .fsdd && fsdd.recordings.count == 42 && fsdd.location != nil)
        }
        // The synthetic corpus's folder holds two datasets: the names of one (accent files three levels
        // down) must not make the holder read as that one.
        try DatasetFixture.withFolder { root in
            try DatasetFixture.audioMNIST(in: root.appendingPathComponent("speakers"))
            try DatasetFixture.accent(in: root.appendingPathComponent("accents"))
            let several = #expect(throws: DatasetError.self) { try DatasetIndex(root: root) }
            #expect(several?.description.contains("accents (accent)") == true && several?.description.contains("speakers (audiomnist)") == true,
                    "\(String(describing: several))")
        }
        // A folder named data/ that holds datasets is not mistaken for AudioMNIST's data/.
        try DatasetFixture.withFolder { root in
            try DatasetFixture.fsdd(in: root.appendingPathComponent("data/fsdd"))
            let index = try DatasetIndex(root: root.appendingPathComponent("data"))
            #expect(index.layout == .fsdd && index.root.lastPathComponent == "fsdd")
            try DatasetFixture.audioMNIST(in: root.appendingPathComponent("audiomnist"))
            let audioMNIST = try DatasetIndex(root: root.appendingPathComponent("audiomnist/data"))
            #expect(audioMNIST.layout == .audioMNIST && audioMNIST.recordings.count == 40)
        }
    }

    @Test("CSV parser: quotes, doubled quotes, CRLF")
    func csvParser() {
        #expect(DatasetIndex.parseCSV("a,\"b, c\",\"d \"\"e\"\"\"\r\n1,2,3\n") == [["a", "b, c", "d \"e\""], ["1", "2", "3"]])
    }

    @Test("A missing folder throws folderNotFound naming the path")
    func missingFolder() throws {
        let url = URL(fileURLWithPath: "/nonexistent/qpae/data")
        #expect(throws: DatasetError.folderNotFound(url)) { try DatasetIndex(root: url) }
        #expect(DatasetError.folderNotFound(url).description.contains("/nonexistent/qpae/data"))
    }

    @Test("An unrecognisable folder throws with the path and the fix")
    func unrecognisedFolder() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.text("notes.txt", "hello", in: root)
            do {
                _ = try DatasetIndex(root: root)
                Issue.record("expected an error")
            } catch let error as DatasetError {
                #expect(error == .unrecognizedLayout(root.standardizedFileURL, contents: ["notes.txt"]))
                #expect(error.description.contains(root.standardizedFileURL.path))
                #expect(error.description.contains("pass --layout or point at the dataset root"))
            }
        }
    }

    @Test("An explicit layout whose folder is missing, or whose names never fit, throws")
    func explicitLayoutErrors() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.audioMNIST(in: root)
            let recordings = root.standardizedFileURL.appendingPathComponent("recordings")
            #expect(throws: DatasetError.missingFolder(recordings, layout: .fsdd)) {
                try DatasetIndex(root: root, layout: .fsdd)
            }
            #expect(throws: DatasetError.noRecordings(root.standardizedFileURL, layout: .libriSpeech, skippedCount: 41)) {
                try DatasetIndex(root: root, layout: .libriSpeech)
            }
        }
    }

    @Test("Real FSDD at ../shared/data/fsdd: 3,000 recordings, 6 speakers × 500, 10 digits",
          .enabled(if: DatasetIndexTests.sharedFSDD != nil))
    func realFSDD() throws {
        let index = try DatasetIndex(root: try #require(Self.sharedFSDD))
        #expect(index.layout == .fsdd)
        #expect(index.recordings.count == 3_000)
        #expect(index.skipped.isEmpty)
        #expect(index.speakers == ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"])
        #expect(Dictionary(grouping: index.recordings, by: \.speaker).values.allSatisfy { $0.count == 500 })
        #expect(index.classes(for: .digit) == (0...9).map(String.init))
    }

    /// `../shared/data/fsdd` beside the checkout this file lives in, when it exists.
    static let sharedFSDD: URL? = {
        let checkout = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let url = checkout.appendingPathComponent("../shared/data/fsdd").standardizedFileURL
        return DatasetIndex.isDirectory(url.appendingPathComponent("recordings")) ? url : nil
    }()
}
