import Datasets
import Evaluation
import Foundation
import Tensors
import Training
import Unlearning

/// Everything an experiment produced: the runs and what they were run on.
public struct ExperimentResults: Codable, Sendable, Equatable {
    public var software = "QPAudioEraser \(QPAudioEraserVersion.current)"
    /// Compute threads (`QPAE_THREADS`); see ``EvaluationReport/threads``.
    public var threads = ComputeThreads.count
    /// The processor and the kernels the figures came from (absent from older results).
    public var machine: MachineSummary? = .current
    /// The number format of convolutions and products (``Precision``); absent (fp32) in older results.
    public var precision: Precision? = Precision.current
    public var scenario: Scenario
    public var dataset: DatasetSummary
    public var architecture: String
    /// The original model's test accuracy per seed.
    public var originalAccuracy: [Double?]
    public var runs: [RunResult]
    /// What the runner adapted (e.g. a sequence cut to all classes but one).
    public var notes: [String]
    public var seconds: Double
}

/// Runs a ``Scenario``: per seed, trains (or loads) the original model once and, per forget set (or
/// request), retrains once without it and runs every method from the same original; evaluates each
/// with every metric and compares it with the retrained model.
///
/// Everything lands in ``output``: `scenario.json`, `models/seed-S/…` (the original, the retrained
/// models and, in a sequence, each method's latest model), `runs/seed-S/set-I/<method>.json` (one file
/// per finished run), and the reports `results.json`, `report.md`, `report.csv`, `report.html`. A run whose file exists is not redone, so an interrupted
/// experiment resumes where it stopped; a folder made for another scenario is refused.
public final class ExperimentRunner {
    public let scenario: Scenario
    public let output: URL
    /// Where progress lines go (standard error by default).
    public var log: (String) -> Void = { ProgressReporter.writeToStandardError($0 + "\n") }
    /// Where extracted features are cached; `nil` is ``DataRequest/defaultFeatureCache``.
    public var featureCache: URL?
    /// Told of every step and epoch of the trainings and methods the runs carry out (a retraining or a
    /// SCRUB run can take many minutes): a ``TrainingProgressPrinter`` on standard error by default.
    public var observer = TrainingProgressPrinter().observer

    public init(scenario: Scenario, output: URL) {
        self.scenario = scenario
        self.output = output
    }

    private var completed = 0, total = 0
    private var start = Date()

    /// - Throws: ``ExperimentError/invalidScenario(file:reason:)`` before anything runs when the scenario
    ///   cannot be run as written; the errors of data preparation, training and unlearning.
    public func run() throws -> ExperimentResults {
        start = Date()
        try scenario.validate()
        try prepareFolder()
        let data = try PreparedData(DataRequest(path: scenario.data.map { URL(fileURLWithPath: $0) },
                                                layout: scenario.layout, classKind: scenario.classKind,
                                                split: scenario.split.flatMap { SplitMethod(name: $0, testFraction: 0.2, seed: scenario.splitSeed) },
                                                seed: scenario.splitSeed, settings: scenario.examples.settings(),
                                                featureCache: featureCache))
        var sets = try scenario.resolvedForgetSets(classes: data.classes)
        var notes: [String] = []
        if scenario.kind == .sequential, sets.flatMap({ $0 }).count >= data.classes.count {
            while !sets.isEmpty, sets.flatMap({ $0 }).count >= data.classes.count { sets.removeLast() }
            notes.append("the sequence was cut to \(sets.count) requests: \(data.classes.count) classes allow at most "
                         + "\(data.classes.count - 1) to be forgotten")
        }
        let labelled = methodsAndVariants
        total = scenario.seeds.count * sets.count * labelled.count
        log("experiment \(scenario.name): \(scenario.model.rawValue) on \(data.root.path) (\(data.classes.count) classes), "
            + "\(sets.count) \(scenario.kind == .sequential ? "requests" : "forget sets"), \(labelled.count) methods, "
            + "\(scenario.seeds.count) seeds: \(total) runs")
        var runs: [RunResult] = [], originalAccuracy: [Double?] = []
        for seed in scenario.seeds {
            let original = try originalModel(seed: seed, data: data)
            originalAccuracy.append(try evaluateModel(original, on: data, seed: seed).accuracy)
            runs += try scenario.kind == .sequential
                ? runSequence(sets, from: original, seed: seed, data: data, methods: labelled)
                : runSets(sets, from: original, seed: seed, data: data, methods: labelled)
        }
        let results = ExperimentResults(scenario: scenario, dataset: DatasetSummary(data),
                                        architecture: scenario.model.rawValue, originalAccuracy: originalAccuracy,
                                        runs: runs, notes: notes, seconds: Date().timeIntervalSince(start))
        try results.writeReports(to: output)
        log("reports: \(output.appendingPathComponent("report.html").path), report.md, report.csv, results.json")
        return results
    }

    /// Retrain first (every other run is compared with it), then the methods in order, each as its
    /// variants when it has some, then the variants of methods not listed.
    private var methodsAndVariants: [(method: MethodName, variant: Scenario.Variant?)] {
        var list: [(MethodName, Scenario.Variant?)] = [(.retrain, nil)]
        for method in scenario.methods where method != .retrain {
            let variants = scenario.variants.filter { $0.method == method }
            list += variants.isEmpty ? [(method, nil)] : variants.map { (method, $0) }
        }
        list += scenario.variants.filter { !scenario.methods.contains($0.method) }.map { ($0.method, $0) }
        return list
    }

    private func runSets(_ sets: [[Int]], from original: TrainedModel, seed: UInt64, data: PreparedData,
                         methods: [(method: MethodName, variant: Scenario.Variant?)]) throws -> [RunResult] {
        var results: [RunResult] = []
        for (number, set) in sets.enumerated() {
            let before = try evaluateModel(original, on: data, forgetClasses: set, seed: seed)
            var retrain: RunResult?
            for (method, variant) in methods {
                var result = try runOnce(method: method, variant: variant, set: number + 1, classes: set, seed: seed,
                                         data: data, original: original) {
                    (try TrainedModel(contentsOf: self.originalURL(seed: seed)), before)
                }
                if method == .retrain { retrain = result }
                if let retrain { result.compare(with: retrain) }
                results.append(result)
            }
        }
        return results
    }

    private func runSequence(_ requests: [[Int]], from original: TrainedModel, seed: UInt64, data: PreparedData,
                             methods: [(method: MethodName, variant: Scenario.Variant?)]) throws -> [RunResult] {
        var results: [RunResult] = []
        for (number, request) in requests.enumerated() {
            var retrain: RunResult?
            for (method, variant) in methods {
                let slug = Self.slug(variant?.name ?? method.rawValue)
                var result = try runOnce(method: method, variant: variant, set: number + 1, classes: request, seed: seed,
                                         data: data, original: original, keepModel: sequenceModelURL(seed: seed, slug: slug, request: number + 1)) {
                    let url = number == 0 ? self.originalURL(seed: seed)
                        : self.sequenceModelURL(seed: seed, slug: slug, request: number)
                    return (try TrainedModel(contentsOf: url), nil)
                }
                if number > 0 { try? FileManager.default.removeItem(at: sequenceModelURL(seed: seed, slug: slug, request: number)) }
                if method == .retrain { retrain = result }
                if let retrain { result.compare(with: retrain) }
                results.append(result)
            }
        }
        return results
    }

    /// One run, or its stored result. `input` gives the model to start from (and its evaluation when known).
    private func runOnce(method: MethodName, variant: Scenario.Variant?, set: Int, classes: [Int], seed: UInt64,
                         data: PreparedData, original: TrainedModel, keepModel: URL? = nil,
                         input: () throws -> (TrainedModel, ModelEvaluation?)) throws -> RunResult {
        let label = variant?.label ?? method.displayName
        let names = classes.map { data.classes[$0] }
        let file = runURL(seed: seed, set: set, slug: Self.slug(variant?.name ?? method.rawValue))
        completed += 1
        let counter = "[\(completed)/\(total)] seed \(seed), \(scenario.kind == .sequential ? "request" : "set") \(set) "
            + "(\(names.joined(separator: ", "))), \(label)"
        // A stored run counts when it is this run (not a file copied to the wrong place) and, in a sequence,
        // once its model is kept or the next request has consumed it.
        let next = runURL(seed: seed, set: set + 1, slug: Self.slug(variant?.name ?? method.rawValue))
        if let stored = try? ReportJSON.read(RunResult.self, from: file),
           stored.seed == seed, stored.set == set, stored.method == method, stored.variant == variant?.name,
           stored.label == label, !scenario.audit || stored.audit != nil,
           stored.forgetClasses == names,
           keepModel.map({ FileManager.default.fileExists(atPath: $0.path) || FileManager.default.fileExists(atPath: next.path) }) ?? true {
            log(counter + ": done before, skipped")
            return stored
        }
        let (model, before) = try input()
        var outcome = try forgetClasses(classes, in: model, data: data,
                                        method: try variant?.makeMethod() ?? method.makeMethod(), seed: seed,
                                        before: before, observer: observer)
        if let keepModel { try outcome.model.save(to: keepModel) }
        var result = RunResult(scenario: scenario.name, seed: seed, set: set, method: method, variant: variant,
                               outcome: outcome)
        if scenario.audit {
            result.audit = try auditModel(outcome.model, original: original, data: data, oracleCount: scenario.oracles,
                                          configuration: scenario.auditConfiguration, observer: observer, log: log)
            log(counter + ": audit: \(result.audit!.verdict.rawValue)")
        }
        try ReportJSON.write(result, to: file)
        let elapsed = Date().timeIntervalSince(start)
        let eta = ProgressReporter.formatDuration(elapsed / Double(completed) * Double(total - completed))
        log(counter + ": FA \(MarkdownTable.percent(result.forgetAccuracy)), RA \(MarkdownTable.percent(result.retainAccuracy)), "
            + String(format: "%.1f s", result.seconds) + "; ETA \(eta)")
        return result
    }

    private func originalModel(seed: UInt64, data: PreparedData) throws -> TrainedModel {
        let url = originalURL(seed: seed)
        var recipe = scenario.recipe
        recipe.seed = seed
        let interrupted = FileManager.default.fileExists(atPath: Trainer.trainingStateURL(forCheckpoint: url).path)
        if !interrupted, var model = try? TrainedModel(contentsOf: url), model.recipe == nil {
            // An original placed here by hand may predate recorded recipes: it was trained with the scenario's.
            model.recipe = recipe
            try model.save(to: url)
        }
        if interrupted || !FileManager.default.fileExists(atPath: url.path) {
            log("seed \(seed): \(interrupted ? "resuming" : "training") the original \(scenario.model.rawValue)")
        }
        return try loadOrTrainModel(at: url, architecture: scenario.model, on: data, configuration: recipe,
                                    observer: observer).model
    }

    private func prepareFolder() throws {
        let file = output.appendingPathComponent("scenario.json")
        if let existing = try? ReportJSON.read(Scenario.self, from: file), existing != scenario {
            throw ExperimentError.invalidOption(
                flag: "--out", reason: "\(output.path) holds the results of another scenario (\(existing.name)); "
                    + "choose another folder, or delete it to start over")
        }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try ReportJSON.write(scenario, to: file)
    }

    private func originalURL(seed: UInt64) -> URL {
        output.appendingPathComponent("models/seed-\(seed)/original.safetensors")
    }

    private func sequenceModelURL(seed: UInt64, slug: String, request: Int) -> URL {
        output.appendingPathComponent("models/seed-\(seed)/\(slug)-request-\(request).safetensors")
    }

    private func runURL(seed: UInt64, set: Int, slug: String) -> URL {
        output.appendingPathComponent("runs/seed-\(seed)/set-\(set)/\(slug).json")
    }

    /// A file-name-safe form of a method or variant name.
    static func slug(_ name: String) -> String {
        String(name.lowercased().map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "-" })
    }
}
