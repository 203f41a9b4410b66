import Foundation
import Tensors

extension SafeTensors {
    /// Reads the safetensors file at `url` (see ``init(data:file:)`` for what is checked).
    ///
    /// The file is read into memory, not mapped: a mapped file that shrinks while it is read would
    /// crash the process, and the largest model here (ResNet18) is 45 MB.
    ///
    /// - Throws: ``CheckpointError`` naming the file: `.unreadable` when it cannot be read, otherwise
    ///   the first defect found in it.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CheckpointError(file: url.path, problem: .unreadable(reason: Self.reason(error)))
        }
        try self.init(data: data, file: url.path)
    }

    /// Reads a safetensors file's bytes. `file` names the source in errors (`nil`: "checkpoint").
    ///
    /// In order: at least 8 bytes; a header length within the format's limit and within the bytes that
    /// follow; a JSON header of entries and string metadata; each entry's dtype, shape and offsets
    /// (``SafeTensorsHeader``); spans that tile the data section. Only then are the tensors decoded,
    /// in the order of their data, every dtype converted to `Float`.
    ///
    /// - Throws: ``CheckpointError`` with the first defect found; never traps on malformed bytes.
    public init(data: Data, file: String? = nil) throws {
        func failure(_ problem: CheckpointError.Problem) -> CheckpointError {
            CheckpointError(file: file, problem: problem)
        }
        let lengthByteCount = MemoryLayout<UInt64>.size
        guard data.count >= lengthByteCount else { throw failure(.missingHeaderLength(byteCount: data.count)) }
        let start = data.startIndex
        var headerByteCount: UInt64 = 0                     // little-endian
        for (index, byte) in data[start..<start + lengthByteCount].enumerated() {
            headerByteCount |= UInt64(byte) << (8 * index)
        }
        guard headerByteCount <= UInt64(Self.maximumHeaderByteCount) else {
            throw failure(.headerTooLarge(headerByteCount: headerByteCount))
        }
        let available = data.count - lengthByteCount
        guard headerByteCount <= UInt64(available) else {
            throw failure(.headerExceedsFile(headerByteCount: headerByteCount, availableByteCount: available))
        }
        let dataStart = start + lengthByteCount + Int(headerByteCount)
        let dataSection = data[dataStart...]
        let header = try SafeTensorsHeader(json: Data(data[(start + lengthByteCount)..<dataStart]),
                                           dataByteCount: dataSection.count, file: file)
        let tensors = dataSection.withUnsafeBytes { bytes in
            header.entries.map { entry in
                var tensor = Tensor.zeros(entry.shape)
                tensor.withUnsafeMutableBufferPointer { destination in
                    entry.dtype.decode(UnsafeRawBufferPointer(rebasing: bytes[entry.span]), into: destination)
                }
                return (name: entry.name, tensor: tensor)
            }
        }
        self.init(tensors, metadata: header.metadata)
    }

    /// The most useful words in a Foundation read or write error: the POSIX reason when there is one.
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: nsError.code) {
            case .fileReadNoSuchFile, .fileNoSuchFile: return "no such file"
            case .fileReadNoPermission: return "permission denied"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}
