import Foundation

/// PyTorch's figures for the same models, measured by `scripts/pytorch/benchmark_training_step.py` in
/// this run (each model in its own Python process, the same thread count as ours).
enum PyTorchReference {
    /// The comparison script, found from this source file's location in the package.
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/pytorch/benchmark_training_step.py")

    static func measure(models: [String], options: Options) -> [String: ModelFigures] {
        guard FileManager.default.fileExists(atPath: script.path) else {
            print("PyTorch: \(script.path) not found; PyTorch columns left empty")
            return [:]
        }
        var arguments = [script.path, "--json", "--models", models.joined(separator: ","),
                         "--threads", "\(options.threads ?? ProcessInfo.processInfo.activeProcessorCount)"]
        if options.quick { arguments.append("--quick") }
        guard let figures = runChild(executable: "/usr/bin/env", arguments: ["python3"] + arguments), !figures.isEmpty else {
            print("PyTorch: the comparison script failed (is torch installed? `pip install torch`); PyTorch columns left empty")
            return [:]
        }
        return Dictionary(figures.map { ($0.model, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
