import AudioFeatures
import Foundation
import Testing
import TestSupport
@testable import Datasets

private func files(under folder: URL) -> [String] {
    let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
    var paths: [String] = []
    while let url = enumerator?.nextObject() as? URL {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            paths.append(String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1)))
        }
    }
    return paths.sorted()
}

private func rms(_ samples: [Float]) -> Float {
    (samples.reduce(0) { $0 + $1 * $1 } / Float(max(samples.count, 1))).squareRoot()
}

private let small = SyntheticCorpus.Settings(speakerCount: 2, takes: 2, digits: [0, 1],
                                             accentCodes: ["es", "cmn"], speakersPerAccent: 2,
                                             sentencesPerSpeaker: 1)

@Suite struct SyntheticCorpusTests {
    @Test func synthesizerSpeaksAt22050() throws {
        let samples = try SpeechSynthesizer().speak("seven", voice: "en+m3", pitch: 40, speed: 160)
        let seconds = Double(samples.count) / Double(SpeechSynthesizer.sampleRate)
        #expect((0.2...2.0).contains(seconds), "“seven” lasted \(seconds) s")
        #expect(rms(samples) > 0.01)
    }

    @Test func missingExecutableNamesCommandAndFix() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/espeak-ng")
        let synthesizer = SpeechSynthesizer(executable: missing)
        #expect(throws: SpeechSynthesisError.executableNotFound(missing)) {
            _ = try synthesizer.speak("one", voice: "en")
        }
        let message = SpeechSynthesisError.executableNotFound(missing).description
        #expect(message.contains("/nonexistent/espeak-ng") && message.contains("apt-get install espeak-ng"))

        let folder = Scratch.folder("synthetic")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: SpeechSynthesisError.self) {
            try SyntheticCorpus.ensure(at: folder.appendingPathComponent("corpus"), seed: 1, settings: small,
                                       synthesizer: synthesizer)
        }
        // Nothing half-made is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func failingCommandIsReported() throws {
        // `false` exits with status 1 and writes nothing.
        let synthesizer = SpeechSynthesizer(executable: URL(fileURLWithPath: "/bin/false"))
        do {
            _ = try synthesizer.speak("one", voice: "en")
            Issue.record("expected an error")
        } catch let error as SpeechSynthesisError {
            #expect(error.description.contains("/bin/false -v en"))
            #expect(error.description.contains("apt-get install espeak-ng"))
        }
    }

    @Test func speakersInAudioMNISTLayout() throws {
        let folder = Scratch.folder("synthetic")
        defer { try? FileManager.default.removeItem(at: folder) }
        try SyntheticCorpus.makeSpeakers(into: folder, speakerCount: 2, takes: 2, digits: [0, 1], seed: 7)
        let speakers = SyntheticCorpus.speakers(count: 2, seed: 7)
        let expected = speakers.flatMap { speaker in
            [0, 1].flatMap { digit in
                (0..<2).map { "data/\(speaker.name)/\(digit)_\(speaker.name)_\($0).wav" }
            }
        }
        #expect(files(under: folder) == expected.sorted())
        for path in expected {
            let clip = try decodeAudio(at: folder.appendingPathComponent(path))
            #expect(clip.sampleRate == 16_000 && clip.channelCount == 1)
            #expect((0.2...2.0).contains(clip.duration), "\(path) lasts \(clip.duration) s")
            #expect(rms(clip.samples) > 0.01, "\(path) is silent")
        }
    }

    @Test func speakersAreDistinctAndSeeded() {
        let many = SyntheticCorpus.speakers(count: 30, seed: 3)
        #expect(Set(many).count == 30)
        #expect(Set(many.prefix(12).map(\.variant)).count == 12)
        #expect(SyntheticCorpus.speakers(count: 6, seed: 3) == Array(many.prefix(6)))
        #expect(SyntheticCorpus.speakers(count: 6, seed: 3) != SyntheticCorpus.speakers(count: 6, seed: 4))
        #expect(many.allSatisfy { $0.name.allSatisfy { $0.isLetter || $0.isNumber } })
    }

    @Test func accentsInSpeechAccentArchiveNaming() throws {
        let folder = Scratch.folder("synthetic")
        defer { try? FileManager.default.removeItem(at: folder) }
        let accents = SyntheticAccent.all.filter { ["es", "cmn"].contains($0.code) }
        try SyntheticCorpus.makeAccents(into: folder, accents: accents, speakersPerAccent: 2,
                                        sentencesPerSpeaker: 1, seed: 7)
        let names = ["mandarin1", "mandarin2", "spanish1", "spanish2"]
        #expect(files(under: folder) == (names.map { "recordings/\($0).wav" } + ["speakers_all.csv"]).sorted())
        for name in names {
            let clip = try decodeAudio(at: folder.appendingPathComponent("recordings/\(name).wav"))
            #expect(clip.sampleRate == 16_000)
            #expect((0.5...8.0).contains(clip.duration), "\(name) lasts \(clip.duration) s")
            #expect(rms(clip.samples) > 0.01, "\(name) is silent")
        }
        let lines = try String(contentsOf: folder.appendingPathComponent("speakers_all.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(lines.first == "age,age_onset,birthplace,filename,native_language,sex,speakerid,country,synthesis")
        #expect(lines.count == 5)
        let spanish = try #require(lines.first { $0.contains(",spanish1,spanish,") })
        #expect(spanish.contains("\"madrid, spain\"") && spanish.contains("es+"))
        #expect(lines.dropFirst().allSatisfy { $0.contains(",male,") || $0.contains(",female,") })
    }

    @Test func sameSeedSameBytesOtherSeedOtherVoices() throws {
        let folder = Scratch.folder("synthetic")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try SyntheticCorpus.ensure(at: folder.appendingPathComponent("a"), seed: 11, settings: small)
        let second = try SyntheticCorpus.ensure(at: folder.appendingPathComponent("b"), seed: 11, settings: small)
        let paths = files(under: first)
        #expect(paths == files(under: second))
        #expect(paths.count == 2 * 2 * 2 + 2 * 2 + 2)  // clips, accent recordings, CSV and marker
        for path in paths {
            #expect(try Data(contentsOf: first.appendingPathComponent(path))
                    == Data(contentsOf: second.appendingPathComponent(path)), "\(path) differs")
        }
        let other = try SyntheticCorpus.ensure(at: folder.appendingPathComponent("c"), seed: 12, settings: small)
        #expect(files(under: other) != paths)  // other speakers, so other folder names
    }

    @Test func cacheIsReusedAndRegeneratedForAnotherSeed() throws {
        let folder = Scratch.folder("synthetic")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = folder.appendingPathComponent("synthetic")
        let root = try SyntheticCorpus.ensure(at: cache, seed: 5, settings: small)
        #expect(root == cache)
        let marker = cache.appendingPathComponent(SyntheticCorpus.markerName)
        func modified(_ url: URL) throws -> Date {
            try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as! Date
        }
        let firstDate = try modified(marker)
        let clip = cache.appendingPathComponent("accents/recordings/spanish1.wav")
        let clipDate = try modified(clip)

        let start = Date()
        // A missing executable proves the second call runs no espeak-ng at all.
        let broken = SpeechSynthesizer(executable: URL(fileURLWithPath: "/nonexistent/espeak-ng"))
        #expect(try SyntheticCorpus.ensure(at: cache, seed: 5, settings: small, synthesizer: broken) == cache)
        #expect(Date().timeIntervalSince(start) < 0.5)
        #expect(try modified(marker) == firstDate && modified(clip) == clipDate)

        try SyntheticCorpus.ensure(at: cache, seed: 6, settings: small)
        #expect(SyntheticCorpus.marker(in: cache)?.seed == 6)
        let seed6 = SyntheticCorpus.speakers(count: 2, seed: 6).map(\.name).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("speakers/data").path)
                .sorted() == seed6)
        // No staging or retired folders remain beside the cache.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["synthetic"])

        var bigger = small
        bigger.takes = 3
        try SyntheticCorpus.ensure(at: cache, seed: 6, settings: bigger)
        #expect(files(under: cache).filter { $0.hasPrefix("speakers/") }.count == 2 * 2 * 3)
    }

    @Test func datasetIndexReadsBothParts() throws {
        let folder = Scratch.folder("synthetic")
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = try SyntheticCorpus.ensure(at: folder.appendingPathComponent("synthetic"), seed: 2, settings: small)
        let digits = try DatasetIndex(root: root.appendingPathComponent(SyntheticCorpus.speakersFolderName),
                                      layout: .audioMNIST)
        #expect(digits.recordings.count == 8 && digits.skipped.isEmpty)
        #expect(digits.speakers == SyntheticCorpus.speakers(count: 2, seed: 2).map(\.name).sorted())
        let accents = try DatasetIndex(root: root.appendingPathComponent(SyntheticCorpus.accentsFolderName),
                                       layout: .accent)
        #expect(accents.recordings.count == 4 && accents.skipped.isEmpty)
        #expect(Set(accents.recordings.compactMap(\.language)) == ["spanish", "mandarin"])
    }

    /// The full default corpus, timed; opt in with `QPAE_SYNTHETIC_TIMING=1` (a few seconds on 2 cores).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["QPAE_SYNTHETIC_TIMING"] != nil))
    func defaultCorpusHasTheDocumentedSize() throws {
        let folder = Scratch.folder("synthetic")
        defer { try? FileManager.default.removeItem(at: folder) }
        let start = Date()
        let root = try SyntheticCorpus.ensure(at: folder.appendingPathComponent("synthetic"), seed: 0)
        let seconds = Date().timeIntervalSince(start)
        let paths = files(under: root)
        print("default synthetic corpus: \(paths.count) files in \(String(format: "%.1f", seconds)) s")
        #expect(paths.filter { $0.hasPrefix("speakers/") }.count == 6 * 10 * 5)
        #expect(paths.filter { $0.hasPrefix("accents/recordings/") }.count == 13 * 4)
    }
}
