import Foundation

/// PyTorch's figures for the same models and phases, measured by
/// `scripts/pytorch/benchmark_training_step.py` in this run (each model, phase and precision in its own
/// Python process, with our thread count): fp32, and bf16 under CPU autocast when ours runs bf16 too (on a
/// CPU without bf16 instructions PyTorch emulates it, minutes per figure for nothing the engine offers).
enum PyTorchReference {
    /// The comparison script, found from this source file's location in the package.
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/pytorch/benchmark_training_step.py")

    private struct Report: Decodable { let results: [PhaseFigures] }

    /// fp32 figures of one model and phase, and bf16 ones when `options` measures ours in bf16.
    static func measure(model: String, phase: String, options: Options) -> [PhaseFigures] {
        guard FileManager.default.fileExists(atPath: script.path) else {
            print("PyTorch: \(script.path) not found; PyTorch columns left empty")
            return []
        }
        let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let arguments = ["python3", "-W", "ignore", script.path, "--json", "--threads", "\(threads)",
                         "--precisions", "fp32"]
            + (options.precisions.contains(.bf16) ? ["bf16"] : []) + ["--models", model, "--phases", phase]
            + (options.quick ? ["--quick"] : [])
        guard let output: String = runChild(executable: "/usr/bin/env", arguments: arguments),
              let report = try? JSONDecoder().decode(Report.self, from: Data(output.utf8)) else {
            print("PyTorch: the comparison script failed (is torch installed? `pip install torch`); PyTorch columns left empty")
            return []
        }
        return report.results
    }
}
