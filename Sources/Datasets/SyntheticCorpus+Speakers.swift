import AudioFeatures
import Foundation
import Tensors

/// One synthetic speaker of the digits corpus: an espeak-ng English voice variant with its own pitch
/// and speed.
public struct SyntheticSpeaker: Hashable, Codable, Sendable {
    /// The espeak-ng variant of the English voice: `m1`…`m7`, `f1`…`f5`.
    public var variant: String
    /// espeak-ng `-p` (0…99) before per-utterance jitter.
    public var pitch: Int
    /// espeak-ng `-s` in words per minute before per-utterance jitter.
    public var speed: Int

    public init(variant: String, pitch: Int, speed: Int) {
        self.variant = variant
        self.pitch = pitch
        self.speed = speed
    }

    /// The espeak-ng voice argument, e.g. `en+m3`.
    public var voice: String { "en+\(variant)" }
    /// The speaker's folder and file-name part: variant, `p` pitch, `s` speed, e.g. `m3p40s160`.
    /// Letters and digits only, so it never contains the `_` that separates AudioMNIST name fields.
    public var name: String { "\(variant)p\(pitch)s\(speed)" }
}

extension SyntheticCorpus {
    /// The English voice variants speakers are drawn from.
    public static let voiceVariants = (1...7).map { "m\($0)" } + (1...5).map { "f\($0)" }
    /// The base pitches (espeak `-p`) speakers are drawn from.
    public static let speakerPitches = [25, 35, 45, 55, 65, 75]
    /// The base speeds (espeak `-s`, words/min) speakers are drawn from.
    public static let speakerSpeeds = [130, 150, 170, 190]
    /// Largest per-utterance change of pitch (±) and speed (±), so takes of one speaker differ slightly.
    public static let utteranceJitter = (pitch: 4, speed: 10)
    /// The words espeak-ng says for the digits 0–9.
    public static let digitWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    /// `count` distinct speakers chosen from `seed`.
    ///
    /// Variants are shuffled and dealt in turn, so up to 12 speakers all have different variants; each
    /// gets a pitch and speed drawn from ``speakerPitches`` and ``speakerSpeeds``, redrawn until the
    /// (variant, pitch, speed) combination is new.
    ///
    /// - Precondition: `1 ≤ count ≤ 12 × 6 × 4`, the number of combinations.
    public static func speakers(count: Int, seed: UInt64) -> [SyntheticSpeaker] {
        let combinations = voiceVariants.count * speakerPitches.count * speakerSpeeds.count
        checkPrecondition((1...combinations).contains(count),
                          "speakerCount must be in 1…\(combinations), got \(count)")
        var random = SplitMix64(seed: seed)
        let variants = voiceVariants.shuffled(using: &random)
        var chosen: [SyntheticSpeaker] = []
        var seen = Set<SyntheticSpeaker>()
        for index in 0..<count {
            var speaker: SyntheticSpeaker
            repeat {
                speaker = SyntheticSpeaker(variant: variants[index % variants.count],
                                           pitch: speakerPitches.randomElement(using: &random)!,
                                           speed: speakerSpeeds.randomElement(using: &random)!)
            } while seen.contains(speaker)
            seen.insert(speaker)
            chosen.append(speaker)
        }
        return chosen
    }

    /// Writes the digits corpus in AudioMNIST layout: `{folder}/data/{speaker}/{digit}_{speaker}_{take}.wav`.
    ///
    /// The speakers are ``speakers(count:seed:)``; each says every digit in `digits` `takes` times
    /// (takes numbered from 0), each utterance with its pitch and speed moved by up to
    /// ``utteranceJitter`` (seeded). Clips are espeak-ng's 22,050 Hz output resampled to 16 kHz and
    /// written as 16-bit WAV. Same seed, same bytes.
    ///
    /// - Throws: ``SpeechSynthesisError`` when espeak-ng is missing or fails; ``AudioError`` on writing.
    public static func makeSpeakers(into folder: URL, speakerCount: Int = 6, takes: Int = 5,
                                    digits: [Int] = Array(0...9), seed: UInt64,
                                    synthesizer: SpeechSynthesizer = SpeechSynthesizer()) throws {
        checkPrecondition(takes > 0, "takes must be positive, got \(takes)")
        checkPrecondition(digits.allSatisfy { (0...9).contains($0) }, "digits must be in 0…9, got \(digits)")
        let chosen = speakers(count: speakerCount, seed: seed)
        // Draw every utterance's jitter up front, in a fixed order, so the parallel run is deterministic.
        var random = SplitMix64(seed: seed ^ 0x5350_4B52)  // "SPKR"
        var jobs: [Utterance] = []
        let data = folder.appendingPathComponent("data")
        for speaker in chosen {
            let speakerFolder = data.appendingPathComponent(speaker.name)
            try FileManager.default.createDirectory(at: speakerFolder, withIntermediateDirectories: true)
            for digit in digits {
                for take in 0..<takes {
                    let pitch = speaker.pitch + Int.random(in: -utteranceJitter.pitch...utteranceJitter.pitch,
                                                           using: &random)
                    let speed = speaker.speed + Int.random(in: -utteranceJitter.speed...utteranceJitter.speed,
                                                           using: &random)
                    jobs.append(Utterance(
                        text: digitWords[digit], voice: speaker.voice,
                        pitch: min(max(pitch, 0), 99), speed: min(max(speed, 80), 450),
                        file: speakerFolder.appendingPathComponent("\(digit)_\(speaker.name)_\(take).wav")))
                }
            }
        }
        try runInParallel(jobs) { try $0.write(with: synthesizer) }
    }
}

/// One clip to synthesize and where it goes.
struct Utterance: Sendable {
    var text: String
    var voice: String
    var pitch: Int
    var speed: Int
    var file: URL

    /// Speaks, resamples to 16 kHz and writes 16-bit WAV.
    func write(with synthesizer: SpeechSynthesizer) throws {
        let samples = try synthesizer.speak(text, voice: voice, pitch: pitch, speed: speed)
        let clip = try resample(samples, from: SpeechSynthesizer.sampleRate, to: SyntheticCorpus.sampleRate)
        try writeAudio(clip, sampleRate: SyntheticCorpus.sampleRate, to: file, format: .wav16)
    }
}
