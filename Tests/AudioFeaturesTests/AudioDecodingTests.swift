import Foundation
import Testing

@testable import AudioFeatures

/// Decoding, writing and resampling, on files each test makes in its own temporary folder.
@Suite("AudioDecoding")
struct AudioDecodingTests {
    // MARK: Round trips

    @Test("WAV 16-bit round trip is within one quantisation step")
    func wav16RoundTrip() throws {
        try withTemporaryFolder { folder in
            let tone = sine(frequency: 440, sampleRate: 16_000, count: 1_600)
            let url = folder.appendingPathComponent("tone.wav")
            try writeAudio(tone, sampleRate: 16_000, to: url, format: .wav16)
            let decoded = try decodeAudio(at: url)
            #expect(decoded.sampleRate == 16_000 && decoded.channelCount == 1 && decoded.frameCount == 1_600)
            #expect(maxDifference(decoded.samples, tone) <= 1 / 32_768 + 1e-7)
        }
    }

    @Test("WAV float round trip is exact")
    func wavFloatRoundTrip() throws {
        try withTemporaryFolder { folder in
            let tone = sine(frequency: 440, sampleRate: 16_000, count: 1_600)
            let url = folder.appendingPathComponent("tone.wav")
            try writeAudio(tone, sampleRate: 16_000, to: url, format: .wavFloat)
            #expect(try decodeAudio(at: url).samples == tone)
        }
    }

    @Test("a symbolic link to a WAV decodes as the file itself")
    func symbolicLink() throws {
        try withTemporaryFolder { folder in
            let tone = sine(frequency: 440, sampleRate: 16_000, count: 1_600)
            let url = folder.appendingPathComponent("tone.wav"), link = folder.appendingPathComponent("link.wav")
            try writeAudio(tone, sampleRate: 16_000, to: url, format: .wavFloat)
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: url)
            #expect(try decodeAudio(at: link).samples == tone)
        }
    }

    @Test("FLAC round trip is within one 16-bit quantisation step")
    func flacRoundTrip() throws {
        try withTemporaryFolder { folder in
            let tone = sine(frequency: 440, sampleRate: 16_000, count: 1_600)
            let url = folder.appendingPathComponent("tone.flac")
            try writeAudio(tone, sampleRate: 16_000, to: url, format: .flac)
            let decoded = try decodeAudio(at: url)
            #expect(decoded.sampleRate == 16_000 && decoded.frameCount == 1_600)
            #expect(maxDifference(decoded.samples, tone) <= 1 / 32_768 + 1e-7)
        }
    }

    @Test("MP3 round trip keeps the level and the frequency")
    func mp3RoundTrip() throws {
        try withTemporaryFolder { folder in
            let tone = sine(frequency: 440, sampleRate: 16_000, count: 16_000)
            let url = folder.appendingPathComponent("tone.mp3")
            try writeAudio(tone, sampleRate: 16_000, to: url, format: .mp3)
            let decoded = try decodeAudio(at: url)
            #expect(decoded.sampleRate == 16_000 && decoded.channelCount == 1)
            #expect(decoded.frameCount >= 15_000)  // plus the encoder's padding
            // Skip the encoder delay at the start; compare the steady part.
            let middle = Array(decoded.samples[2_000..<14_000])
            #expect(abs(rms(middle) / rms(tone) - 1) < 0.05, "rms \(rms(middle)) vs \(rms(tone))")
            #expect(dominantFrequency(middle, sampleRate: 16_000, among: [220, 330, 440, 550, 880, 1_000]) == 440)
        }
    }

    @Test("stereo is averaged to mono")
    func stereoIsMixedToMono() throws {
        try withTemporaryFolder { folder in
            let left = sine(frequency: 440, sampleRate: 16_000, count: 800, amplitude: 0.5)
            let right = sine(frequency: 660, sampleRate: 16_000, count: 800, amplitude: 0.25)
            let interleaved = zip(left, right).flatMap { [$0, $1] }
            let url = folder.appendingPathComponent("stereo.wav")
            try writeAudio(interleaved, channelCount: 2, sampleRate: 16_000, to: url, format: .wavFloat)
            let decoded = try decodeAudio(at: url)
            #expect(decoded.channelCount == 2 && decoded.frameCount == 800)
            #expect(maxDifference(decoded.samples, zip(left, right).map { ($0 + $1) / 2 }) <= 1e-7)
        }
    }

    @Test("the file's sample rate is reported unchanged", arguments: [8_000, 22_050, 44_100, 48_000])
    func sampleRates(sampleRate: Int) throws {
        try withTemporaryFolder { folder in
            let tone = sine(frequency: 440, sampleRate: sampleRate, count: sampleRate / 10)
            let url = folder.appendingPathComponent("tone.wav")
            try writeAudio(tone, sampleRate: sampleRate, to: url, format: .wav16)
            let decoded = try decodeAudio(at: url)
            #expect(decoded.sampleRate == sampleRate && decoded.frameCount == sampleRate / 10)
        }
    }

    @Test("writing replaces an existing file and leaves no temporary file behind")
    func writeIsAtomic() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("tone.flac")
            try writeAudio([0.1, 0.2], sampleRate: 8_000, to: url, format: .flac)
            try writeAudio([0.3, 0.4, 0.5], sampleRate: 8_000, to: url, format: .flac)
            #expect(try decodeAudio(at: url).frameCount == 3)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["tone.flac"])
        }
    }

    // MARK: Resampling

    @Test("resampling keeps frequency and level", arguments: [8_000, 22_050, 44_100, 48_000])
    func resamplingKeepsFrequencyAndLevel(sourceRate: Int) throws {
        let tone = sine(frequency: 440, sampleRate: sourceRate, count: sourceRate / 2)  // 0.5 s
        let resampled = try resample(tone, from: sourceRate, to: 16_000)
        #expect(resampled.count == Int((Double(tone.count) * 16_000 / Double(sourceRate)).rounded()))
        let middle = Array(resampled[1_000..<7_000])  // away from the filter's edges; 0.375 s
        let reference = sine(frequency: 440, sampleRate: 16_000, count: 6_000)
        #expect(abs(rms(middle) / rms(reference) - 1) < 0.01, "rms \(rms(middle)) vs \(rms(reference))")
        // 440 Hz over 0.375 s: 330 zero crossings.
        #expect(abs(zeroCrossings(middle) - 330) <= 1)
        #expect(dominantFrequency(middle, sampleRate: 16_000, among: [400, 420, 440, 460, 480]) == 440)
    }

    @Test("resampling to the same rate is the identity")
    func resamplingIdentity() throws {
        let tone = sine(frequency: 440, sampleRate: 16_000, count: 100)
        #expect(try resample(tone, from: 16_000) == tone)
        #expect(try resample([], from: 8_000).isEmpty)
    }

    @Test("resampling output length is round(n·ratio)", arguments: [(7, 8_000), (11, 44_100), (1_001, 48_000), (333, 22_050)])
    func resamplingLength(count: Int, sourceRate: Int) throws {
        let resampled = try resample([Float](repeating: 0.1, count: count), from: sourceRate)
        #expect(resampled.count == Int((Double(count) * 16_000 / Double(sourceRate)).rounded()))
    }

    @Test("impossible rates throw", arguments: [(0, 16_000), (-8_000, 16_000), (16_000, 0), (1, 16_000)])
    func resamplingRejectsBadRates(sourceRate: Int, targetRate: Int) {
        #expect(throws: AudioError.unsupportedResampling(sourceRate: sourceRate, targetRate: targetRate)) {
            try resample([0.5, 0.5], from: sourceRate, to: targetRate)
        }
    }

    // MARK: Bad input

    @Test("a missing file is named")
    func missingFile() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("absent.wav")
            try expectError(.fileNotFound(url), decoding: url)
            try expectError(.fileNotFound(folder), decoding: folder)  // a directory is not a file
        }
    }

    @Test("an empty file is named")
    func emptyFile() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("empty.wav")
            _ = FileManager.default.createFile(atPath: url.path, contents: Data())
            try expectError(.emptyFile(url), decoding: url)
        }
    }

    @Test("a text file named .wav is not audio, with libsndfile's reason")
    func textFile() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("notes.wav")
            try Data("These are not samples.\n".utf8).write(to: url)
            let error = try #require(throws: AudioError.self) { try decodeAudio(at: url) }
            guard case .notAudio(url, let reason) = error else { Issue.record("got \(error)"); return }
            #expect(!reason.isEmpty)
            #expect(error.description.contains(url.path) && error.description.contains(reason))
        }
    }

    @Test("a WAV cut in half is truncated")
    func truncatedWAV() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("cut.wav")
            try writeAudio(sine(frequency: 440, sampleRate: 16_000, count: 8_000), sampleRate: 16_000, to: url, format: .wav16)
            let bytes = try Data(contentsOf: url)
            try bytes.prefix(bytes.count / 2).write(to: url)
            let error = try #require(throws: AudioError.self) { try decodeAudio(at: url) }
            guard case .truncated(url, 8_000, let available) = error else { Issue.record("got \(error)"); return }
            #expect(available > 3_900 && available < 4_000)  // half the bytes, less the 44-byte header
            #expect(error.description.contains(url.path))
        }
    }

    @Test("a FLAC cut in half is truncated")
    func truncatedFLAC() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("cut.flac")
            try writeAudio(sine(frequency: 440, sampleRate: 16_000, count: 16_000), sampleRate: 16_000, to: url, format: .flac)
            let bytes = try Data(contentsOf: url)
            try bytes.prefix(bytes.count / 2).write(to: url)
            let error = try #require(throws: AudioError.self) { try decodeAudio(at: url) }
            guard case .truncated(url, 16_000, _) = error else { Issue.record("got \(error)"); return }
        }
    }

    @Test("a WAV header declaring 0 channels is named")
    func zeroChannelWAV() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("silent.wav")
            try handMadeWAV(channelCount: 0, sampleRate: 16_000, dataBytes: 64).write(to: url)
            try expectError(.noChannels(url), decoding: url)
        }
    }

    @Test("a WAV with a header and no samples is named")
    func headerOnlyWAV() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("nothing.wav")
            try handMadeWAV(channelCount: 1, sampleRate: 16_000, dataBytes: 0).write(to: url)
            try expectError(.noSamples(url), decoding: url)
        }
    }

    @Test("messages name the file")
    func messagesNameTheFile() {
        let url = URL(fileURLWithPath: "/data/clip.wav")
        let errors: [AudioError] = [
            .fileNotFound(url), .emptyFile(url), .notAudio(url, reason: "x"), .noChannels(url),
            .unsupportedSampleRate(url, sampleRate: 0), .noSamples(url),
            .truncated(url, expectedFrames: 2, availableFrames: 1), .writeFailed(url, reason: "x"),
        ]
        for error in errors {
            #expect(error.description.hasPrefix("/data/clip.wav: "))
            #expect(error.localizedDescription == error.description)
        }
    }

    // MARK: A real recording

    @Test("a Free Spoken Digit Dataset clip decodes as 8 kHz mono", .enabled(if: fsddClip != nil))
    func realFSDDClip() throws {
        let decoded = try decodeAudio(at: try #require(fsddClip))
        #expect(decoded.sampleRate == 8_000 && decoded.channelCount == 1 && decoded.frameCount > 0)
        #expect(decoded.samples.allSatisfy { abs($0) <= 1 })
    }
}

// MARK: - Helpers

/// `0_jackson_0.wav` from the shared FSDD copy (`../shared` beside the checkout, as for developers and CI),
/// else its first recording; `nil` when absent.
private let fsddClip: URL? = {
    let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let folder = checkout.deletingLastPathComponent().appendingPathComponent("shared/data/fsdd/recordings")
    let preferred = folder.appendingPathComponent("0_jackson_0.wav")
    if FileManager.default.fileExists(atPath: preferred.path) { return preferred }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".wav") }.sorted().first.map { folder.appendingPathComponent($0) }
}()

private func withTemporaryFolder(_ body: (URL) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("AudioDecodingTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try body(folder)
}

private func expectError(_ expected: AudioError, decoding url: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let error = try #require(throws: AudioError.self, sourceLocation: sourceLocation) { try decodeAudio(at: url) }
    #expect(error == expected, sourceLocation: sourceLocation)
    #expect(error.description.contains(url.path), sourceLocation: sourceLocation)
}

private func sine(frequency: Double, sampleRate: Int, count: Int, amplitude: Double = 0.5) -> [Float] {
    (0..<count).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate))) }
}

private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "lengths differ: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

private func rms(_ x: [Float]) -> Double {
    (x.reduce(0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
}

private func zeroCrossings(_ x: [Float]) -> Int {
    zip(x, x.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
}

/// The candidate with the largest DFT magnitude `|Σ x[n]·e^{-2πi·f·n/rate}|`.
private func dominantFrequency(_ x: [Float], sampleRate: Int, among candidates: [Double]) -> Double? {
    candidates.max { magnitude(x, $0, sampleRate) < magnitude(x, $1, sampleRate) }
}

private func magnitude(_ x: [Float], _ frequency: Double, _ sampleRate: Int) -> Double {
    var re = 0.0, im = 0.0
    for (n, value) in x.enumerated() {
        let phase = 2 * Double.pi * frequency * Double(n) / Double(sampleRate)
        re += Double(value) * cos(phase)
        im -= Double(value) * sin(phase)
    }
    return (re * re + im * im).squareRoot()
}

/// A 16-bit PCM RIFF/WAVE file written byte by byte, so its header can say what libsndfile won't write.
private func handMadeWAV(channelCount: UInt16, sampleRate: UInt32, dataBytes: UInt32) -> Data {
    func le<T: FixedWidthInteger>(_ value: T) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
    let blockAlign = UInt16(2) * channelCount
    var data = Data("RIFF".utf8) + le(UInt32(36) + dataBytes) + Data("WAVE".utf8)
    data += Data("fmt ".utf8) + le(UInt32(16)) + le(UInt16(1)) + le(channelCount) + le(sampleRate)
    data += le(sampleRate * UInt32(blockAlign)) + le(blockAlign) + le(UInt16(16))
    data += Data("data".utf8) + le(dataBytes) + Data(repeating: 0, count: Int(dataBytes))
    return data
}
