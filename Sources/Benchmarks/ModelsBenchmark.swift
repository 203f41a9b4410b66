import Foundation
import Models
import NeuralNetworks
import Tensors

/// One model's figures: training throughput (batch 32: forward in training mode, mean cross-entropy,
/// backward, one Adam step), inference throughput (evaluation mode, batch 256, no graph), and the
/// process's peak resident memory. The same keys as `scripts/pytorch/benchmark_training_step.py --json`.
struct ModelFigures: Codable {
    var model: String
    var trainSamplesPerSecond: Double
    var inferenceSamplesPerSecond: Double
    var peakMemoryMiB: Double

    enum CodingKeys: String, CodingKey {
        case model
        case trainSamplesPerSecond = "train_samples_per_second"
        case inferenceSamplesPerSecond = "inference_samples_per_second"
        case peakMemoryMiB = "peak_rss_mib"
    }
}

/// `qpae-benchmark models`: every model measured in a fresh child process, then PyTorch's figures from
/// the comparison script in the same run, printed side by side.
func runModelsBenchmark(_ options: Options) {
    if let model = options.single {
        let figures = measureModel(model, options: options)
        print(String(decoding: try! JSONEncoder().encode(figures), as: UTF8.self))
        return
    }
    print("Models benchmark\(options.quick ? " (--quick)" : ""): 1×64×96 inputs, 10 classes; training step at batch 32"
          + " (forward, mean cross-entropy, backward, Adam), inference at batch 256 (evaluation mode)")
    Machine.current().headerLines(threads: ComputeThreads.count).forEach { print($0) }
    let ours = options.models.compactMap { model -> ModelFigures? in
        runChild(executable: CommandLine.arguments[0], arguments: options.childArguments(model: model))?.first
    }
    let theirs = options.withPyTorch ? PyTorchReference.measure(models: options.models, options: options) : [:]
    var table = TextTable(textColumns: 1, "model", "train samples/s", "PyTorch", "ratio",
                          "inference samples/s", "PyTorch", "ratio", "peak MiB", "PyTorch", "ratio")
    for figures in ours {
        let reference = theirs[figures.model]
        func ratio(_ a: Double, _ b: Double?) -> String { b.map { Format.ratio(a / $0) } ?? "–" }
        table.append([figures.model,
                      Format.fixed(figures.trainSamplesPerSecond, 1), reference.map { Format.fixed($0.trainSamplesPerSecond, 1) } ?? "–",
                      ratio(figures.trainSamplesPerSecond, reference?.trainSamplesPerSecond),
                      Format.fixed(figures.inferenceSamplesPerSecond, 1), reference.map { Format.fixed($0.inferenceSamplesPerSecond, 1) } ?? "–",
                      ratio(figures.inferenceSamplesPerSecond, reference?.inferenceSamplesPerSecond),
                      Format.fixed(figures.peakMemoryMiB, 0), reference.map { Format.fixed($0.peakMemoryMiB, 0) } ?? "–",
                      ratio(figures.peakMemoryMiB, reference?.peakMemoryMiB)])
    }
    print(table.rendered)
    print("ratio: ours ÷ PyTorch (throughput: higher is better; memory: lower is better). Medians of timed runs after warm-up.")
}

/// Measures one model in this process.
private func measureModel(_ name: String, options: Options) -> ModelFigures {
    guard let architecture = Architecture(rawValue: name) else {
        Options.fail("unknown model '\(name)'; choose from \(Architecture.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    var generator = SplitMix64(seed: 7)
    let model = architecture.makeModel(classCount: 10, using: &generator)
    let batch = Tensor.randomNormal([32, 1, 64, 96], using: &generator)
    let labels = (0..<32).map { $0 % 10 }
    let optimizer = Adam(learningRate: 1e-3)
    let plan = options.quick ? RepetitionPlan(warmUps: 1, repetitions: 3) : RepetitionPlan(warmUps: 2, repetitions: 10)

    model.setTraining(true)
    let training = measureRoundRobin(plan, [{
        let (loss, gradients) = valueWithGradient(at: model) { model in crossEntropy(logits: model(batch), labels: labels) }
        optimizer.update(model, along: gradients)
        return loss.item
    }])[0]

    model.setTraining(false)
    let inferenceBatch = Tensor.randomNormal([256, 1, 64, 96], using: &generator)
    let inferencePlan = RepetitionPlan(warmUps: 1, repetitions: options.quick ? 2 : 5)
    let inference = measureRoundRobin(inferencePlan, [{ model(inferenceBatch).withUnsafeBufferPointer { $0[0] } }])[0]

    return ModelFigures(model: name, trainSamplesPerSecond: 32 / training.median,
                        inferenceSamplesPerSecond: 256 / inference.median, peakMemoryMiB: peakResidentMiB())
}

/// The process's peak resident set size (`VmHWM` in /proc/self/status), in MiB.
func peakResidentMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kibibytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { return .nan }
    return kibibytes / 1024
}

/// Runs a child process and decodes every stdout line that parses as `ModelFigures`; `nil` if it fails.
func runChild(executable: String, arguments: [String]) -> [ModelFigures]? {
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
    return String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap {
        try? JSONDecoder().decode(ModelFigures.self, from: Data($0.utf8))
    }
}
