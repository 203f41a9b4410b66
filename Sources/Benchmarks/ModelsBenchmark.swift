import Foundation
import Models
import NeuralNetworks
import Tensors

/// One model and phase measured in a fresh process: the same keys as a result of
/// `scripts/pytorch/benchmark_training_step.py --json`.
struct PhaseFigures: Codable {
    var model: String
    var phase: String
    /// `fp32`, or `bf16` (PyTorch: the forward pass under CPU autocast); absent means fp32.
    var precision: String?
    var samplesPerSecond: Double
    /// Resident memory before the first step (model, optimizer and data made), and its high-water mark.
    var residentBeforeMiB: Double
    var peakResidentMiB: Double

    enum CodingKeys: String, CodingKey {
        case model, phase, precision
        case samplesPerSecond = "samples_per_s"
        case residentBeforeMiB = "rss_before_mb"
        case peakResidentMiB = "peak_rss_mb"
    }

    /// What the phase itself allocated at its peak (activations, gradients, optimizer state).
    var growthMiB: Double { peakResidentMiB - residentBeforeMiB }

    /// One figure per model, phase and precision: the round with the median speed (the lower middle one
    /// of an even count), memory figures included.
    static func medians(_ rounds: [PhaseFigures]) -> [PhaseFigures] {
        var order: [String] = []
        var groups: [String: [PhaseFigures]] = [:]
        for figures in rounds {
            let key = "\(figures.model) \(figures.phase) \(figures.precision ?? "fp32")"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(figures)
        }
        return order.compactMap { key in
            groups[key].map { $0.sorted { $0.samplesPerSecond < $1.samplesPerSecond }[($0.count - 1) / 2] }
        }
    }
}

/// `qpae-benchmark models`: each model and phase measured in a fresh child process (so peak memory
/// does not mix), and PyTorch's figures for the same model and phase right after it, from the comparison
/// script; `--rounds N` repeats the whole alternation and keeps each figure's median round, so that a
/// neighbour's load on a shared machine falls on both sides.
///
/// Training: forward in training mode, mean cross-entropy, backward, one Adam (lr 1e-3) step, batch 32.
/// Inference: evaluation mode, no graph, batch 256. Both on random 1×64×96 inputs with 10 classes.
func runModelsBenchmark(_ options: Options) {
    if let model = options.single {
        let figures = ["train", "infer"].filter { $0 == (options.phase ?? $0) }.map { phase in
            try! Precision.withPrecision(options.precisions[0]) { measure(model, phase: phase, options) }
        }
        for figure in figures { print(String(decoding: try! JSONEncoder().encode(figure), as: UTF8.self)) }
        return
    }
    print("Models benchmark\(options.quick ? " (--quick)" : ""): 1×64×96 inputs, 10 classes; training step at batch 32"
          + " (forward, mean cross-entropy, backward, Adam), inference at batch 256 (evaluation mode);"
          + " bf16: convolutions and products in bf16, Float32 weights, optimizer and reductions (PyTorch: CPU autocast)")
    Machine.current().headerLines(threads: ComputeThreads.count).forEach { print($0) }
    print("Load:     \(BackgroundLoad.loadAverages) (1/5/15-min load averages at start)")
    var (ourRounds, theirRounds): ([PhaseFigures], [PhaseFigures]) = ([], [])
    for _ in 0 ..< options.rounds {
        for model in options.models {
            for phase in ["train", "infer"] {
                for precision in options.precisions {
                    ourRounds += runChild(executable: CommandLine.arguments[0],
                                          arguments: options.childArguments(model: model, phase: phase, precision: precision)) ?? []
                }
                if options.withPyTorch { theirRounds += PyTorchReference.measure(model: model, phase: phase, options: options) }
            }
        }
    }
    let (ours, theirs) = (PhaseFigures.medians(ourRounds), PhaseFigures.medians(theirRounds))
    for phase in ["train", "infer"] {
        var table = TextTable(textColumns: 1, "model", "samples/s", "PyTorch fp32", "ours/PyTorch", "PyTorch bf16",
                              "ours/PyTorch bf16", "peak MiB (+growth)", "PyTorch fp32", "growth ours/PyTorch")
        for figures in ours where figures.phase == phase {
            func reference(_ precision: String) -> PhaseFigures? {
                theirs.first { $0.model == figures.model && $0.phase == phase && ($0.precision ?? "fp32") == precision }
            }
            let (fp32, bf16) = (reference("fp32"), reference("bf16"))
            func memory(_ f: PhaseFigures?) -> String {
                f.map { "\(Format.fixed($0.peakResidentMiB, 0)) (+\(Format.fixed($0.growthMiB, 0)))" } ?? "–"
            }
            table.append([figures.model + " " + (figures.precision ?? "fp32"), Format.fixed(figures.samplesPerSecond, 1),
                          fp32.map { Format.fixed($0.samplesPerSecond, 1) } ?? "–",
                          fp32.map { Format.ratio(figures.samplesPerSecond / $0.samplesPerSecond) } ?? "–",
                          bf16.map { Format.fixed($0.samplesPerSecond, 1) } ?? "–",
                          bf16.map { Format.ratio(figures.samplesPerSecond / $0.samplesPerSecond) } ?? "–",
                          memory(figures), memory(fp32),
                          fp32.map { Format.ratio(figures.growthMiB / $0.growthMiB) } ?? "–"])
        }
        print("\n" + (phase == "train" ? "Training step, batch 32" : "Inference, batch 256"))
        print(table.rendered)
    }
    print("\nsamples/s: batch ÷ median step time (higher is better)"
          + (options.rounds > 1 ? ", the median of \(options.rounds) rounds, ours and PyTorch alternating per model and phase" : "")
          + "; memory: peak resident set of a process that ran only"
          + " that model and phase, + its growth over the resident set before the first step (PyTorch's baseline"
          + " includes ~680 MiB for importing torch, so compare the growth).")
}

/// Measures one model and phase in this process.
private func measure(_ name: String, phase: String, _ options: Options) -> PhaseFigures {
    guard let architecture = Architecture(rawValue: name) else {
        Options.fail("unknown model '\(name)'; choose from \(Architecture.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    var generator = SplitMix64(seed: 7)
    let model = architecture.makeModel(classCount: 10, using: &generator)
    let batchSize = phase == "train" ? 32 : 256
    let batch = Tensor.randomNormal([batchSize, 1, 64, 96], using: &generator)
    let labels = (0..<batchSize).map { _ in Int(generator.next() % 10) }
    let optimizer = Adam(learningRate: 1e-3)
    model.setTraining(phase == "train")
    let plan = options.quick ? RepetitionPlan(warmUps: 1, repetitions: phase == "train" ? 3 : 2)
                             : RepetitionPlan(warmUps: phase == "train" ? 3 : 1, repetitions: phase == "train" ? 10 : 5)
    let before = residentMiB().current
    let timings = measureRoundRobin(plan, [{
        if phase == "infer" { return model(batch).withUnsafeBufferPointer { $0[0] } }
        let (loss, gradients) = valueWithGradient(at: model) { model in crossEntropy(logits: model(batch), labels: labels) }
        optimizer.update(model, along: gradients)
        return loss.item
    }])[0]
    return PhaseFigures(model: name, phase: phase, precision: Precision.current.rawValue,
                        samplesPerSecond: Double(batchSize) / timings.median,
                        residentBeforeMiB: before, peakResidentMiB: residentMiB().peak)
}

/// This process's resident set size and its high-water mark (`VmRSS`, `VmHWM` in /proc/self/status), in MiB.
private func residentMiB() -> (current: Double, peak: Double) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func field(_ key: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }),
              let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return .nan }
        return kibibytes / 1024
    }
    return (field("VmRSS"), field("VmHWM"))
}

/// Runs a child process and returns its standard output; `nil` (with a message) if it fails.
func runChild(executable: String, arguments: [String]) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch {
        FileHandle.standardError.write(Data("qpae-benchmark: cannot run \(executable): \(error)\n".utf8))
        return nil
    }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        FileHandle.standardError.write(Data("qpae-benchmark: \(executable) \(arguments.joined(separator: " ")) failed\n".utf8))
        return nil
    }
    return String(decoding: output, as: UTF8.self)
}

/// Our own child's output: one JSON object per line.
private func runChild(executable: String, arguments: [String]) -> [PhaseFigures]? {
    let output: String? = runChild(executable: executable, arguments: arguments)
    return output?.split(separator: "\n").compactMap { try? JSONDecoder().decode(PhaseFigures.self, from: Data($0.utf8)) }
}
