import Checks
import Foundation

/// Every constant of the log-mel front end (SPEC §5), with VGGish's framing as the default.
///
/// An example of `exampleLength` samples at `sampleRate` is cut into `frameCount` frames of
/// `windowLength` samples every `hopLength` (no centring), each frame is multiplied by a periodic Hann
/// window, zero-padded to `fftLength`, turned into a power spectrum `|X|²` of `fftLength/2 + 1` bins,
/// projected onto `melBandCount` HTK triangles between `lowestFrequency` and `highestFrequency`, and
/// logged as `log(mel + logOffset)`. The result is `1 × melBandCount × frameCount` (channel, mel, time).
///
/// Other framings are one change away and travel with a checkpoint (the value is `Codable`):
/// ```swift
/// var settings = LogMelSettings.vggish
/// settings.melBandCount = 128             // 1×128×96
/// settings.exampleLength = 32_000         // 2 s clips: 1×128×198
/// let metadata = try settings.jsonString() // store beside the weights
/// let restored = try LogMelSettings(jsonString: metadata)
/// ```
public struct LogMelSettings: Codable, Hashable, Sendable {
    /// Sample rate of the signal in Hz (VGGish `SAMPLE_RATE`). Default 16,000.
    public var sampleRate: Int
    /// Samples per example: 0.975 s at 16 kHz (VGGish `EXAMPLE_WINDOW_SECONDS · SAMPLE_RATE`). Default 15,600.
    public var exampleLength: Int
    /// Samples per analysis frame, the periodic Hann window's length (`win_length`; VGGish
    /// `STFT_WINDOW_LENGTH_SECONDS` = 25 ms). Default 400.
    public var windowLength: Int
    /// Samples between the starts of consecutive frames (`hop_length`; VGGish `STFT_HOP_LENGTH_SECONDS`
    /// = 10 ms). Default 160.
    public var hopLength: Int
    /// Length of the real FFT each frame is zero-padded to (`n_fft`; VGGish: the next power of two above
    /// the window). Default 512, giving `fftLength/2 + 1` = 257 bins.
    public var fftLength: Int
    /// Number of mel bands (`n_mels`, VGGish `NUM_MEL_BINS`). Default 64.
    public var melBandCount: Int
    /// Lower edge of the lowest triangle in Hz (`f_min`, VGGish `MEL_MIN_HZ`). Default 125.
    public var lowestFrequency: Double
    /// Upper edge of the highest triangle in Hz (`f_max`, VGGish `MEL_MAX_HZ`). Default 7,500.
    public var highestFrequency: Double
    /// Added before the logarithm, `log(mel + logOffset)` (VGGish `LOG_OFFSET`). Default 0.01.
    public var logOffset: Double
    /// Where examples are taken from a recording: on its speech (``ExampleWindowing``), or, when `nil`,
    /// consecutively from its start as VGGish does. Absent from the JSON when `nil`, so settings written
    /// before it existed read back, and hash, as they did.
    public var windowing: ExampleWindowing?

    /// Creates settings; every argument defaults to VGGish's value.
    public init(sampleRate: Int = 16_000, exampleLength: Int = 15_600, windowLength: Int = 400,
                hopLength: Int = 160, fftLength: Int = 512, melBandCount: Int = 64,
                lowestFrequency: Double = 125, highestFrequency: Double = 7_500, logOffset: Double = 0.01,
                windowing: ExampleWindowing? = nil) {
        self.sampleRate = sampleRate
        self.exampleLength = exampleLength
        self.windowLength = windowLength
        self.hopLength = hopLength
        self.fftLength = fftLength
        self.melBandCount = melBandCount
        self.lowestFrequency = lowestFrequency
        self.highestFrequency = highestFrequency
        self.logOffset = logOffset
        self.windowing = windowing
    }

    /// VGGish's framing (SPEC §5): 16 kHz, 15,600-sample examples, 400/160/512, 64 mels 125–7,500 Hz.
    public static let vggish = LogMelSettings()

    /// What new models are trained with: VGGish's framing, examples taken where the speech is
    /// (``ExampleWindowing``'s defaults).
    public static let recommended = LogMelSettings(windowing: ExampleWindowing())

    /// Frames per example without centring: `1 + (exampleLength − windowLength) / hopLength`
    /// (96 for VGGish). Zero when an example is shorter than one window.
    public var frameCount: Int {
        exampleLength < windowLength ? 0 : 1 + (exampleLength - windowLength) / hopLength
    }

    /// Bins of the one-sided spectrum, `fftLength/2 + 1` (257 for VGGish).
    public var binCount: Int { fftLength / 2 + 1 }

    /// Values in one example's features, `melBandCount · frameCount` (6,144 for VGGish).
    public var featureCount: Int { melBandCount * frameCount }

    /// Traps with the offending values when the settings cannot describe a log-mel front end.
    public func validate() {
        checkPrecondition(sampleRate > 0, "LogMelSettings: sampleRate \(sampleRate) must be positive")
        checkPrecondition(windowLength > 0 && hopLength > 0,
                          "LogMelSettings: windowLength \(windowLength) and hopLength \(hopLength) must be positive")
        checkPrecondition(exampleLength >= windowLength,
                          "LogMelSettings: exampleLength \(exampleLength) is shorter than windowLength \(windowLength)")
        checkPrecondition(fftLength >= windowLength && fftLength % 2 == 0,
                          "LogMelSettings: fftLength \(fftLength) must be even and at least windowLength \(windowLength)")
        checkPrecondition(melBandCount > 0, "LogMelSettings: melBandCount \(melBandCount) must be positive")
        checkPrecondition(0 <= lowestFrequency && lowestFrequency < highestFrequency
                          && highestFrequency <= Double(sampleRate) / 2,
                          "LogMelSettings: need 0 ≤ lowestFrequency \(lowestFrequency) < highestFrequency "
                          + "\(highestFrequency) ≤ sampleRate/2 = \(Double(sampleRate) / 2)")
        checkPrecondition(logOffset > 0, "LogMelSettings: logOffset \(logOffset) must be positive")
        windowing?.validate()
    }
}

extension LogMelSettings {
    /// The settings as compact JSON with sorted keys, for a checkpoint's metadata.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads settings written by ``jsonString()``.
    public init(jsonString: String) throws {
        self = try JSONDecoder().decode(LogMelSettings.self, from: Data(jsonString.utf8))
    }
}
