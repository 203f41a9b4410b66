import ArgumentParser
import Datasets
import Experiments
import Foundation
import Training
import Unlearning

extension MethodName: ExpressibleByArgument {}
extension QPAudioEraser.ForgetTarget: ExpressibleByArgument {}

/// The phases `--without` can switch off, for the ablation study.
enum Phase: String, CaseIterable, ExpressibleByArgument {
    case interference, superposition, fineTune = "fine-tune", entropy, mixing
}

struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Make a trained model forget one or more classes (speakers, accents) and show that they are gone.",
        discussion: """
        Evaluates the model, unlearns the classes with QPAudioEraser's four phases (destructive \
        interference on the forget rows of the last layer, uniform superposition labels, an \
        uncertainty-maximising fine-tune, entanglement mixing), evaluates again and prints the \
        before/after table: forget and retain accuracy (FA, RA), information leakage (IL), PER, FAR, \
        FRR, ERB, membership-inference attacks and the time it took. The new checkpoint is written \
        atomically to --out; the input is never overwritten unless --in-place is given (which keeps a \
        .bak copy).

        A model that already forgot classes records them; a later request never uses their data and \
        re-tests them.

        Examples:
          qpae forget --model fsdd-cnn.safetensors --forget george --out no-george.safetensors
          qpae forget --model no-george.safetensors --forget jackson --out no-george-jackson.safetensors --json report.json
          qpae forget --model m.safetensors --forget 0 --forget 4 --epochs 1 --without mixing --out ablation.safetensors
        """)

    @Option(help: ArgumentHelp("The trained checkpoint.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("The dataset root; by default the one the model was trained on.", valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("A class to forget, by name (george) or index (0); repeat for several at once.",
                               valueName: "class"))
    var forget: [String]

    @Option(help: ArgumentHelp("Where to write the new checkpoint.", valueName: "file"))
    var out: String?

    @Flag(help: "Replace --model itself (a copy of the original is kept as <model>.bak).")
    var inPlace = false

    @Flag(help: "Replace an existing file at --out.")
    var overwrite = false

    @Option(help: ArgumentHelp("The unlearning method: \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")). The options below tune QPAudioEraser; the others run with their published defaults.",
                               valueName: "name"))
    var method: MethodName = .qpaudioeraser

    @Option(help: "λ, the weight of the entropy term (default 1).")
    var lambda: Float = 1

    @Option(help: "ε, the strength of the entanglement mixing (default 0.5).")
    var epsilon: Float = 0.5

    @Option(help: "E, the fine-tuning epochs (default 5, the authors'). 0 runs phases 1 and 4 only: on FSDD that matched a retrained model on every metric in milliseconds.")
    var epochs = 5

    @Option(help: "Adam's learning rate for the fine-tune (default 1e-3).")
    var learningRate: Float = 1e-3

    @Option(help: "Examples per fine-tuning step (default 32).")
    var batchSize = 32

    @Option(help: ArgumentHelp("Target of the forget examples: uniform (the paper: 1/K on every class) or retained-uniform (1/|retained| on the others, 0 on the forgotten: lower leakage).",
                               valueName: "target"))
    var forgetTarget: QPAudioEraser.ForgetTarget = .uniform

    @Option(help: ArgumentHelp("Share of the retained classes' examples each fine-tuning epoch visits (1 = all, the paper; less is faster).",
                               valueName: "fraction"))
    var retainFraction = 1.0

    @Flag(help: "Spread the forget examples over every batch instead of shuffling them in.")
    var balancedBatches = false

    @Option(help: ArgumentHelp("Switch a phase off for an ablation: interference, superposition, fine-tune, entropy, mixing (repeatable).",
                               valueName: "phase"))
    var without: [Phase] = []

    @Option(help: "Seeds the fine-tune's shuffles and the attacks.")
    var seed: UInt64 = 0

    @OptionGroup var cache: CacheOption

    @OptionGroup var reports: ReportOptions

    func validate() throws {
        guard !forget.isEmpty else { throw ValidationError("name at least one class with --forget") }
        guard inPlace != (out != nil) else {
            throw ValidationError("give either --out FILE for the new checkpoint or --in-place to replace --model")
        }
        if let out {
            guard URL(fileURLWithPath: out).standardizedFileURL != URL(fileURLWithPath: model).standardizedFileURL else {
                throw ValidationError("--out is the input model: pass --in-place to replace it (a .bak copy is kept)")
            }
            if FileManager.default.fileExists(atPath: out), !overwrite { throw ExperimentError.outputExists(out) }
        }
        guard epochs >= 0 else { throw ValidationError("--epochs \(epochs) must not be negative") }
        guard batchSize > 0 else { throw ValidationError("--batch-size \(batchSize) must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        guard lambda.isFinite, epsilon.isFinite else { throw ValidationError("--lambda and --epsilon must be numbers") }
        guard retainFraction >= 0, retainFraction <= 1 else {
            throw ValidationError("--retain-fraction \(retainFraction) must lie in [0, 1]")
        }
    }

    /// The method with the options given.
    var unlearningMethod: any UnlearningMethod {
        switch method {
        case .qpaudioeraser:
            var c = QPAudioEraser.Configuration()
            c.lambda = lambda
            c.epsilon = epsilon
            c.epochs = epochs
            c.learningRate = learningRate
            c.batchSize = batchSize
            c.forgetTarget = forgetTarget
            c.batchPlan = BatchPlan(retainFraction: retainFraction, balancesForgetExamples: balancedBatches)
            c.destructiveInterference = !without.contains(.interference)
            c.superpositionLabels = !without.contains(.superposition)
            c.uncertaintyFineTune = !without.contains(.fineTune)
            c.entropyTerm = !without.contains(.entropy)
            c.entanglement = !without.contains(.mixing)
            return QPAudioEraser(configuration: c)
        default:
            return method.makeMethod()
        }
    }

    func run() throws {
        let start = Date()
        let input = URL(fileURLWithPath: model)
        let trained = try TrainedModel(contentsOf: input)
        let data = try PreparedData(try recordedDataRequest(for: trained, file: model, data: data, cache: cache))
        let method = unlearningMethod
        let printer = TrainingProgressPrinter(epochs: epochs)
        let outcome = try forgetClasses(forget, in: trained, data: data, file: model, method: method, seed: seed,
                                        progress: printer.report)
        printer.finish()
        let output = out.map { URL(fileURLWithPath: $0) } ?? input
        if inPlace {
            let backup = input.appendingPathExtension("bak")
            try? FileManager.default.removeItem(at: backup)
            try FileManager.default.copyItem(at: input, to: backup)
            print("Backup of the original: \(backup.path)")
        }
        try outcome.model.save(to: output)
        let report = EvaluationReport(
            command: "forget", configuration: configurationRecord(data, method: method), seed: seed,
            dataset: DatasetSummary(data), model: ModelSummary(outcome.model, path: output.path),
            before: outcome.before, unlearning: UnlearningSummary(outcome, output: output.path),
            evaluation: outcome.after,
            timings: ["features": data.seconds, "evaluation before": outcome.before.seconds,
                      "unlearning": outcome.run.seconds, "evaluation after": outcome.after.seconds,
                      "total": Date().timeIntervalSince(start)])
        print(report.markdown)
        print("Saved the model without \(outcome.requestClasses.joined(separator: ", ")): \(output.path)")
        try reports.write(report)
    }

    private func configurationRecord(_ data: PreparedData, method: any UnlearningMethod) -> [String: String] {
        var record = method.settings
        record["model"] = model
        record["data"] = data.root.path
        record["forget"] = forget.joined(separator: ",")
        record["method"] = self.method.rawValue
        record["out"] = out ?? model
        record["in-place"] = String(inPlace)
        record["seed"] = String(seed)
        return record
    }
}
