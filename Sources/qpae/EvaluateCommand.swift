import ArgumentParser
import Datasets
import Experiments
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a trained model on its test split, and what it still knows about the classes to forget.",
        discussion: """
        Prints accuracy (per example and per recording), the speaker-verification EER, accuracy per class \
        and the confusion matrix. With --forget, also the unlearning metrics: forget and retain accuracy \
        (FA, RA), information leakage (IL), FAR, FRR, ERB, two membership-inference attacks, and the \
        privacy erasure rate (PER) against --before.

        The data, layout, class kind and split default to those recorded in the checkpoint, and the \
        classes to treat as forgotten to those the model has forgotten (`qpae forget` records them).

        Examples:
          qpae evaluate --model fsdd-cnn.safetensors
          qpae evaluate --model forgot-george.safetensors --forget george --before fsdd-cnn.safetensors --json report.json
        """)

    @Option(help: ArgumentHelp("The checkpoint to evaluate.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("The dataset root; by default the one the model was trained on.", valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("A class to treat as forgotten, by name (george) or index (0); repeat for several.",
                               valueName: "class"))
    var forget: [String] = []

    @Option(help: ArgumentHelp("The model before unlearning, to measure PER against.", valueName: "file"))
    var before: String?

    @Option(help: "Seeds the membership-inference attacks' folds.")
    var seed: UInt64 = 0

    @OptionGroup var cache: CacheOption

    @OptionGroup var reports: ReportOptions

    @OptionGroup var compute: PrecisionOption

    func run() throws { try compute.scope(execute) }

    private func execute() throws {
        let start = Date()
        let trained = try TrainedModel(contentsOf: URL(fileURLWithPath: model))
        let data = try PreparedData(try recordedDataRequest(for: trained, data: data, cache: cache))
        try trained.checkCompatible(with: data)
        // A model that forgot classes is re-tested on them unless other classes are named.
        let forgetClasses = try data.classIndices(named: forget.isEmpty ? trained.forgottenClasses : forget)
        if !forgetClasses.isEmpty, forgetClasses.count == data.classes.count {
            throw ExperimentError.forgetsEveryClass(classCount: data.classes.count)
        }
        var beforeEvaluation: ModelEvaluation?
        if let before {
            let original = try TrainedModel(contentsOf: URL(fileURLWithPath: before))
            try original.checkCompatible(with: data)
            beforeEvaluation = try evaluateModel(original, on: data, forgetClasses: forgetClasses, seed: seed)
        }
        let evaluation = try evaluateModel(trained, on: data, forgetClasses: forgetClasses,
                                       forgetAccuracyBefore: beforeEvaluation?.forget?.forgetAccuracy, seed: seed)
        let report = EvaluationReport(
            command: "evaluate",
            configuration: ["model": model, "data": data.root.path, "forget": forget.joined(separator: ","),
                            "before": before ?? "", "seed": String(seed)],
            seed: seed, dataset: DatasetSummary(data), model: ModelSummary(trained, path: model),
            before: beforeEvaluation, evaluation: evaluation,
            timings: ["features": data.seconds, "evaluation": evaluation.seconds,
                      "total": Date().timeIntervalSince(start)])
        print(report.markdown)
        try reports.write(report)
    }
}

/// The data as recorded in `trained`'s checkpoint, with `data` (a `--data` flag) replacing the folder.
func recordedDataRequest(for trained: TrainedModel, data: String?, cache: CacheOption) throws -> DataRequest {
    guard let request = trained.recordedDataRequest(path: data.map { URL(fileURLWithPath: $0) }, featureCache: cache.url) else {
        throw ValidationError("\(trained.fileDescription) does not record its dataset: pass --data")
    }
    return request
}
