import AudioFeatures
import Foundation

/// Keeps extracted features on disk, one memory-mappable file per (recording list, settings), so a
/// second run loads instead of decoding again.
///
/// **Key.** The file name is a 64-bit FNV-1a hash of the settings and the ordered recording paths
/// (`features-<hash>.qpaefeat`); inside, the metadata stores the full settings and, per recording, its
/// path, file size and modification time. A load is valid only when all of those match exactly (so a
/// hash collision costs an extraction, never wrong features). A changed file (new size or mtime) or
/// changed settings re-extract. **Content changes that keep both the size and the modification time
/// are not noticed**: hashing every file's bytes would cost a full read of the corpus on each load.
///
/// **File.** Little-endian throughout:
/// ```
/// 0   "QPAEFEAT"                magic, 8 bytes
/// 8   UInt32 version (1), UInt32 reserved (0)
/// 16  UInt64 metadata length m
/// 24  m bytes of JSON           settings, recording fingerprints, per-example ids and indices, skipped files
/// …   zero padding to a multiple of 64
/// d   count · featureCount Float32 values, row-major, d % 64 == 0
/// ```
/// The file is read with `Data(contentsOf:options: .alwaysMapped)` and the float block copied into the
/// array in one `memcpy`. It is written to a temporary file in the same folder and renamed over the old
/// one, so a reader never sees half a file. An unreadable cache file (truncated, wrong magic, bad JSON)
/// is re-extracted and overwritten, and the report says so.
///
/// ```swift
/// let cache = FeatureCache(folder: URL(fileURLWithPath: ".qpae/features"))
/// let (features, report, fromCache) = try cache.features(for: split.train)
/// ```
public struct FeatureCache: Sendable {
    /// Where the cache files live; created on first write.
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    /// The cache file for `recordings` (in this order) under `settings`.
    public func fileURL(for recordings: [Recording], settings: LogMelSettings = .vggish) -> URL {
        var hash = FNV1a()
        hash.combine((try? settings.jsonString()) ?? "\(settings)")
        for recording in recordings { hash.combine(recording.url.path) }
        return folder.appendingPathComponent("features-\(String(format: "%016llx", hash.value)).qpaefeat")
    }

    /// The features of `recordings`: loaded from the cache file when it matches the recordings' sizes and
    /// modification times and `settings`, else extracted (see ``FeatureExtractor``) and written.
    ///
    /// The report's `notes` say which happened and why a cache file was not used. Failing to write the
    /// cache does not fail the call: the features are returned and a note says why nothing was stored.
    ///
    /// - Throws: with `failOnUnreadable`, the ``AudioError`` of an unreadable recording.
    public func features(for recordings: [Recording], settings: LogMelSettings = .vggish,
                         failOnUnreadable: Bool = false, progress: ProgressReporter? = nil,
                         threadCount: Int = ProcessInfo.processInfo.activeProcessorCount) throws
        -> (features: FeatureSet, report: ExtractionReport, fromCache: Bool) {
        let start = DispatchTime.now().uptimeNanoseconds
        let url = fileURL(for: recordings, settings: settings)
        let fingerprints = recordings.map(RecordingFingerprint.init(of:))
        var notes: [String] = []
        if FileManager.default.fileExists(atPath: url.path) {
            do {
                let (features, metadata) = try Self.read(from: url)
                if metadata.settings != settings {
                    notes.append("cache \(url.lastPathComponent) was made with other settings: re-extracted")
                } else if metadata.recordings != fingerprints {
                    let changed = zip(metadata.recordings, fingerprints).filter { $0 != $1 }.count
                        + abs(metadata.recordings.count - fingerprints.count)
                    notes.append("cache \(url.lastPathComponent) is stale (\(changed) recordings changed): "
                                 + "re-extracted")
                } else if failOnUnreadable && !metadata.skipped.isEmpty {
                    notes.append("cache \(url.lastPathComponent) holds skipped files: re-extracted to fail on them")
                } else {
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    let report = ExtractionReport(
                        recordingCount: recordings.count, exampleCount: features.count,
                        skipped: metadata.skipped.map { DatasetIndex.SkippedFile(path: $0.path, reason: $0.reason) },
                        windows: metadata.windows ?? [:], notes: ["loaded from cache \(url.lastPathComponent)"], seconds: seconds)
                    return (features, report, true)
                }
            } catch {
                notes.append("cache \(url.lastPathComponent) is unreadable (\(error)): re-extracted")
            }
        }
        let extractor = FeatureExtractor(settings: settings, failOnUnreadable: failOnUnreadable,
                                         threadCount: threadCount)
        var (features, report) = try extractor.extract(recordings, progress: progress)
        let metadata = FeatureCacheMetadata(
            settings: settings, recordings: fingerprints, recordingIDs: features.recordingIDs,
            exampleIndices: features.exampleIndices,
            skipped: report.skipped.map { FeatureCacheMetadata.Skipped(path: $0.path, reason: $0.reason) },
            windows: report.windows)
        do {
            try Self.write(features, metadata: metadata, to: url)
            notes.append("stored in cache \(url.lastPathComponent)")
        } catch {
            notes.append("could not store the cache at \(url.path) (\(error))")
        }
        report.notes = notes
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (features, report, false)
    }
}

/// A cache file that cannot be used, named so a person can delete it.
public enum FeatureCacheError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not start with `QPAEFEAT`.
    case notACacheFile(URL)
    /// A version this build cannot read.
    case unsupportedVersion(URL, version: UInt32)
    /// The file is shorter than its header promises.
    case truncated(URL, expectedBytes: Int, actualBytes: Int)
    /// The JSON metadata cannot be decoded or does not fit the data.
    case badMetadata(URL, reason: String)

    public var description: String {
        switch self {
        case .notACacheFile(let url):
            return "\(url.path): not a QPAEFEAT feature cache file; delete it."
        case .unsupportedVersion(let url, let version):
            return "\(url.path): feature cache version \(version), this build reads 1; delete it."
        case .truncated(let url, let expected, let actual):
            return "\(url.path): truncated feature cache (\(actual) of \(expected) bytes); delete it."
        case .badMetadata(let url, let reason):
            return "\(url.path): unreadable feature cache metadata (\(reason)); delete it."
        }
    }
}

/// What identifies one recording's file for the cache: path, size and modification time.
public struct RecordingFingerprint: Codable, Hashable, Sendable {
    public var id: String
    public var path: String
    /// File size in bytes; -1 when the file is missing.
    public var size: Int64
    /// Modification time in seconds since 1970 (sub-second precision where the file system has it).
    public var modified: Double

    public init(of recording: Recording) {
        id = recording.id
        path = recording.url.path
        var info = stat()
        if stat(path, &info) == 0 {
            size = Int64(info.st_size)
            modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        } else {
            size = -1
            modified = 0
        }
    }
}

/// The JSON block of a cache file.
public struct FeatureCacheMetadata: Codable, Equatable, Sendable {
    public struct Skipped: Codable, Equatable, Sendable {
        public var path: String
        public var reason: String
    }
    public var settings: LogMelSettings
    public var recordings: [RecordingFingerprint]
    public var recordingIDs: [String]
    public var exampleIndices: [Int]
    public var skipped: [Skipped]
    /// Per recording id, the windows kept and dropped; absent in files written before windowing existed.
    public var windows: [String: WindowCounts]?
}

extension FeatureCache {
    static let magic = Array("QPAEFEAT".utf8)
    static let version: UInt32 = 1
    static let headerLength = 24
    static let alignment = 64

    /// Writes `features` and `metadata` to `url` atomically (temporary file, then rename).
    public static func write(_ features: FeatureSet, metadata: FeatureCacheMetadata, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(metadata)
        let dataOffset = (headerLength + json.count + alignment - 1) / alignment * alignment
        var file = Data(capacity: dataOffset + features.values.count * 4)
        file.append(contentsOf: magic)
        withUnsafeBytes(of: version.littleEndian) { file.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(0)) { file.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(contentsOf: repeatElement(0, count: dataOffset - file.count))
        #if _endian(little)
        features.values.withUnsafeBytes { file.append(contentsOf: $0) }
        #else
        for value in features.values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { file.append(contentsOf: $0) }
        }
        #endif
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        try file.write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "rename failed: \(reason)"])
        }
    }

    /// Reads a cache file (memory-mapped) into a feature set and its metadata.
    ///
    /// - Throws: ``FeatureCacheError`` for anything but a complete, well-formed file.
    public static func read(from url: URL) throws -> (features: FeatureSet, metadata: FeatureCacheMetadata) {
        let file = try Data(contentsOf: url, options: .alwaysMapped)
        guard file.count >= headerLength else {
            throw FeatureCacheError.truncated(url, expectedBytes: headerLength, actualBytes: file.count)
        }
        guard Array(file.prefix(8)) == magic else { throw FeatureCacheError.notACacheFile(url) }
        let version = UInt32(littleEndian: file.loadUnaligned(at: 8))
        guard version == Self.version else { throw FeatureCacheError.unsupportedVersion(url, version: version) }
        let jsonLength = UInt64(littleEndian: file.loadUnaligned(at: 16))
        guard jsonLength <= UInt64(file.count - headerLength) else {
            throw FeatureCacheError.truncated(url, expectedBytes: headerLength + Int(clamping: jsonLength),
                                              actualBytes: file.count)
        }
        let jsonEnd = headerLength + Int(jsonLength)
        let metadata: FeatureCacheMetadata
        do {
            let json = file[file.startIndex + headerLength ..< file.startIndex + jsonEnd]
            metadata = try JSONDecoder().decode(FeatureCacheMetadata.self, from: json)
        } catch {
            throw FeatureCacheError.badMetadata(url, reason: "\(error)")
        }
        guard metadata.recordingIDs.count == metadata.exampleIndices.count else {
            throw FeatureCacheError.badMetadata(
                url, reason: "\(metadata.recordingIDs.count) ids, \(metadata.exampleIndices.count) indices")
        }
        let dataOffset = (jsonEnd + alignment - 1) / alignment * alignment
        let valueCount = metadata.recordingIDs.count * metadata.settings.featureCount
        let expected = dataOffset + valueCount * 4
        guard file.count == expected else {
            if file.count < expected {
                throw FeatureCacheError.truncated(url, expectedBytes: expected, actualBytes: file.count)
            }
            throw FeatureCacheError.badMetadata(
                url, reason: "\(file.count - expected) bytes more than the metadata describes")
        }
        let values = [Float](unsafeUninitializedCapacity: valueCount) { buffer, initialized in
            file.withUnsafeBytes { raw in
                let source = raw.baseAddress! + dataOffset
                memcpy(buffer.baseAddress!, source, valueCount * 4)
            }
            initialized = valueCount
        }
        #if _endian(big)
        let swapped = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        #else
        let swapped = values
        #endif
        let features = FeatureSet(settings: metadata.settings, values: swapped,
                                  recordingIDs: metadata.recordingIDs, exampleIndices: metadata.exampleIndices)
        return (features, metadata)
    }
}

extension Data {
    /// A fixed-width integer at byte `offset` from the start, whatever the alignment.
    fileprivate func loadUnaligned<T: FixedWidthInteger>(at offset: Int) -> T {
        withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
}

/// 64-bit FNV-1a over UTF-8 strings, each followed by a 0 byte so that `["ab", "c"]` ≠ `["a", "bc"]`.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ string: String) {
        for byte in string.utf8 { mix(byte) }
        mix(0)
    }

    private mutating func mix(_ byte: UInt8) {
        value ^= UInt64(byte)
        value &*= 0x0000_0100_0000_01b3
    }
}
