import Foundation

/// A problem with an audio file or an audio conversion, told so that a person can fix it.
///
/// Every case that concerns a file carries its URL, and the message names the file, the problem and
/// what to do about it:
///
/// ```swift
/// do { _ = try decodeAudio(at: url) }
/// catch let error as AudioError { print(error) }
/// // "/data/clip.wav: the file is empty (0 bytes). Re-export or re-download it."
/// ```
public enum AudioError: Error, Equatable, Sendable {
    /// Nothing exists at the path (or it is a directory).
    case fileNotFound(URL)
    /// The file exists but holds 0 bytes.
    case emptyFile(URL)
    /// libsndfile could not open the file as audio; `reason` is libsndfile's own error string.
    case notAudio(URL, reason: String)
    /// The header declares zero channels.
    case noChannels(URL)
    /// The header declares a sample rate that is not positive.
    case unsupportedSampleRate(URL, sampleRate: Int)
    /// The file opened but holds no sample frames.
    case noSamples(URL)
    /// The header promises more sample frames than the file holds (a cut-off download or copy).
    case truncated(URL, expectedFrames: Int, availableFrames: Int)
    /// libsndfile could not write the file; `reason` is libsndfile's or the system's error string.
    case writeFailed(URL, reason: String)
    /// A resampling rate is not positive, or the ratio lies outside libsamplerate's 1/256…256.
    case unsupportedResampling(sourceRate: Int, targetRate: Int)
    /// libsamplerate reported an error; `reason` is its `src_strerror` string.
    case resamplingFailed(sourceRate: Int, targetRate: Int, reason: String)
}

extension AudioError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .fileNotFound(let url):
            return "\(url.path): no such audio file. Check the path and the dataset root."
        case .emptyFile(let url):
            return "\(url.path): the file is empty (0 bytes). Re-export or re-download it."
        case .notAudio(let url, let reason):
            return "\(url.path): not a readable audio file (libsndfile: \(reason)). "
                + "Use WAV, FLAC, OGG/Vorbis or MP3, or convert it first (e.g. with sox or ffmpeg)."
        case .noChannels(let url):
            return "\(url.path): the header declares 0 channels. The file is damaged; re-export it."
        case .unsupportedSampleRate(let url, let sampleRate):
            return "\(url.path): the header declares sample rate \(sampleRate) Hz, which is not positive. "
                + "The file is damaged; re-export it."
        case .noSamples(let url):
            return "\(url.path): the file holds no audio samples. Remove it from the dataset or re-record it."
        case .truncated(let url, let expectedFrames, let availableFrames):
            return "\(url.path): truncated: the header promises \(expectedFrames) sample frames but the file "
                + "holds \(availableFrames). Re-download or re-copy it."
        case .writeFailed(let url, let reason):
            return "\(url.path): could not write the audio file (\(reason)). "
                + "Check that the folder exists and is writable and that the format supports the sample rate."
        case .unsupportedResampling(let sourceRate, let targetRate):
            return "cannot resample from \(sourceRate) Hz to \(targetRate) Hz: both rates must be positive "
                + "and their ratio within 1/256…256."
        case .resamplingFailed(let sourceRate, let targetRate, let reason):
            return "resampling from \(sourceRate) Hz to \(targetRate) Hz failed (libsamplerate: \(reason))."
        }
    }
}

extension AudioError: LocalizedError {
    public var errorDescription: String? { description }
}
