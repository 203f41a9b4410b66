import Foundation
import Tensors

/// Named tensors and a string metadata map in the safetensors format (Hugging Face `safetensors`,
/// what `safetensors.torch.save_file(model.state_dict(), path)` writes).
///
/// The file is an 8-byte little-endian header length `N`, then `N` bytes of JSON
/// (`{"__metadata__": {…}, "fc.weight": {"dtype": "F32", "shape": [10, 512], "data_offsets": [b, e]}, …}`,
/// padded with spaces), then the data section: every tensor's elements, row-major and little-endian,
/// tiling the section exactly with offsets counted from its start.
///
/// Reading accepts F32, F16 and BF16 (widened to Float), F64 (narrowed), and I64/I32 (converted: PyTorch
/// stores batch norm's `num_batches_tracked` as int64); writing uses F32. A read validates the whole
/// header against the file before it decodes anything, and every defect is a thrown
/// ``CheckpointError`` that names the tensor and the bytes, never a trap: files come from outside.
///
/// ```swift
/// let checkpoint = SafeTensors([("fc.weight", weight), ("fc.bias", bias)], metadata: ["architecture": "cnn"])
/// try checkpoint.write(to: url)                           // atomic: temporary file, fsync, rename
/// let read = try SafeTensors(contentsOf: url)
/// read["fc.weight"]                                       // Tensor?
/// ```
///
/// Models save and load through ``Module/state(metadata:)`` and ``Module/loadState(from:)``.
public struct SafeTensors: Sendable {
    /// The tensors, in the order given at creation or, for a file, in the order of their data.
    public let tensors: [(name: String, tensor: Tensor)]
    /// The header's `__metadata__` map (string → string, as the format requires).
    public var metadata: [String: String]

    /// Named tensors and metadata; names must be distinct (a programmer error otherwise) and must not be
    /// `__metadata__`, which the format reserves.
    public init(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) {
        var seen = Set<String>()
        for (name, _) in tensors {
            checkPrecondition(seen.insert(name).inserted, "SafeTensors: tensor name \(name) appears twice")
            checkPrecondition(name != Self.metadataKey, "SafeTensors: \(Self.metadataKey) is reserved for metadata")
        }
        self.tensors = tensors.map { ($0.name, $0.tensor.detached) }
        self.metadata = metadata
    }

    /// The tensor names, in ``tensors`` order.
    public var names: [String] { tensors.map(\.name) }

    /// The tensor called `name`, or `nil`.
    public subscript(_ name: String) -> Tensor? {
        tensors.first { $0.name == name }?.tensor
    }

    /// The header key that holds the metadata map.
    static let metadataKey = "__metadata__"

    /// The format's limit on the header length (100 MB, as the reference implementation); a larger
    /// value means the file is not a safetensors file.
    public static let maximumHeaderByteCount = 100_000_000
}

extension SafeTensors {
    /// The element types a safetensors file may hold that this reader converts to `Float`.
    public enum DType: String, CaseIterable, Sendable {
        case float32 = "F32"
        case float16 = "F16"
        case bfloat16 = "BF16"
        case float64 = "F64"
        case int64 = "I64"
        case int32 = "I32"

        /// Bytes per element.
        public var byteCount: Int {
            switch self {
            case .float16, .bfloat16: 2
            case .float32, .int32: 4
            case .float64, .int64: 8
            }
        }

        /// Converts `source` (little-endian elements of this type, any alignment) into `destination`,
        /// which holds `source.count / byteCount` elements.
        func decode(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
            checkPrecondition(source.count == destination.count * byteCount,
                              "\(rawValue): \(source.count) bytes for \(destination.count) elements")
            func each<Bits: FixedWidthInteger>(_: Bits.Type, _ convert: (Bits) -> Float) {
                for i in destination.indices {
                    let bits = source.loadUnaligned(fromByteOffset: i * byteCount, as: Bits.self)
                    destination[i] = convert(Bits(littleEndian: bits))
                }
            }
            switch self {
            case .float32:
                #if _endian(little)
                if let base = source.baseAddress, let target = destination.baseAddress {
                    UnsafeMutableRawPointer(target).copyMemory(from: base, byteCount: source.count)
                }
                #else
                each(UInt32.self) { Float(bitPattern: $0) }
                #endif
            case .float16: each(UInt16.self, Self.widenHalf)
            case .bfloat16: each(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
            case .float64: each(UInt64.self) { Float(Double(bitPattern: $0)) }
            case .int64: each(UInt64.self) { Float(Int64(bitPattern: $0)) }
            case .int32: each(UInt32.self) { Float(Int32(bitPattern: $0)) }
            }
        }

        /// IEEE 754 binary16 → binary32, exact (every half is a float): sign, 5-bit exponent (bias 15),
        /// 10-bit fraction; subnormals `±fraction·2⁻²⁴`, exponent 31 infinity or NaN (payload kept).
        static func widenHalf(_ bits: UInt16) -> Float {
            let sign: UInt32 = UInt32(bits & 0x8000) << 16
            let exponent = UInt32(bits >> 10) & 0x1F
            let fraction = UInt32(bits) & 0x3FF
            switch exponent {
            case 0:
                let magnitude = Float(fraction) * 0x1p-24
                return sign == 0 ? magnitude : -magnitude
            case 0x1F:
                return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
            default:
                return Float(bitPattern: sign | (exponent + 112) << 23 | fraction << 13)
            }
        }
    }
}
