import Foundation

/// Why a checkpoint could not be read, written, or loaded into a model: the file concerned and the
/// ``Problem``, described with what to do about it.
///
/// One struct around one enum, rather than an enum whose every case repeats the file: the reader finds
/// the problem deep inside a header and ``Module/load(from:)`` adds the file afterwards. Tests and callers
/// match on ``problem``; the CLI prints ``description``:
///
/// ```text
/// runs/model.safetensors: header says tensor fc.weight spans bytes 0..<4000 but the data section holds
/// 3000 bytes (truncated file? write or fetch it again)
/// ```
public struct CheckpointError: Error, Equatable, Sendable {
    /// The file's path, or `nil` for a checkpoint read from memory or built in memory.
    public var file: String?
    public var problem: Problem

    public init(file: String?, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    /// One model parameter whose shape differs from the checkpoint's tensor of the same name.
    public struct ShapeMismatch: Equatable, Sendable {
        public let name: String
        public let modelShape: [Int], fileShape: [Int]

        public init(name: String, modelShape: [Int], fileShape: [Int]) {
            (self.name, self.modelShape, self.fileShape) = (name, modelShape, fileShape)
        }
    }

    /// What is wrong, in the order a reader meets it. Byte ranges count from the start of the data
    /// section (the bytes after the header), as the header's `data_offsets` do.
    public enum Problem: Equatable, Sendable {
        /// The file could not be opened or read at all (missing, a directory, no permission).
        case unreadable(reason: String)
        /// Fewer than the 8 bytes of the little-endian header length: an empty or cut-off file.
        case missingHeaderLength(byteCount: Int)
        /// The header length is above the format's limit (``SafeTensors/maximumHeaderByteCount``).
        case headerTooLarge(headerByteCount: UInt64)
        /// The header length promises more bytes than follow it.
        case headerExceedsFile(headerByteCount: UInt64, availableByteCount: Int)
        /// The header is not a JSON object of `name: {dtype, shape, data_offsets}` entries and an
        /// optional string→string `__metadata__`.
        case malformedHeader(reason: String)
        /// A tensor's dtype is not one of ``SafeTensors/DType``.
        case unsupportedDType(tensor: String, dtype: String)
        /// A negative extent, or extents whose product overflows.
        case invalidShape(tensor: String, shape: [Int])
        /// `data_offsets` is not `[begin, end]` with `0 ≤ begin ≤ end`.
        case invalidOffsets(tensor: String, offsets: [Int])
        /// The shape's element count times the dtype's size differs from the byte span.
        case byteCountMismatch(tensor: String, dtype: String, shape: [Int], expectedByteCount: Int, span: Range<Int>)
        /// A tensor's span ends past the data section: a truncated file, or a header that lies.
        case tensorBeyondData(tensor: String, span: Range<Int>, dataByteCount: Int)
        /// Two tensors claim the same bytes.
        case overlappingTensors(first: String, firstSpan: Range<Int>, second: String, secondSpan: Range<Int>)
        /// Bytes of the data section that no tensor claims (a gap, or trailing bytes); the format
        /// requires the tensors to tile the data section exactly.
        case unclaimedBytes(Range<Int>)
        /// The checkpoint's names or shapes differ from the model's; every difference is listed.
        case stateMismatch(missing: [String], unexpected: [String], misshaped: [ShapeMismatch])
        /// A metadata entry is absent or cannot be decoded (``CheckpointMetadata``).
        case invalidMetadata(key: String, reason: String)
        /// The file could not be written; the previous file at the destination, if any, is unchanged.
        case writeFailed(reason: String)
    }
}

extension CheckpointError: CustomStringConvertible, LocalizedError {
    public var description: String { "\(file ?? "checkpoint"): \(problem)" }
    public var errorDescription: String? { description }
}

extension CheckpointError.Problem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unreadable(let reason):
            return "cannot read the file (\(reason)); check the path and its permissions"
        case .missingHeaderLength(0):
            return "the file is empty; a safetensors file starts with an 8-byte header length "
                + "(an interrupted copy or download? fetch or write it again)"
        case .missingHeaderLength(let byteCount):
            return "the file holds \(byteCount) bytes, fewer than the 8-byte header length of a safetensors file "
                + "(truncated file?)"
        case .headerTooLarge(let headerByteCount):
            return "the header length reads \(headerByteCount) bytes, above the format's limit of "
                + "\(SafeTensors.maximumHeaderByteCount) (not a safetensors file?)"
        case .headerExceedsFile(let headerByteCount, let availableByteCount):
            return "the header length reads \(headerByteCount) bytes but only \(availableByteCount) bytes follow it "
                + "(truncated file, or not a safetensors file?)"
        case .malformedHeader(let reason):
            return "the header is not a valid safetensors header: \(reason)"
        case .unsupportedDType(let tensor, let dtype):
            let supported = SafeTensors.DType.allCases.map(\.rawValue).joined(separator: ", ")
            return "tensor \(tensor) has dtype \(dtype); readable are \(supported) "
                + "(convert it in Python first, e.g. `{k: v.float() for k, v in state_dict.items()}`)"
        case .invalidShape(let tensor, let shape):
            return "tensor \(tensor) has shape \(shape); extents must be non-negative and their product "
                + "must fit in an Int (corrupt header?)"
        case .invalidOffsets(let tensor, let offsets):
            return "tensor \(tensor) has data_offsets \(offsets); they must be [begin, end] with "
                + "0 ≤ begin ≤ end (corrupt header?)"
        case .byteCountMismatch(let tensor, let dtype, let shape, let expected, let span):
            return "header says tensor \(tensor) (\(dtype), shape \(shape)) spans bytes \(span) "
                + "(\(span.count) bytes) but that shape needs \(expected) bytes (corrupt header?)"
        case .tensorBeyondData(let tensor, let span, let dataByteCount):
            return "header says tensor \(tensor) spans bytes \(span) but the data section holds "
                + "\(dataByteCount) bytes (truncated file? write or fetch it again)"
        case .overlappingTensors(let first, let firstSpan, let second, let secondSpan):
            return "tensors \(first) (bytes \(firstSpan)) and \(second) (bytes \(secondSpan)) overlap "
                + "(corrupt header?)"
        case .unclaimedBytes(let range):
            return "bytes \(range) of the data section belong to no tensor; safetensors requires the tensors to "
                + "fill the data section exactly (corrupt header, or bytes appended to the file?)"
        case .stateMismatch(let missing, let unexpected, let misshaped):
            var lines = ["the tensors do not match the model (another architecture, class count or input size? "
                         + "compare the checkpoint's metadata with the model you built):"]
            if !missing.isEmpty {
                lines.append("  missing from the file (\(missing.count)): " + missing.joined(separator: ", "))
            }
            if !unexpected.isEmpty {
                lines.append("  unexpected in the file (\(unexpected.count)): " + unexpected.joined(separator: ", "))
            }
            if !misshaped.isEmpty {
                lines.append("  mis-shaped (\(misshaped.count)): " + misshaped.map {
                    "\($0.name): model \($0.modelShape), file \($0.fileShape)"
                }.joined(separator: "; "))
            }
            return lines.joined(separator: "\n")
        case .invalidMetadata(let key, let reason):
            return "metadata entry \(key) \(reason) (was the file written by QPAudioEraser?)"
        case .writeFailed(let reason):
            return "cannot write the checkpoint: \(reason); any previous file there is unchanged"
        }
    }
}
