import CSampleRate
import Foundation

/// Resamples mono audio: by a polyphase FIR filter (SciPy's `resample_poly`, see `PolyphaseResampler`)
/// when the rates reduce to small factors such as 8 → 16 kHz or 48 → 16 kHz, else with libsamplerate's
/// best band-limited sinc converter (`SRC_SINC_BEST_QUALITY`).
///
/// The ratio is `r = targetRate / sourceRate`. The result has exactly `round(n·r)` samples for `n`
/// input samples (half-way cases rounded away from zero), so a clip of `t` seconds stays `t` seconds
/// long: libsamplerate's own count can differ by a sample or two at the end, and the result is trimmed
/// or padded with zeros to that length. Frequencies above the lower Nyquist limit are filtered out;
/// the converter is aligned, so there is no delay to remove. Equal rates return the input unchanged.
/// The sinc path costs about 15 ms of CPU per 0.7 s of audio: cache what you resample.
///
/// ```swift
/// let clip = try decodeAudio(at: url)                          // e.g. 8 kHz FSDD
/// let samples = try resample(clip.samples, from: clip.sampleRate)   // 16 kHz, twice as many
/// ```
///
/// - Parameters:
///   - samples: mono samples at `sourceRate`.
///   - sourceRate: the input rate in Hz (`orig_sr` in librosa).
///   - targetRate: the output rate in Hz (`target_sr`); 16 kHz by default, the rate of every feature (SPEC §5).
/// - Throws: ``AudioError/unsupportedResampling(sourceRate:targetRate:)`` when a rate is not positive
///   or the ratio is outside 1/256…256; ``AudioError/resamplingFailed(sourceRate:targetRate:reason:)``
///   with libsamplerate's message when the converter fails.
public func resample(_ samples: [Float], from sourceRate: Int, to targetRate: Int = 16_000) throws -> [Float] {
    let ratio = Double(targetRate) / Double(sourceRate)
    guard sourceRate > 0, targetRate > 0, src_is_valid_ratio(ratio) != 0 else {
        throw AudioError.unsupportedResampling(sourceRate: sourceRate, targetRate: targetRate)
    }
    if sourceRate == targetRate || samples.isEmpty { return samples }
    if let polyphase = PolyphaseResampler(from: sourceRate, to: targetRate) { return polyphase(samples) }

    let outputCount = Int((Double(samples.count) * ratio).rounded())
    // Room for libsamplerate's end-of-input flush beyond the nominal length.
    var output = [Float](repeating: 0, count: outputCount + 16)
    var generated = 0
    let status: Int32 = samples.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out in
            var data = SRC_DATA()
            data.data_in = input.baseAddress
            data.data_out = out.baseAddress
            data.input_frames = input.count
            data.output_frames = out.count
            data.src_ratio = ratio
            data.end_of_input = 1
            let status = src_simple(&data, Int32(SRC_SINC_BEST_QUALITY), 1)
            generated = data.output_frames_gen
            return status
        }
    }
    guard status == 0 else {
        let reason = src_strerror(status).map { String(cString: $0) } ?? "error \(status)"
        throw AudioError.resamplingFailed(sourceRate: sourceRate, targetRate: targetRate, reason: reason)
    }
    // Keep round(n·r) samples: drop any extra, zero-fill any shortfall.
    for index in min(generated, outputCount)..<outputCount { output[index] = 0 }
    output.removeLast(output.count - outputCount)
    return output
}
