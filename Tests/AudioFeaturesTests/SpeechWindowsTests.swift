import AudioFeatures
import Foundation
import Testing

/// Examples placed on the speech (``ExampleWindowing``), on generated recordings: tone bursts (the
/// "speech", 0.5 amplitude, −9 dBFS) in uniform noise (−45 dBFS) at known positions, 16 kHz.
@Suite struct SpeechWindowsTests {
    static let rate = 16_000
    let extractor = LogMelExtractor(settings: .recommended)
    /// One example, 15,600 samples.
    let length = LogMelSettings.recommended.exampleLength
    /// One analysis frame: how far a found boundary may lie from the true one.
    let frame = LogMelSettings.recommended.windowLength

    /// `seconds` of noise with a 440 Hz tone added over each of `bursts` (in seconds).
    static func recording(seconds: Double, bursts: [ClosedRange<Double>], noise: Float = 0.01, seed: UInt64 = 1) -> [Float] {
        var state = seed
        var samples = (0 ..< Int(seconds * Double(rate))).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return noise * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
        }
        for burst in bursts {
            for index in Int(burst.lowerBound * Double(rate)) ..< Int(burst.upperBound * Double(rate)) {
                samples[index] += 0.5 * Float(sin(2 * Double.pi * 440 * Double(index) / Double(rate)))
            }
        }
        return samples
    }

    @Test func aShortClipGivesOneExampleCentredOnItsSpeech() {
        // 1.2 s, the word late in it: one example, inside the recording, holding all of the word.
        let samples = Self.recording(seconds: 1.2, bursts: [0.70 ... 1.0])
        let plan = extractor.windowPlan(for: samples)
        let speech = try! #require(plan.speech)
        #expect(abs(speech.lowerBound - 11_200) <= frame && abs(speech.upperBound - 16_000) <= frame, "\(speech)")
        #expect(plan.starts == [samples.count - length], "centred at 13,600 it would run past the end: kept inside")
        #expect(plan.counts == WindowCounts(kept: 1))

        // 0.5 s: the recording sits inside one example, its word at the example's centre.
        let short = Self.recording(seconds: 0.5, bursts: [0.10 ... 0.30])
        let shortPlan = extractor.windowPlan(for: short)
        let start = try! #require(shortPlan.starts.first)
        #expect(shortPlan.starts.count == 1 && start <= 0 && start + length >= short.count)
        #expect(abs((3_200 - start) - length / 2) <= frame, "the word's centre lands mid-example")
        let example = extractor.examples(from: short)[0]
        #expect(example[..<(-start)].allSatisfy { $0 == 0 } && example[(-start + short.count)...].allSatisfy { $0 == 0 })
        #expect(Array(example[(-start) ..< (-start + short.count)]) == short)
    }

    @Test func aLongRecordingKeepsTheWindowsThatHoldSpeech() {
        // 5 s: speech 0.5–1.7 s and 3.5–4.5 s. Four windows spread over 0.48–4.52 s start at 0.48, 1.5 (21%
        // speech: dropped), 2.52 (none: dropped) and 3.54 s, the last ending where the speech does.
        let samples = Self.recording(seconds: 5, bursts: [0.5 ... 1.7, 3.5 ... 4.5])
        let plan = extractor.windowPlan(for: samples)
        let speech = try! #require(plan.speech)
        #expect(abs(speech.lowerBound - 8_000) <= frame && abs(speech.upperBound - 72_000) <= frame, "\(speech)")
        #expect(plan.counts == WindowCounts(kept: 2, droppedAsSilence: 2))
        #expect(plan.starts == [speech.lowerBound, speech.upperBound - length])
        #expect(extractor.examples(from: samples).count == 2)

        // Overlapping windows about every 0.25 s give more examples from the same speech.
        var settings = LogMelSettings.recommended
        settings.windowing!.hop = 4_000
        let overlapping = LogMelExtractor(settings: settings).windowPlan(for: samples)
        #expect(overlapping.starts.count > 4 && zip(overlapping.starts, overlapping.starts.dropFirst()).allSatisfy { $1 > $0 })
        #expect(overlapping.counts.kept + overlapping.counts.droppedAsSilence == 13, "\(overlapping.counts)")
    }

    @Test func silenceAndSteadyNoise() {
        let silent = extractor.windowPlan(for: [Float](repeating: 0, count: 20_000))
        #expect(silent.starts.isEmpty && silent.speech == nil && silent.counts == WindowCounts(silentRecordings: 1))
        #expect(extractor.windowPlan(for: []).counts == WindowCounts(), "an empty recording is not counted as silent")
        // Steady noise has no quieter floor: it is all kept, as without windowing.
        let noise = Self.recording(seconds: 2, bursts: [], noise: 0.2)
        let plan = extractor.windowPlan(for: noise)
        #expect(plan.speech == 0 ..< noise.count && plan.starts == [0, noise.count - length])
        // A recording louder than the rest only for a moment never loses all its windows.
        let click = Self.recording(seconds: 4, bursts: [2.0 ... 2.05])
        #expect(extractor.windowPlan(for: click).starts.count == 1)
    }

    @Test func withoutWindowingTheCutIsTodays() {
        let consecutive = LogMelExtractor(settings: .vggish)
        let samples = Self.recording(seconds: 2.5, bursts: [1.0 ... 1.2])
        #expect(consecutive.windowPlan(for: samples).starts == [0, 15_600, 31_200])
        #expect(consecutive.examples(from: samples).last![8_800...].allSatisfy { $0 == 0 })
    }

    @Test func settingsWithoutWindowingWriteTheJSONTheyAlwaysDid() throws {
        let json = try LogMelSettings.vggish.jsonString()
        #expect(!json.contains("windowing"), "cache keys and checkpoints of consecutive examples stay as they were")
        #expect(try LogMelSettings(jsonString: json) == .vggish)
        var settings = LogMelSettings.recommended
        settings.windowing!.hop = 8_000
        #expect(try LogMelSettings(jsonString: settings.jsonString()) == settings)
        #expect(settings != .vggish)
    }
}
