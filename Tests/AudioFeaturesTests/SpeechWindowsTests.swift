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

    @Test func aLongRecordingGivesAnExampleOnEachWordAndDropsClicks() {
        // 5 s: words at 0.5–1.2 s and 3.5–3.8 s, a 30 ms click at 2.5 s. One example centred on each word
        // (the short one is never split between two examples), the click dropped.
        let samples = Self.recording(seconds: 5, bursts: [0.5 ... 1.2, 2.5 ... 2.53, 3.5 ... 3.8])
        let plan = extractor.windowPlan(for: samples)
        let speech = try! #require(plan.speech)
        #expect(abs(speech.lowerBound - 8_000) <= frame && abs(speech.upperBound - 60_800) <= frame, "\(speech)")
        #expect(plan.counts == WindowCounts(kept: 2, droppedAsSilence: 1))
        #expect(plan.starts.count == 2)
        for (start, word) in zip(plan.starts, [8_000 ..< 19_200, 56_000 ..< 60_800]) {
            #expect(start <= word.lowerBound && start + length >= word.upperBound, "\(start) holds \(word)")
            #expect(abs(start + length / 2 - (word.lowerBound + word.upperBound) / 2) <= frame, "centred on the word")
        }
    }

    @Test func longSpeechIsCoveredAndPausesAreDropped() {
        // 3 s of continuous speech (1–4 s): three examples side by side, or more with a shorter hop.
        let samples = Self.recording(seconds: 5, bursts: [1.0 ... 4.0])
        let plan = extractor.windowPlan(for: samples)
        #expect(plan.counts == WindowCounts(kept: 3) && plan.starts.first! <= 16_000 && plan.starts.last! + length >= 64_000)
        var settings = LogMelSettings.recommended
        settings.windowing!.hop = 4_000
        let overlapping = LogMelExtractor(settings: settings).windowPlan(for: samples)
        #expect(overlapping.starts.count == 9 && zip(overlapping.starts, overlapping.starts.dropFirst()).allSatisfy { $1 - $0 <= 4_200 })

        // 50 ms blips every 0.3 s join into one long sound that is three-quarters pauses: its examples
        // are dropped but the most speech-filled one.
        let blips = Self.recording(seconds: 5, bursts: stride(from: 0.5, to: 4.5, by: 0.3).map { $0 ... $0 + 0.05 })
        let sparse = extractor.windowPlan(for: blips)
        #expect(sparse.counts.kept == 1 && sparse.counts.droppedAsSilence >= 2, "\(sparse.counts)")
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
