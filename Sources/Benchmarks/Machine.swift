import CBLAS
import Foundation
import Tensors

/// The single-core `cblas_sgemm` rate measured on this kind of machine (../shared/PLATFORM.md):
/// quoted, not measured by this run.
let quotedSingleCoreSGEMM = 105.0

/// What the benchmark knows about the machine it runs on, read from `/proc/cpuinfo` (Linux).
struct Machine {
    /// The `model name` line, e.g. `AMD EPYC` (a KVM guest may hide the exact model).
    let modelName: String
    /// `cpu family` and `model`: family 25 (0x19) model 17 (0x11) is Zen 4 "Genoa".
    let family: Int?, model: Int?
    /// The online logical processors.
    let processorCount: Int
    /// The `cpu MHz` the kernel reports; under KVM this is the nominal (TSC) clock, not the boost clock.
    let megahertz: Double?
    /// The `vendor_id` (`AuthenticAMD`, `GenuineIntel`) and the `flags` line's instruction-set
    /// extensions (`avx2`, `avx512f`, …).
    let vendor: String, flags: Set<String>

    /// Reads `/proc/cpuinfo`; fields it cannot find stay `nil` (or `"unknown"`).
    static func current() -> Machine {
        let fields = ProcessorFields.read()
        return Machine(modelName: fields["model name"] ?? "unknown",
                       family: fields["cpu family"].flatMap { Int($0) },
                       model: fields["model"].flatMap { Int($0) },
                       processorCount: ProcessInfo.processInfo.activeProcessorCount,
                       megahertz: fields["cpu MHz"].flatMap { Double($0) },
                       vendor: fields["vendor_id"] ?? "unknown",
                       flags: Set((fields["flags"] ?? "").split(separator: " ").map(String.init)))
    }

    /// Whether family and model name Zen 4 (family 0x19, models 0x10–0x1F Genoa, 0x60–0x7F client parts,
    /// 0xA0–0xAF Bergamo/Siena).
    var isZen4: Bool {
        guard family == 25, let model else { return false }
        return (0x10...0x1F).contains(model) || (0x60...0x7F).contains(model) || (0xA0...0xAF).contains(model)
    }

    /// Whether family and model name Zen 5 with 512-bit vector units: family 0x1A, models 0x00–0x1F
    /// (Turin and Turin dense EPYCs) and 0x40–0x4F (Granite Ridge desktops); the mobile parts run AVX-512
    /// on 256-bit units as Zen 4 does.
    var isFullWidthZen5: Bool {
        guard family == 26, let model else { return false }
        return (0x00...0x1F).contains(model) || (0x40...0x4F).contains(model)
    }

    /// FP32 flops one core can issue per cycle, from its vector units: 2 FMA pipes × the floats of one
    /// FMA × 2 flops per fused multiply-add. 16 floats with AVX-512 on Intel cores (Xeons of the
    /// Skylake-SP generation on; a few low-end parts have one 512-bit pipe and reach half) and on Zen 5
    /// EPYCs and desktops; 8 with AVX2/FMA, and with AMD's other AVX-512 (Zen 4 splits each 512-bit
    /// instruction into two 256-bit halves); 4 with SSE only.
    var flopsPerCycle: (flops: Double, pipes: String) {
        if flags.contains("avx512f") && (!isAMD || isFullWidthZen5) { return (64, "2 FMA pipes × 16 floats × 2") }
        if flags.contains("avx2") && flags.contains("fma") {
            return (32, "2 FMA pipes × 8 floats × 2" + (flags.contains("avx512f") ? ", AVX-512 split in 256-bit halves" : ""))
        }
        return (16, "2 pipes × 4 floats × 2, SSE")
    }

    /// Whether the vendor is AMD, whose AVX-512 runs on 256-bit units on Zen 4 and on Zen 5's mobile parts.
    var isAMD: Bool { vendor == "AuthenticAMD" }

    /// FP32 peak of one core at the reported clock, GFLOP/s: `MHz × flopsPerCycle`.
    var theoreticalPeakPerCore: Double? {
        megahertz.map { $0 * 1e6 * flopsPerCycle.flops / 1e9 }
    }

    /// The header lines: what is measured, what is read from the system and what is quoted.
    func headerLines(threads: Int) -> [String] {
        let identity = [family.map { "family \($0)" }, model.map { "model \($0)" }].compactMap { $0 }
        var lines = [
            "CPU:      \(modelName) (\(identity.joined(separator: ", "))\(isZen4 ? ": Zen 4" : isFullWidthZen5 ? ": Zen 5" : ""))"
                + ", \(processorCount) logical cores online",
            "ISA:      \(MatrixKernels.instructionSet) (oneDNN's dispatch)",
            "Products: \(MatrixKernels.summary)",
            "Threads:  \(threads) (ComputeThreads.count; OpenBLAS reports \(openblas_get_num_threads()))",
            "FP32 reference peak:",
            "  quoted:      one core reaches about \(Int(quotedSingleCoreSGEMM)) GFLOP/s in OpenBLAS sgemm"
                + " (../shared/PLATFORM.md)",
        ]
        if let megahertz, let perCore = theoreticalPeakPerCore {
            lines.append("  theoretical: \(Format.fixed(perCore, 1)) GFLOP/s per core"
                + " = \(Format.fixed(megahertz, 0)) MHz (cpu MHz in /proc/cpuinfo)"
                + " × \(Int(flopsPerCycle.flops)) flop/cycle (\(flopsPerCycle.pipes), from the CPU flags)"
                + "; \(Format.fixed(perCore * Double(threads), 1)) GFLOP/s for \(threads) thread(s)")
            lines.append("               the reported clock is the nominal one: a quoted rate above it means"
                + " the core boosts to ≥ \(Format.fixed(quotedSingleCoreSGEMM / flopsPerCycle.flops, 2)) GHz")
        } else {
            lines.append("  theoretical: unknown (no cpu MHz in /proc/cpuinfo)")
        }
        lines.append("  measured:    the 'direct' columns of the GEMM table below (this run)")
        return lines
    }
}
