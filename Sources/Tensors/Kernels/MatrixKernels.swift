import CBLAS
import CDNNL

/// The x86 vector instruction sets the engine tells apart, oldest first.
public enum VectorLevel: Int, Comparable, Sendable, CustomStringConvertible {
    /// SSE only: the generic kernels a library falls back to on a processor it does not know.
    case generic
    case avx, avx2, avx512

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .generic: "SSE"
        case .avx: "AVX"
        case .avx2: "AVX2"
        case .avx512: "AVX-512"
        }
    }
}

/// The libraries that can run a matrix product.
public enum MatrixKernel: String, Sendable {
    case openBLAS = "OpenBLAS"
    case oneDNN = "oneDNN"
}

/// Which library runs each matrix product, decided from what the processor has, not from its model
/// number.
///
/// oneDNN's `dnnl_sgemm` compiles its kernels for the instruction sets the CPU reports (AVX2, AVX-512,
/// AMX), so it is never slower than the hardware allows. OpenBLAS picks hand-written kernels by
/// processor model when it loads, and a build older than the processor falls back to generic SSE3
/// kernels (Debian's 0.3.21 answers `Prescott` on Sapphire Rapids Xeons, several times slower).
///
/// Measured on a Zen 4 (AVX-512; OpenBLAS core `Cooperlake`), one thread, every product shape of the
/// three models (`qpae-benchmark kernels`): OpenBLAS is faster on small products (attention's
/// 97×97×64 heads by 10–20%, a batch-32 classifier head by 3×: oneDNN's call costs a few microseconds),
/// oneDNN on the rest (the ViT's linear layers by 5–20%). So:
/// - when OpenBLAS's kernels target the CPU's own vector level, products under ``crossoverFlops`` run
///   in OpenBLAS and the rest in oneDNN;
/// - when they target an older level, or a core this table does not know, every product runs in
///   oneDNN.
public enum MatrixKernels {
    /// Below this many flops (`2·m·n·k`) a product runs in OpenBLAS when OpenBLAS targets this CPU.
    public static let crossoverFlops = 4_000_000

    /// `openblas_get_corename()`: the kernel set OpenBLAS chose when it loaded (`OPENBLAS_CORETYPE`
    /// overrides it).
    public static let openBLASCore = String(cString: openblas_get_corename())

    /// OpenBLAS's version, e.g. `OpenBLAS 0.3.21`.
    public static let openBLASVersion: String = {
        let words = String(cString: openblas_get_config()).split(separator: " ")
        return words.prefix(2).joined(separator: " ")
    }()

    /// The vector level of OpenBLAS's chosen kernels; `nil` for a core name this table does not know.
    public static let openBLASLevel = level(ofOpenBLASCore: openBLASCore)

    /// The instruction set oneDNN dispatches to on this CPU (`dnnl_get_effective_cpu_isa`; the
    /// `DNNL_MAX_CPU_ISA` environment variable caps it).
    public static let instructionSet = InstructionSet(dnnl_get_effective_cpu_isa())

    /// oneDNN's version, e.g. `oneDNN 2.6.3`.
    public static let oneDNNVersion: String = {
        guard let version = dnnl_version()?.pointee else { return "oneDNN" }
        return "oneDNN \(version.major).\(version.minor).\(version.patch)"
    }()

    /// The library that runs a product of `flops` flops on this machine.
    public static func kernel(flops: Int) -> MatrixKernel {
        kernel(flops: flops, openBLAS: openBLASLevel, cpu: instructionSet.level)
    }

    /// The rule of ``kernel(flops:)`` for any OpenBLAS level and CPU level.
    public static func kernel(flops: Int, openBLAS: VectorLevel?, cpu: VectorLevel) -> MatrixKernel {
        guard let openBLAS, openBLAS >= cpu else { return .oneDNN }
        return flops < crossoverFlops ? .openBLAS : .oneDNN
    }

    /// The vector level the products of `flops` flops run at: the CPU's in oneDNN, the chosen core's in
    /// OpenBLAS.
    public static func level(flops: Int) -> VectorLevel {
        kernel(flops: flops) == .oneDNN ? instructionSet.level : openBLASLevel ?? .generic
    }

    /// One line for headers and reports, e.g. `oneDNN 2.6.3 sgemm (AVX-512 BF16) from 4 MFLOP,
    /// OpenBLAS 0.3.21 core Cooperlake (AVX-512) below`.
    public static var summary: String {
        let oneDNN = "\(oneDNNVersion) sgemm (\(instructionSet))"
        let openBLAS = "\(openBLASVersion) core \(openBLASCore) (\(openBLASLevel?.description ?? "unknown kernels"))"
        if kernel(flops: crossoverFlops - 1) == .oneDNN {
            return "\(oneDNN) for every product; \(openBLAS) is not tuned for this CPU"
        }
        return "\(oneDNN) from \(crossoverFlops / 1_000_000) MFLOP, \(openBLAS) below"
    }

    /// The vector level of an OpenBLAS core name (`openblas_get_corename`), `nil` when unknown.
    public static func level(ofOpenBLASCore name: String) -> VectorLevel? {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": .avx512
        case "haswell", "zen": .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": .avx
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "opteron", "opteron_sse3", "barcelona",
             "bobcat", "nano", "katmai", "coppermine", "northwood", "banias", "athlon", "generic": .generic
        default: nil
        }
    }
}

/// What the CPU offers the engine, as oneDNN reads it: the vector level and the low-precision
/// extensions (bf16 dot products, AMX tiles).
public struct InstructionSet: Sendable, Equatable, CustomStringConvertible {
    public let level: VectorLevel
    /// AVX512-BF16 (`vdpbf16ps`), or AMX's bf16 tiles.
    public let hasBF16: Bool
    /// AMX tiles (Sapphire Rapids and later).
    public let hasAMX: Bool

    init(_ isa: dnnl_cpu_isa_t) {
        func has(_ set: dnnl_cpu_isa_t) -> Bool { isa.rawValue & set.rawValue == set.rawValue }
        level = has(dnnl_cpu_isa_avx512_core) ? .avx512 : has(dnnl_cpu_isa_avx2) ? .avx2 : has(dnnl_cpu_isa_avx) ? .avx : .generic
        hasAMX = has(dnnl_cpu_isa_avx512_core_amx)
        hasBF16 = hasAMX || has(dnnl_cpu_isa_avx512_core_bf16)
    }

    public var description: String {
        [level.description, hasBF16 ? "BF16" : nil, hasAMX ? "AMX" : nil].compactMap { $0 }.joined(separator: " ")
    }
}
