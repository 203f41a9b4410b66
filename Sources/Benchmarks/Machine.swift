import CBLAS
import Foundation
import Tensors

/// FP32 flops one Zen 4 core can issue per cycle: 2 FMA pipes × 8 floats (256 bits; AVX-512 is
/// split into two halves) × 2 flops per fused multiply-add.
let zen4FlopsPerCycle = 32.0

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

    /// Reads `/proc/cpuinfo`; fields it cannot find stay `nil` (or `"unknown"`).
    static func current() -> Machine {
        let fields = ProcessorFields.read()
        return Machine(modelName: fields["model name"] ?? "unknown",
                       family: fields["cpu family"].flatMap { Int($0) },
                       model: fields["model"].flatMap { Int($0) },
                       processorCount: ProcessInfo.processInfo.activeProcessorCount,
                       megahertz: fields["cpu MHz"].flatMap { Double($0) })
    }

    /// Whether family and model name Zen 4 (family 0x19, models 0x10–0x1F Genoa, 0x60–0x7F client parts,
    /// 0xA0–0xAF Bergamo/Siena).
    var isZen4: Bool {
        guard family == 25, let model else { return false }
        return (0x10...0x1F).contains(model) || (0x60...0x7F).contains(model) || (0xA0...0xAF).contains(model)
    }

    /// FP32 peak of one core at the reported clock, GFLOP/s: `MHz × 32 flop/cycle`.
    var theoreticalPeakPerCore: Double? {
        megahertz.map { $0 * 1e6 * zen4FlopsPerCycle / 1e9 }
    }

    /// The header lines: what is measured, what is read from the system and what is quoted.
    func headerLines(threads: Int) -> [String] {
        let identity = [family.map { "family \($0)" }, model.map { "model \($0)" }].compactMap { $0 }
        var lines = [
            "CPU:      \(modelName) (\(identity.joined(separator: ", "))\(isZen4 ? ": Zen 4" : ""))"
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
                + " × \(Int(zen4FlopsPerCycle)) flop/cycle (2 FMA pipes × 8 floats × 2)"
                + "; \(Format.fixed(perCore * Double(threads), 1)) GFLOP/s for \(threads) thread(s)"
                + (isZen4 ? "" : " (assumes Zen 4: this CPU was not recognised as one)"))
            lines.append("               the reported clock is the nominal one: a quoted rate above it means"
                + " the core boosts to ≥ \(Format.fixed(quotedSingleCoreSGEMM / zen4FlopsPerCycle, 2)) GHz")
        } else {
            lines.append("  theoretical: unknown (no cpu MHz in /proc/cpuinfo)")
        }
        lines.append("  measured:    the 'direct' columns of the GEMM table below (this run)")
        return lines
    }
}
