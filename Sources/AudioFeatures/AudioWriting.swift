import Checks
import CSndFile
import Foundation

/// A file format ``writeAudio(_:channelCount:sampleRate:to:format:)`` can produce through libsndfile.
public enum AudioFileFormat: String, CaseIterable, Sendable {
    /// WAV, 16-bit signed PCM (`SF_FORMAT_WAV | SF_FORMAT_PCM_16`); samples outside [-1, 1] clip.
    case wav16
    /// WAV, 32-bit IEEE float (`SF_FORMAT_WAV | SF_FORMAT_FLOAT`): lossless for `Float`.
    case wavFloat
    /// FLAC, 16-bit (`SF_FORMAT_FLAC | SF_FORMAT_PCM_16`): lossless at 16-bit resolution.
    case flac
    /// MP3 (`SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III`, LAME inside libsndfile 1.2): lossy, and the
    /// encoder adds some silence at the start and end. Sample rates 8 kHz to 48 kHz.
    case mp3

    var libsndfileFormat: Int32 {
        switch self {
        case .wav16: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .wavFloat: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .flac: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .mp3: Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
        }
    }
}

/// Writes samples to an audio file through libsndfile, atomically.
///
/// `samples` are interleaved frames in [-1, 1] (`[l0, r0, l1, r1, …]` for stereo); they are written to
/// a temporary file beside `url` which is then renamed over it, so a reader never sees half a file.
///
/// ```swift
/// let tone = (0..<16_000).map { Float(0.5 * sin(2 * Double.pi * 440 * Double($0) / 16_000)) }
/// try writeAudio(tone, sampleRate: 16_000, to: folder.appendingPathComponent("a.flac"), format: .flac)
/// ```
///
/// - Precondition: `channelCount > 0`, `sampleRate > 0`, `samples.count` a multiple of `channelCount`.
/// - Throws: ``AudioError/writeFailed(_:reason:)`` naming `url`, with libsndfile's message.
public func writeAudio(
    _ samples: [Float], channelCount: Int = 1, sampleRate: Int, to url: URL, format: AudioFileFormat
) throws {
    checkPrecondition(channelCount > 0, "channelCount must be positive, got \(channelCount)")
    checkPrecondition(sampleRate > 0, "sampleRate must be positive, got \(sampleRate)")
    checkPrecondition(samples.count % channelCount == 0,
                      "\(samples.count) samples do not make whole frames of \(channelCount) channels")

    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
    var info = SF_INFO()
    info.samplerate = Int32(sampleRate)
    info.channels = Int32(channelCount)
    info.format = format.libsndfileFormat
    guard let file = sf_open(temporary.path, Int32(SFM_WRITE), &info) else {
        throw AudioError.writeFailed(url, reason: String(cString: sf_strerror(nil)))
    }
    var isClosed = false
    defer {
        if !isClosed { sf_close(file) }
        try? FileManager.default.removeItem(at: temporary)  // no-op once renamed
    }
    sf_command(file, Int32(SFC_SET_NORM_FLOAT), nil, Int32(SF_TRUE))
    sf_command(file, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
    if format == .mp3 {
        var level = 0.0  // 0 = highest bitrate, best quality
        sf_command(file, Int32(SFC_SET_COMPRESSION_LEVEL), &level, Int32(MemoryLayout<Double>.size))
    }
    let frameCount = samples.count / channelCount
    let written = samples.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t(frameCount)) }
    guard written == frameCount else {
        throw AudioError.writeFailed(url, reason: String(cString: sf_strerror(file)))
    }
    isClosed = true
    guard sf_close(file) == 0 else {
        throw AudioError.writeFailed(url, reason: "closing the temporary file failed")
    }
    guard rename(temporary.path, url.path) == 0 else {
        throw AudioError.writeFailed(url, reason: String(cString: strerror(errno)))
    }
}
