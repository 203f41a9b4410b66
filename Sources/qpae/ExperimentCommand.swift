import ArgumentParser
import Datasets
import Experiments
import Foundation
import Models
import Unlearning

extension Scenario.Preset: ExpressibleByArgument {}

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Compare unlearning methods side by side with retraining, as the paper's tables do.",
        discussion: """
        Trains the original model once per seed and, for each forget set, a model retrained without it \
        (the gold standard); runs every method from the same original and measures each with every \
        metric, the gap to the retrained model and the time relative to retraining. Writes report.md \
        (tables), report.csv, results.json and report.html (charts, opens offline) into --out. An \
        interrupted experiment continues where it stopped when run again with the same --out.

        Presets: paper-single (forget class 0), paper-multi (classes 0 and 4; 10% of the classes), \
        paper-sequential (6 requests), paper-accent (CNN on accents, forget spanish), paper-ablation \
        (QPAudioEraser without each phase; λ 0.5, 1, 2). Or describe one in a JSON file (--scenario).

        Examples:
          qpae experiment --preset paper-single --data ../shared/data/fsdd --out runs/fsdd-single
          qpae experiment --preset paper-accent --out runs/accent
          qpae experiment --scenario my-scenario.json --out runs/mine
        """)

    @Option(help: "A built-in scenario: \(Scenario.Preset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: Scenario.Preset?

    @Option(help: ArgumentHelp("A scenario file (JSON) instead of a preset.", valueName: "file"))
    var scenario: String?

    @Option(help: ArgumentHelp("The dataset root (replacing a scenario file's); for a preset the synthetic corpus when omitted.",
                               valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("The architecture (replacing a scenario file's): cnn (the default for presets), resnet18, vit-tiny.",
                               valueName: "name"))
    var model: Architecture?

    @Option(help: ArgumentHelp("Methods to run (comma-separated), instead of all: \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")). Retraining always runs.",
                               valueName: "names"))
    var methods: String?

    @Option(help: ArgumentHelp("Seeds for a preset (comma-separated); results are mean ± std over them. A scenario file names its own.", valueName: "seeds"))
    var seeds = "0"

    @Option(help: ArgumentHelp("Folder for models, per-run results and reports.", valueName: "folder"))
    var out: String

    @Option(help: ArgumentHelp("How to split (replacing a scenario file's): \(SplitMethod.names.joined(separator: ", ")); paper-accent with by-example reproduces the paper's protocol, which measures speakers.",
                               valueName: "split"))
    var split: String?

    @OptionGroup var cache: CacheOption

    func validate() throws {
        guard (preset == nil) != (scenario == nil) else {
            throw ValidationError("give either --preset NAME or --scenario FILE")
        }
        guard parsedSeeds != nil else { throw ValidationError("--seeds \(seeds): give numbers separated by commas, e.g. 0,1,2") }
        if let split, !SplitMethod.names.contains(split) {
            throw ValidationError("--split \(split): must be one of \(SplitMethod.names.joined(separator: ", "))")
        }
        if let methods, parsedMethods == nil {
            throw ValidationError("--methods \(methods): use names from \(MethodName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    var parsedSeeds: [UInt64]? {
        let values = seeds.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        return values.isEmpty || values.contains(nil) ? nil : values.compactMap { $0 }
    }

    var parsedMethods: [MethodName]? {
        guard let methods else { return MethodName.allCases }
        let values = methods.split(separator: ",").map { MethodName(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        return values.isEmpty || values.contains(nil) ? nil : values.compactMap { $0 }
    }

    /// The scenario the flags describe.
    func makeScenario() throws -> Scenario {
        if let scenario {
            var loaded = try Scenario(contentsOf: URL(fileURLWithPath: scenario))
            if methods != nil { loaded.methods = parsedMethods! }
            if let data { loaded.data = data }
            if let model { loaded.model = model }
            if let split { loaded.split = split }
            return loaded
        }
        var made = Scenario.preset(preset!, data: data, model: model ?? .cnn, seeds: parsedSeeds!)
        if methods != nil { made.methods = parsedMethods! }
        if let split { made.split = split }
        return made
    }

    @OptionGroup var compute: PrecisionOption

    func run() throws { try compute.scope(execute) }

    private func execute() throws {
        let runner = ExperimentRunner(scenario: try makeScenario(), output: URL(fileURLWithPath: out))
        runner.featureCache = cache.url
        let results = try runner.run()
        print(results.markdown)
    }
}
