import AudioFeatures
import Foundation
import Testing

@testable import Datasets

/// Fixture clips for feature extraction: sine tones written as WAV into a temporary folder.
private enum ToneFixture {
    /// A `seconds`-long 440 Hz tone at `sampleRate`, as 16-bit WAV named `name.wav` in `folder`.
    @discardableResult
    static func write(_ name: String, seconds: Double, sampleRate: Int, frequency: Double = 440,
                      in folder: URL) throws -> Recording {
        let count = Int((seconds * Double(sampleRate)).rounded())
        let samples = (0..<count).map { Float(0.4 * sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate))) }
        let url = folder.appendingPathComponent("\(name).wav")
        try writeAudio(samples, sampleRate: sampleRate, to: url, format: .wav16)
        return Recording(url: url, id: name, speaker: "tone")
    }

    /// Four clips and how many 0.975 s examples each gives at 16 kHz (`ceil(n·16000/rate / 15600)`).
    static func clips(in folder: URL) throws -> (recordings: [Recording], exampleCounts: [Int]) {
        let recordings = [
            try write("a_8k_1s", seconds: 1.0, sampleRate: 8_000, frequency: 300, in: folder),      // 16,000 → 2
            try write("b_16k_2.5s", seconds: 2.5, sampleRate: 16_000, frequency: 440, in: folder),  // 40,000 → 3
            try write("c_44k_1.5s", seconds: 1.5, sampleRate: 44_100, frequency: 1_000, in: folder), // 24,000 → 2
            try write("d_16k_0.5s", seconds: 0.5, sampleRate: 16_000, frequency: 2_000, in: folder), // 8,000 → 1
        ]
        return (recordings, [2, 3, 2, 1])
    }
}

@Suite("Feature extraction")
struct FeatureExtractionTests {
    @Test("each recording gives ceil(duration / 0.975 s) examples, labelled and in input order")
    func exampleCounts() throws {
        try DatasetFixture.withFolder { folder in
            let (recordings, counts) = try ToneFixture.clips(in: folder)
            let (features, report) = try extractFeatures(for: recordings)
            #expect(features.count == counts.reduce(0, +))
            #expect(features.featureShape == [1, 64, 96])
            #expect(features.values.count == features.count * 6_144)
            let expectedIDs = zip(recordings, counts).flatMap { Array(repeating: $0.id, count: $1) }
            #expect(features.recordingIDs == expectedIDs)
            #expect(features.exampleIndices == counts.flatMap { Array(0..<$0) })
            #expect(features.exampleIndices(ofRecording: "b_16k_2.5s") == [2, 3, 4])
            #expect(report.recordingCount == 4 && report.exampleCount == 8 && report.skippedCount == 0)
            #expect(report.summary.hasPrefix("4 recordings → 8 examples, 0 skipped"))
        }
    }

    @Test("the output is the same for 1, 2 and 3 threads and across runs")
    func deterministicOrder() throws {
        try DatasetFixture.withFolder { folder in
            let (clips, _) = try ToneFixture.clips(in: folder)
            let recordings = clips + clips.reversed() + clips
            let one = try FeatureExtractor(threadCount: 1).extract(recordings).features
            for threads in [2, 3, 2] {
                #expect(try FeatureExtractor(threadCount: threads).extract(recordings).features == one)
            }
        }
    }

    @Test("the features of a clip equal LogMelExtractor.logMel of its resampled examples")
    func matchesLogMelExtractor() throws {
        try DatasetFixture.withFolder { folder in
            let recording = try ToneFixture.write("c", seconds: 1.5, sampleRate: 44_100, frequency: 1_000, in: folder)
            let decoded = try decodeAudio(at: recording.url)
            let samples = try resample(decoded.samples, from: decoded.sampleRate, to: 16_000)
            let extractor = LogMelExtractor()
            let reference = extractor.examples(from: samples).flatMap(extractor.logMel(example:))
            let (features, _) = try extractFeatures(for: [recording])
            #expect(features.values == reference)
            #expect(features.example(at: 1) == Array(reference[6_144...]))
        }
    }

    @Test("a corrupt file is skipped and counted, or thrown with failOnUnreadable")
    func corruptFile() throws {
        try DatasetFixture.withFolder { folder in
            let (clips, _) = try ToneFixture.clips(in: folder)
            let bad = folder.appendingPathComponent("broken.wav")
            try "this is not audio".write(to: bad, atomically: true, encoding: .utf8)
            let recordings = [clips[0], Recording(url: bad, id: "broken", speaker: "x"), clips[1]]
            let (features, report) = try extractFeatures(for: recordings)
            #expect(features.count == 5)
            #expect(!features.recordingIDs.contains("broken"))
            #expect(report.skipped.map(\.path) == [bad.path])
            #expect(report.skipped[0].reason.contains("broken.wav"))
            #expect(report.summary.contains("1 skipped"))
            #expect(throws: AudioError.self) { try extractFeatures(for: recordings, failOnUnreadable: true) }
        }
    }

    @Test("normalisation statistics are the population mean and deviation in Double")
    func normalizationStatistics() {
        var settings = LogMelSettings.vggish
        settings.exampleLength = 400          // one frame
        settings.melBandCount = 2             // two values per example
        let features = FeatureSet(settings: settings, values: [1, 2, 3, 6], recordingIDs: ["r", "r"],
                                  exampleIndices: [0, 1])
        // mean = 12/4 = 3; squared deviations 4, 1, 0, 9 → variance 14/4 = 3.5
        let statistics = features.normalizationStatistics()
        #expect(statistics.mean == 3)
        #expect(statistics.standardDeviation == Float(3.5.squareRoot()))
        var values: [Float] = [3, 3 + Float(3.5.squareRoot())]
        statistics.normalize(&values)
        #expect(values[0] == 0 && abs(values[1] - 1) < 1e-6)
        #expect(NormalizationStatistics(of: [Float]()) == NormalizationStatistics(mean: 0, standardDeviation: 1))
        let json = try? JSONEncoder().encode(statistics)
        #expect(json.flatMap { try? JSONDecoder().decode(NormalizationStatistics.self, from: $0) } == statistics)
    }

    @Test("the progress reporter writes a line every 10% off a terminal and a live bar on one")
    func progressReporter() {
        let plain = Collector()
        let reporter = ProgressReporter(total: 50, label: "test", live: false, write: plain.append)
        DispatchQueue.concurrentPerform(iterations: 50) { _ in reporter.advance() }
        reporter.finish()
        reporter.finish()
        #expect(plain.lines.count == 10)       // 10%, 20%, …, 90%, then the final line
        #expect(plain.lines.last?.hasPrefix("test: done 50/50 in ") == true)
        #expect(plain.lines.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })

        let live = Collector()
        let bar = ProgressReporter(total: 3, label: "bar", live: true, write: live.append)
        for _ in 0..<3 { bar.advance() }
        bar.finish()
        #expect(live.lines.allSatisfy { $0.hasPrefix("\r") })
        #expect(live.lines.contains { $0.contains("100%  3/3") })
        #expect(live.lines.last?.hasSuffix("\n") == true)
    }
}

@Suite("Feature cache")
struct FeatureCacheTests {
    @Test("a second call loads identical features from the cache")
    func loadsFromCache() throws {
        try DatasetFixture.withFolder { folder in
            let (recordings, _) = try ToneFixture.clips(in: folder)
            let cache = FeatureCache(folder: folder.appendingPathComponent("cache"))
            let first = try cache.features(for: recordings)
            #expect(!first.fromCache)
            #expect(first.report.notes.contains { $0.hasPrefix("stored in cache") })
            let second = try cache.features(for: recordings)
            #expect(second.fromCache)
            #expect(second.features == first.features)
            #expect(second.report.exampleCount == first.report.exampleCount)
            let file = try Data(contentsOf: cache.fileURL(for: recordings))
            #expect(Array(file.prefix(8)) == Array("QPAEFEAT".utf8))
            #expect((file.count - first.features.values.count * 4) % 64 == 0)
        }
    }

    @Test("a changed file or changed settings re-extract")
    func noticesChanges() throws {
        try DatasetFixture.withFolder { folder in
            var (recordings, _) = try ToneFixture.clips(in: folder)
            let cache = FeatureCache(folder: folder.appendingPathComponent("cache"))
            _ = try cache.features(for: recordings)

            recordings[1] = try ToneFixture.write("b_16k_2.5s", seconds: 1.0, sampleRate: 16_000, in: folder)
            let changed = try cache.features(for: recordings)
            #expect(!changed.fromCache)
            #expect(changed.report.notes.contains { $0.contains("stale (1 recordings changed)") })
            #expect(changed.features.exampleIndices(ofRecording: "b_16k_2.5s") == [2, 3])
            #expect(try cache.features(for: recordings).fromCache)

            var settings = LogMelSettings.vggish
            settings.melBandCount = 32
            let other = try cache.features(for: recordings, settings: settings)
            #expect(!other.fromCache)
            #expect(other.features.featureShape == [1, 32, 96])
            #expect(try cache.features(for: recordings, settings: settings).fromCache)
            #expect(try cache.features(for: recordings).fromCache)   // both settings stay cached
        }
    }

    @Test("a truncated or garbled cache file is re-extracted, never a crash", arguments: [0, 7, 30, 1_000, -4])
    func damagedCacheFile(keptBytes: Int) throws {
        try DatasetFixture.withFolder { folder in
            let (recordings, _) = try ToneFixture.clips(in: folder)
            let cache = FeatureCache(folder: folder.appendingPathComponent("cache"))
            let original = try cache.features(for: recordings).features
            let url = cache.fileURL(for: recordings)
            let bytes = try Data(contentsOf: url)
            try bytes.prefix(keptBytes >= 0 ? keptBytes : bytes.count + keptBytes).write(to: url)
            #expect(throws: FeatureCacheError.self) { try FeatureCache.read(from: url) }
            let again = try cache.features(for: recordings)
            #expect(!again.fromCache)
            #expect(again.report.notes.contains { $0.contains("unreadable") })
            #expect(again.features == original)
            #expect(try cache.features(for: recordings).fromCache)
        }
    }

    @Test("a cache holding skipped files still reports them, and rethrows with failOnUnreadable")
    func cachedSkips() throws {
        try DatasetFixture.withFolder { folder in
            let (clips, _) = try ToneFixture.clips(in: folder)
            let bad = folder.appendingPathComponent("broken.wav")
            try "nope".write(to: bad, atomically: true, encoding: .utf8)
            let recordings = clips + [Recording(url: bad, id: "broken", speaker: "x")]
            let cache = FeatureCache(folder: folder.appendingPathComponent("cache"))
            _ = try cache.features(for: recordings)
            let cached = try cache.features(for: recordings)
            #expect(cached.fromCache && cached.report.skipped.map(\.path) == [bad.path])
            #expect(throws: AudioError.self) { try cache.features(for: recordings, failOnUnreadable: true) }
        }
    }

    @Test("the first 60 FSDD recordings extract to finite features and load back from the cache",
          .enabled(if: fsddRoot != nil))
    func fsddSubset() throws {
        let index = try DatasetIndex(root: try #require(fsddRoot), layout: .fsdd)
        let recordings = Array(index.recordings.prefix(60))
        try #require(recordings.count == 60)
        try DatasetFixture.withFolder { folder in
            let cache = FeatureCache(folder: folder)
            let cold = try cache.features(for: recordings)
            let warm = try cache.features(for: recordings)
            #expect(!cold.fromCache && warm.fromCache)
            #expect(cold.report.skippedCount == 0)
            #expect(Set(cold.features.recordingIDs).count == 60)
            #expect(cold.features.count >= 60 && cold.features.count <= 120)  // FSDD clips are 0.1–2.3 s
            #expect(cold.features.values.allSatisfy { $0.isFinite })
            #expect(warm.features == cold.features)
            print("FSDD 60 clips: extract \(String(format: "%.3f", cold.report.seconds)) s "
                  + "(\(cold.features.count) examples), cache load \(String(format: "%.4f", warm.report.seconds)) s")
        }
    }
}

/// Text written by a ``ProgressReporter``, one element per write.
private final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.withLock { storage } }
    var append: @Sendable (String) -> Void { { [self] text in lock.withLock { storage.append(text) } } }
}

/// `../shared/data/fsdd` beside the checkout, when present.
private let fsddRoot: URL? = {
    let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let root = checkout.deletingLastPathComponent().appendingPathComponent("shared/data/fsdd")
    return FileManager.default.fileExists(atPath: root.appendingPathComponent("recordings").path) ? root : nil
}()

@Suite("Features handed over as tensors")
struct FeatureTensorTests {
    @Test func batchesAreNCHWAndNormalised() {
        let settings = LogMelSettings(melBandCount: 2, highestFrequency: 7_500)
        let perExample = settings.featureCount
        let values = (0..<(3 * perExample)).map { Float($0 % 7) }
        let features = FeatureSet(settings: settings, values: values, recordingIDs: ["a", "a", "b"], exampleIndices: [0, 1, 0])
        let batch = features.batch([2, 0])
        #expect(batch.shape == [2, 1, 2, settings.frameCount])
        #expect(Array(batch.scalars.prefix(perExample)) == features.example(at: 2))
        let statistics = NormalizationStatistics(mean: 3, standardDeviation: 2)
        let normalised = features.batch([1], normalizedWith: statistics)
        #expect(normalised.scalars == features.example(at: 1).map { ($0 - 3) / 2 })
    }

    @Test func aGivenDataFolderIsUsedAsItIs() throws {
        let folder = URL(fileURLWithPath: "/some/dataset")
        #expect(try SyntheticCorpus.dataFolder(for: folder) == folder)
        #expect(SyntheticCorpus.defaultCacheFolder.path.hasSuffix("synthetic"))
    }
}

@Suite("Examples on the speech")
struct SpeechWindowsDatasetTests {
    /// A 16 kHz recording of `seconds` of quiet noise with a 0.5-amplitude tone over each burst (seconds).
    static func write(_ path: String, seconds: Double, bursts: [ClosedRange<Double>], in root: URL) throws {
        let rate = 16_000
        var state: UInt64 = 7
        var samples = (0 ..< Int(seconds * Double(rate))).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return 0.005 * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
        }
        for burst in bursts {
            for index in Int(burst.lowerBound * Double(rate)) ..< Int(burst.upperBound * Double(rate)) {
                samples[index] += 0.5 * Float(sin(2 * Double.pi * 330 * Double(index) / Double(rate)))
            }
        }
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try writeAudio(samples, sampleRate: rate, to: url, format: .wav16)
    }

    @Test("per class: recordings, examples, and windows dropped with the reason, kept through the cache")
    func perClassCounts() throws {
        try DatasetFixture.withFolder { root in
            // FSDD names: takes 0–4 are test. Alice: short words, one take silent (digital zeros).
            // Bob: long takes, two words far apart with a click between them, which is dropped.
            for take in 0 ..< 7 {
                try Self.write("recordings/1_alice_\(take).wav", seconds: 1.2, bursts: take == 6 ? [] : [0.6 ... 0.9], in: root)
                try Self.write("recordings/1_bob_\(take).wav", seconds: 5, bursts: [0.5 ... 1.2, 2.5 ... 2.53, 3.5 ... 4.5], in: root)
            }
            try writeAudio([Float](repeating: 0, count: 16_000), sampleRate: 16_000,
                           to: root.appendingPathComponent("recordings/1_alice_6.wav"), format: .wav16)
            let cache = root.appendingPathComponent("cache")
            for attempt in 0 ..< 2 {                         // extracted, then loaded from the cache
                let data = try PreparedData(DataRequest(path: root, featureCache: cache))
                #expect(data.notes.contains { $0.contains(attempt == 0 ? "stored in cache" : "loaded from cache") })
                #expect(data.classes == ["alice", "bob"])
                let perClass = data.windowsByClass
                #expect(perClass[0].recordings == 7 && perClass[0].windows == WindowCounts(kept: 6, silentRecordings: 1))
                #expect(perClass[1].recordings == 7 && perClass[1].windows == WindowCounts(kept: 14, droppedAsSilence: 7))
                #expect(data.train.count + data.test.count == 20)
            }
            // Consecutive examples, as before: every recording gives ceil(length / 0.975 s), none dropped.
            let consecutive = try PreparedData(DataRequest(path: root, settings: .vggish, featureCache: cache))
            #expect(consecutive.train.count + consecutive.test.count == 7 * 2 + 7 * 6)
            #expect(consecutive.windowsByClass.map(\.windows.droppedAsSilence) == [0, 0])
        }
    }
}
