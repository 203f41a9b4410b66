import Checks
import Foundation

/// One fixed-length example cut from a recording, labelled with where it came from.
///
/// All examples of one recording share `recordingID`, so a split can keep them on one side and
/// utterance-level prediction can average their logits (SPEC §5).
public struct RecordingExample: Hashable, Sendable {
    /// The recording this example was cut from (a file path or a dataset's utterance id).
    public var recordingID: String
    /// Position of the example in its recording, from 0.
    public var index: Int
    /// Exactly `settings.exampleLength` samples; the last example of a recording is zero-padded.
    public var samples: [Float]

    public init(recordingID: String, index: Int, samples: [Float]) {
        self.recordingID = recordingID
        self.index = index
        self.samples = samples
    }
}

/// VGGish-style log-mel features (SPEC §5): examples of 0.975 s become `1 × 64 × 96` (channel, mel, time).
///
/// For each of `frameCount` frames (start `t · hopLength`, no centring) the `windowLength` samples are
/// multiplied by a periodic Hann window `w[n] = 0.5 − 0.5·cos(2πn/windowLength)`, zero-padded to
/// `fftLength`, transformed by FFTW's real FFT, squared to power `|X_k|²`, projected onto the
/// ``MelFilterbank`` and logged: `feature[b, t] = ln(Σ_k |X_k(t)|² · W[k, b] + logOffset)`.
///
/// The window, the filterbank and one FFTW plan are made once at `init`; ``logMel(example:)`` allocates
/// its own scratch, so one extractor may be used from many threads at once.
/// ```swift
/// let extractor = LogMelExtractor()                       // LogMelSettings.vggish
/// let features = extractor.examples(from: samples16kHz).map(extractor.logMel(example:))
/// // each: 64 × 96 floats, mel-major: features[0][band * 96 + frame]
/// ```
public final class LogMelExtractor: Sendable {
    /// The framing and mel constants; recorded in checkpoints.
    public let settings: LogMelSettings
    /// The triangular mel filters, `[binCount × melBandCount]`.
    public let filterbank: MelFilterbank
    /// The periodic Hann window of `windowLength` samples.
    public let window: [Float]
    private let plan: RealFFTPlan

    /// Makes the window, the filterbank and the FFT plan for `settings` (VGGish's by default).
    public init(settings: LogMelSettings = .vggish) {
        settings.validate()
        self.settings = settings
        filterbank = MelFilterbank(settings: settings)
        let length = settings.windowLength
        window = (0..<length).map { n in
            Float(0.5 - 0.5 * cos(2 * Double.pi * Double(n) / Double(length)))
        }
        plan = RealFFTPlan(length: settings.fftLength)
    }

    /// Cuts a signal at `settings.sampleRate` into examples of `exampleLength` samples, where
    /// ``windowPlan(for:)`` puts them: on the speech under `settings.windowing`, else consecutive
    /// non-overlapping examples from the start, the last, partial one zero-padded at the end.
    ///
    /// Without windowing, `ceil(count / exampleLength)` examples: a clip shorter than one example gives
    /// one padded example, 40,000 samples give 3 (the third holds 8,800 samples and 6,800 zeros).
    /// **An empty signal gives no examples**: there is nothing to classify, and a caller that needs one
    /// must decide that itself.
    public func examples(from samples: [Float]) -> [[Float]] {
        windowPlan(for: samples).starts.map { example(of: samples, from: $0) }
    }

    /// ``examples(from:)`` with each example labelled by `recordingID` and its position.
    public func examples(from samples: [Float], recordingID: String) -> [RecordingExample] {
        examples(from: samples).enumerated().map { index, example in
            RecordingExample(recordingID: recordingID, index: index, samples: example)
        }
    }

    /// The log-mel features of one example of exactly `exampleLength` samples.
    ///
    /// Returns `melBandCount · frameCount` values (64 × 96 = 6,144 for VGGish) in (mel, time)
    /// row-major order, the `1 × melBandCount × frameCount` layout: `result[band * frameCount + frame]`.
    public func logMel(example: [Float]) -> [Float] {
        checkPrecondition(example.count == settings.exampleLength,
                          "LogMelExtractor.logMel: example of \(example.count) samples, expected \(settings.exampleLength)")
        let frames = settings.frameCount
        let hop = settings.hopLength
        let windowLength = settings.windowLength
        let binCount = settings.binCount
        let bands = settings.melBandCount
        let offset = Float(settings.logOffset)
        let scratch = plan.makeBuffers()  // input[windowLength..<fftLength] stays zero: the padding
        let spectrum = UnsafeMutableRawPointer(scratch.output).assumingMemoryBound(to: Float.self)
        var power = [Float](repeating: 0, count: binCount)
        var result = [Float](repeating: 0, count: bands * frames)
        example.withUnsafeBufferPointer { samples in
        window.withUnsafeBufferPointer { window in
        filterbank.packedWeights.withUnsafeBufferPointer { weights in
        power.withUnsafeMutableBufferPointer { power in
        result.withUnsafeMutableBufferPointer { result in
            let input = scratch.input
            for frame in 0..<frames {
                let frameStart = samples.baseAddress! + frame &* hop
                for n in 0..<windowLength {
                    input[n] = frameStart[n] * window[n]
                }
                plan.execute(scratch)
                for k in 0..<binCount {
                    let re = spectrum[2 &* k], im = spectrum[2 &* k &+ 1]
                    power[k] = re * re + im * im
                }
                for band in 0..<bands {
                    let range = filterbank.bandRanges[band]
                    var weightIndex = filterbank.bandOffsets[band]
                    var mel: Float = 0
                    for k in range {
                        mel += weights[weightIndex] * power[k]
                        weightIndex &+= 1
                    }
                    result[band &* frames &+ frame] = Foundation.log(mel + offset)
                }
            }
        }}}}}
        return result
    }
}
