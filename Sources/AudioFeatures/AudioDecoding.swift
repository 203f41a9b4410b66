import CSndFile
import Foundation

/// A decoded recording, mixed down to one channel.
public struct DecodedAudio: Equatable, Sendable {
    /// Mono samples in [-1, 1] (libsndfile's normalised float scale), the file's channels averaged.
    public var samples: [Float]
    /// Samples per second, as the file declares it (not resampled).
    public var sampleRate: Int
    /// How many channels the file holds (before mixing to mono).
    public var channelCount: Int
    /// How many sample frames were decoded; equal to `samples.count`.
    public var frameCount: Int { samples.count }
    /// Duration in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }

    public init(samples: [Float], sampleRate: Int, channelCount: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.channelCount = channelCount
    }
}

/// Decodes an audio file through libsndfile and mixes it to mono.
///
/// Reads every format libsndfile 1.2 reads (WAV in any PCM or float encoding, FLAC, OGG/Vorbis, MP3,
/// AIFF, …) with any channel count. Samples come back as `Float` in [-1, 1] (`SFC_SET_NORM_FLOAT`);
/// channels are averaged, so a stereo frame `(l, r)` becomes `(l + r) / 2`. The sample rate is the
/// file's own: call ``resample(_:from:to:)`` to bring it to 16 kHz.
///
/// Reading continues until `sf_readf_float` returns 0, since the frame count in an MP3's `SF_INFO`
/// is only an estimate. For the other formats, where the header's frame count is exact, fewer
/// frames than promised is reported as ``AudioError/truncated(_:expectedFrames:availableFrames:)``;
/// a WAV whose `data` chunk claims more bytes than the file holds is reported the same way (libsndfile
/// itself silently shortens such a chunk).
///
/// Separate calls may run in parallel: each opens its own libsndfile handle.
///
/// ```swift
/// let clip = try decodeAudio(at: URL(fileURLWithPath: "recordings/0_jackson_0.wav"))
/// let input = try resample(clip.samples, from: clip.sampleRate)   // 16 kHz mono
/// ```
///
/// - Throws: ``AudioError`` naming the file: `fileNotFound`, `emptyFile`, `notAudio` (with
///   libsndfile's message), `noChannels`, `unsupportedSampleRate`, `noSamples` or `truncated`.
public func decodeAudio(at url: URL) throws -> DecodedAudio {
    let path = url.path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw AudioError.fileNotFound(url)
    }
    // The size of what the path names, through symbolic links (corpora are often linked, not copied):
    // `attributesOfItem` would give the link's own size and make every linked WAV look truncated.
    var status = stat()
    let fileSize = stat(path, &status) == 0 ? Int(status.st_size) : -1
    if fileSize == 0 { throw AudioError.emptyFile(url) }

    let header = WAVHeader(contentsOf: url)
    var info = SF_INFO()
    guard let file = sf_open(path, Int32(SFM_READ), &info) else {
        let reason = String(cString: sf_strerror(nil))
        // libsndfile refuses these headers outright; name the precise problem when we can see it.
        if let header, header.channelCount == 0 { throw AudioError.noChannels(url) }
        if let header, header.sampleRate == 0 { throw AudioError.unsupportedSampleRate(url, sampleRate: 0) }
        throw AudioError.notAudio(url, reason: reason)
    }
    defer { sf_close(file) }

    let channelCount = Int(info.channels)
    let sampleRate = Int(info.samplerate)
    guard channelCount > 0 else { throw AudioError.noChannels(url) }
    guard sampleRate > 0 else { throw AudioError.unsupportedSampleRate(url, sampleRate: sampleRate) }
    sf_command(file, Int32(SFC_SET_NORM_FLOAT), nil, Int32(SF_TRUE))

    let samples = readMono(file, channelCount: channelCount, expectedFrames: Int(info.frames))
    guard !samples.isEmpty else { throw AudioError.noSamples(url) }

    let majorFormat = Int(info.format) & SF_FORMAT_TYPEMASK
    let frameCountIsExact = majorFormat != SF_FORMAT_MPEG
    if frameCountIsExact, samples.count < Int(info.frames) {
        throw AudioError.truncated(url, expectedFrames: Int(info.frames), availableFrames: samples.count)
    }
    if majorFormat == SF_FORMAT_WAV, let header, let promised = header.promisedFrames(fileSize: fileSize) {
        throw AudioError.truncated(url, expectedFrames: promised, availableFrames: samples.count)
    }
    return DecodedAudio(samples: samples, sampleRate: sampleRate, channelCount: channelCount)
}

/// Reads blocks of interleaved frames until libsndfile returns none, averaging each frame's channels.
private func readMono(_ file: OpaquePointer, channelCount: Int, expectedFrames: Int) -> [Float] {
    let blockFrames = 4096
    var interleaved = [Float](repeating: 0, count: blockFrames * channelCount)
    var mono: [Float] = []
    mono.reserveCapacity(max(0, min(expectedFrames, 1 << 28)))
    let scale = 1 / Float(channelCount)
    while true {
        let framesRead = interleaved.withUnsafeMutableBufferPointer {
            Int(sf_readf_float(file, $0.baseAddress, sf_count_t(blockFrames)))
        }
        if framesRead <= 0 { break }
        if channelCount == 1 {
            mono.append(contentsOf: interleaved[0..<framesRead])
            continue
        }
        interleaved.withUnsafeBufferPointer { buffer in
            for frame in 0..<framesRead {
                var sum: Float = 0
                for channel in 0..<channelCount { sum += buffer[frame &* channelCount &+ channel] }
                mono.append(sum * scale)
            }
        }
    }
    return mono
}

/// The few fields of a RIFF/WAVE header that libsndfile does not report: what the `fmt ` chunk
/// declares before libsndfile rejects it, and how many bytes the `data` chunk promises.
struct WAVHeader {
    var channelCount: Int?
    var sampleRate: Int?
    var blockAlign: Int?
    var dataOffset: Int?
    var dataByteCount: Int?

    /// Parses the chunk list of a RIFF/WAVE file; `nil` for anything else or an unreadable file.
    init?(contentsOf url: URL) {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let riff = try? handle.read(upToCount: 12), riff.count == 12,
              riff.prefix(4) == Data("RIFF".utf8), riff.suffix(4) == Data("WAVE".utf8) else { return nil }
        var offset = 12
        while let chunk = try? handle.read(upToCount: 8), chunk.count == 8 {
            let id = String(decoding: chunk.prefix(4), as: UTF8.self)
            let size = Int(chunk.littleEndianUInt32(at: 4))
            if id == "fmt ", let body = try? handle.read(upToCount: min(size, 16)), body.count >= 14 {
                channelCount = Int(body.littleEndianUInt16(at: 2))
                sampleRate = Int(body.littleEndianUInt32(at: 4))
                blockAlign = Int(body.littleEndianUInt16(at: 12))
            } else if id == "data" {
                dataOffset = offset + 8
                dataByteCount = size
                break
            }
            offset += 8 + size + (size & 1)
            guard (try? handle.seek(toOffset: UInt64(offset))) != nil else { break }
        }
    }

    /// The frame count the `data` chunk promises when the file is too short to hold it; `nil` when the
    /// file holds it all or the size is a streaming placeholder (0 or 0xFFFFFFFF).
    func promisedFrames(fileSize: Int) -> Int? {
        guard let dataOffset, let dataByteCount, let blockAlign, blockAlign > 0, fileSize > 0,
              dataByteCount != 0, dataByteCount != 0xFFFF_FFFF,
              dataByteCount > fileSize - dataOffset else { return nil }
        return dataByteCount / blockAlign
    }
}

extension Data {
    fileprivate func littleEndianUInt16(at offset: Int) -> UInt16 {
        let start = startIndex + offset
        return UInt16(self[start]) | UInt16(self[start + 1]) << 8
    }

    fileprivate func littleEndianUInt32(at offset: Int) -> UInt32 {
        let start = startIndex + offset
        return (0..<4).reduce(0) { $0 | UInt32(self[start + $1]) << (8 * UInt32($1)) }
    }
}
