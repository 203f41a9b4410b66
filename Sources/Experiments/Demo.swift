import Datasets
import Foundation
import Models
import Training

/// `qpae demo`: what the project is for, in a few minutes on a laptop, with no download.
///
/// On the built-in synthetic corpus (espeak-ng speakers saying digits, made on first use): train the
/// small CNN to recognise the speakers, evaluate it on held-out clips, print the tables and write the
/// checkpoint and the reports into ``output``.
public struct Demo {
    public var output: URL
    public var seed: UInt64 = 0
    public var epochs = 12
    /// The data; `nil` is the built-in synthetic speakers.
    public var dataPath: URL?
    /// Where features are cached; `nil` is ``DataRequest/defaultFeatureCache``.
    public var featureCache: URL?
    public var showsProgress = true
    /// Where the tables and messages go (standard output by default).
    public var log: (String) -> Void = { print($0) }

    public init(output: URL) { self.output = output }

    /// What the demo made.
    public struct Result {
        public var checkpoint: URL
        public var report: EvaluationReport
        public var jsonReport: URL
        public var markdownReport: URL
    }

    public func run() throws -> Result {
        let start = Date()
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        log("QPAudioEraser demo: train a speaker classifier, then evaluate it.\n")
        log("1. Data: " + (dataPath == nil ? "the built-in synthetic corpus (espeak-ng voices saying digits; made once, then cached)" : dataPath!.path))
        let data = try PreparedData(DataRequest(path: dataPath, seed: seed, featureCache: featureCache,
                                                           showsProgress: showsProgress))
        log("   \(data.classes.count) speakers (\(data.classes.joined(separator: ", "))), \(data.train.count) training and "
            + "\(data.test.count) test clips, split \(data.splitMethod), ready in \(String(format: "%.1f", data.seconds)) s\n")

        let checkpoint = output.appendingPathComponent("speakers-cnn.safetensors")
        log("2. Training the small CNN for \(epochs) epochs (seed \(seed)) → \(checkpoint.path)")
        var configuration = TrainingConfiguration(epochs: epochs, seed: seed)
        configuration.validationFraction = 0.1
        let outcome = try trainModel(.cnn, on: data, configuration: configuration, checkpoint: checkpoint) { trainer in
            if showsProgress { TrainingProgressPrinter(epochs: epochs).attach(to: trainer) }
        }
        log("   best epoch \(outcome.result.bestEpoch), \(String(format: "%.1f", outcome.seconds)) s\n")

        log("3. Evaluating on the held-out clips")
        let evaluation = try evaluateModel(outcome.trained, on: data, seed: seed)
        let report = EvaluationReport(
            command: "demo", configuration: ["epochs": String(epochs), "model": "cnn", "data": data.root.path],
            seed: seed, dataset: DatasetSummary(data), model: ModelSummary(outcome.trained, path: checkpoint.path),
            evaluation: evaluation,
            timings: ["features": data.seconds, "training": outcome.seconds, "evaluation": evaluation.seconds,
                      "total": Date().timeIntervalSince(start)])
        log(evaluation.summaryTable().rendered)
        log(evaluation.perClassTable().rendered)
        let json = output.appendingPathComponent("evaluation.json")
        let markdown = output.appendingPathComponent("evaluation.md")
        try report.write(json: json)
        try report.write(markdown: markdown)
        log("Reports: \(json.path), \(markdown.path)")
        log(String(format: "Done in %.1f s.", Date().timeIntervalSince(start)))
        return Result(checkpoint: checkpoint, report: report, jsonReport: json, markdownReport: markdown)
    }
}
