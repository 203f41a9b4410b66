import Foundation
import Tensors

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SafeTensors {
    /// The file's bytes: the header length, the header (metadata first with sorted keys, then the
    /// tensors in ``tensors`` order, each `F32`), spaces up to a multiple of 8 bytes as the reference
    /// writer pads, then every tensor's elements as little-endian Float32, back to back.
    public func serialized() -> Data {
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(Self.jsonString($0.key)):\(Self.jsonString($0.value))" }
            fields.append("\(Self.jsonString(Self.metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            let end = offset + tensor.count * MemoryLayout<Float>.size
            fields.append("\(Self.jsonString(name)):{\"dtype\":\"F32\",\"shape\":\(tensor.shape),"
                          + "\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)

        var data = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for (_, tensor) in tensors {
            tensor.withUnsafeBufferPointer { elements in
                #if _endian(little)
                data.append(UnsafeBufferPointer(start: elements.baseAddress, count: elements.count))
                #else
                for element in elements { withUnsafeBytes(of: element.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                #endif
            }
        }
        return data
    }

    /// Writes ``serialized()`` to `url` atomically: into a temporary file beside it, flushed to disk
    /// (`fsync`), then renamed over the destination, so that the destination holds either the old file
    /// or the complete new one, never part of one. The directory must exist.
    ///
    /// - Throws: ``CheckpointError`` `.writeFailed` naming the file; no temporary file is left behind.
    public func write(to url: URL) throws {
        try AtomicFile.replaceContents(of: url, with: serialized())
    }

    /// `string` as a JSON string literal: quotes, backslashes and control characters escaped, everything
    /// else as UTF-8.
    static func jsonString(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// Replacing a file's contents all at once: write a temporary file in the same directory (so the
/// rename stays on one file system), `fsync` it, `rename(2)` it over the destination (atomic on POSIX),
/// then `fsync` the directory so the rename itself survives a crash.
///
/// Every file that matters (checkpoints, reports, ledgers, keys) is written through here, so that a
/// reader or a crash sees the old file or the complete new one, never part of one.
public enum AtomicFile {
    /// Replaces `url`'s contents with `data` (creating the file when absent); the directory must exist.
    ///
    /// - Throws: ``CheckpointError`` `.writeFailed` naming the file; no temporary file is left behind.
    public static func replaceContents(of url: URL, with data: Data, permissions: mode_t = 0o644) throws {
        try publish(data, at: url, permissions: permissions) { temporary, destination in
            rename(temporary, destination) == 0
        }
    }

    /// Creates `url` holding `data` only if no file is there yet: the complete file appears at once
    /// (`link(2)` of a flushed temporary file), and of two processes racing to create it exactly one wins.
    ///
    /// - Returns: whether this call created the file (`false`: one was already there, left untouched).
    /// - Throws: ``CheckpointError`` `.writeFailed` naming the file for anything but an existing file.
    @discardableResult
    public static func createExclusively(_ url: URL, with data: Data, permissions: mode_t = 0o644) throws -> Bool {
        var created = true
        try publish(data, at: url, permissions: permissions) { temporary, destination in
            if link(temporary, destination) == 0 { return true }
            guard errno == EEXIST else { return false }
            created = false
            return true
        }
        return created
    }

    /// Writes `data` to a flushed temporary file beside `url`, lets `place` move it into position
    /// (returning `false` with `errno` set on failure), removes the temporary file and flushes the directory.
    private static func publish(_ data: Data, at url: URL, permissions: mode_t,
                                place: (_ temporary: String, _ destination: String) -> Bool) throws {
        let destination = url.path
        let directory = url.deletingLastPathComponent().path
        func failure(_ reason: String) -> CheckpointError {
            CheckpointError(file: destination, problem: .writeFailed(reason: reason))
        }
        func systemError(_ action: String) -> CheckpointError {
            let code = errno
            if code == ENOENT { return failure("the directory \(directory) does not exist (create it first)") }
            return failure("\(action): \(String(cString: strerror(code)))")
        }
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-" + UUID().uuidString
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw systemError("cannot create a temporary file in \(directory)") }
        defer { unlink(temporary) }            // after a rename there is nothing left to remove
        do {
            defer { close(descriptor) }
            try data.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                var written = 0
                while written < bytes.count {
                    let result = write(descriptor, base + written, bytes.count - written)
                    if result < 0 && errno == EINTR { continue }
                    guard result > 0 else { throw systemError("writing \(temporary) failed") }
                    written += result
                }
            }
            guard fsync(descriptor) == 0 else { throw systemError("flushing \(temporary) to disk failed") }
        }
        guard place(temporary, destination) else { throw systemError("cannot write \(destination)") }
        let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {          // best effort: some file systems refuse to sync a directory
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}
