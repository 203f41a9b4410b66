import Datasets
import Evaluation
import Foundation
import Models
import Training
import Unlearning

/// `qpae demo`: what the project is for, in a few minutes on a laptop, with no download.
///
/// On the built-in synthetic corpus (espeak-ng speakers saying digits, made on first use): train the
/// small CNN to recognise the speakers and evaluate it on held-out clips; then honour two erasure
/// requests one after the other with QPAudioEraser (the first speaker, then the second, on the model
/// the first request produced), printing the before/after table of each and re-testing the first
/// speaker after the second request. Checkpoints and reports (JSON and Markdown) go into ``output``.
public struct Demo {
    public var output: URL
    public var seed: UInt64 = 0
    public var epochs = 12
    /// The data; `nil` is the built-in synthetic speakers.
    public var dataPath: URL?
    /// Where features are cached; `nil` is ``DataRequest/defaultFeatureCache``.
    public var featureCache: URL?
    public var showsProgress = true
    /// QPAudioEraser's settings for the two requests (the paper's defaults).
    public var unlearning = QPAudioEraser.Configuration()
    /// Where the tables and messages go (standard output by default).
    public var log: (String) -> Void = { print($0) }

    public init(output: URL) { self.output = output }

    /// What the demo made.
    public struct Result {
        public var checkpoint: URL
        public var report: EvaluationReport
        public var jsonReport: URL
        public var markdownReport: URL
        /// One report per erasure request, in order.
        public var requests: [EvaluationReport]
    }

    public func run() throws -> Result {
        let start = Date()
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        log("QPAudioEraser demo: train a speaker classifier, then make it forget two speakers, one request after the other.\n")
        log("1. Data: " + (dataPath == nil ? "the built-in synthetic corpus (espeak-ng voices saying digits; made once, then cached)" : dataPath!.path))
        let data = try PreparedData(DataRequest(path: dataPath, seed: seed, featureCache: featureCache,
                                                           showsProgress: showsProgress))
        log("   \(data.classes.count) speakers (\(data.classes.joined(separator: ", "))), \(data.train.count) training and "
            + "\(data.test.count) test clips, split \(data.splitMethod), ready in \(String(format: "%.1f", data.seconds)) s\n")

        let checkpoint = output.appendingPathComponent("speakers-cnn.safetensors")
        log("2. Training the small CNN for \(epochs) epochs (seed \(seed)) → \(checkpoint.path)")
        let configuration = TrainingConfiguration(epochs: epochs, seed: seed, validationFraction: 0.1, schedule: .cosine)
        let outcome = try trainModel(.cnn, on: data, configuration: configuration, checkpoint: checkpoint) { trainer in
            if showsProgress { TrainingProgressPrinter().attach(to: trainer) }
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
        log("Reports: \(json.path), \(markdown.path)\n")

        var model = outcome.trained, modelFile = checkpoint
        var requests: [EvaluationReport] = []
        let grade = QPAudioEraser.methodName.grade
        for (number, speaker) in data.classes.prefix(2).enumerated() {
            let stepStart = Date()
            log("\(4 + number). Request \(number + 1): forget speaker \(speaker)"
                + (number == 0 ? "" : " (the model of request 1; \(model.forgottenClasses.joined(separator: ", "))'s data is deleted)"))
            let printer = showsProgress ? TrainingProgressPrinter() : nil
            let forgot = try forgetClasses([number], in: model, data: data, method: QPAudioEraser(configuration: unlearning),
                                           seed: seed, observer: printer?.observer ?? .silent)
            printer?.finish()
            let cost = RetrainingCost.estimate(classes: [speaker], audit: nil, original: model, data: data,
                                               rate: forgot.run.trainingRate)
            let fallback = ExactFallback.offer(classes: [speaker], grade: grade, audit: nil, model: modelFile.path, cost: cost)
            model = forgot.model
            let file = output.appendingPathComponent("speakers-cnn-request\(number + 1).safetensors")
            modelFile = file
            try model.save(to: file)
            let report = EvaluationReport(
                command: "demo forget", configuration: ["forget": speaker, "request": String(number + 1)], seed: seed,
                dataset: DatasetSummary(data), model: ModelSummary(model, path: file.path), before: forgot.before,
                unlearning: UnlearningSummary(forgot, output: file.path, grade: grade, fallback: fallback),
                evaluation: forgot.after,
                timings: ["unlearning": forgot.run.seconds, "total": Date().timeIntervalSince(stepStart)])
            log(ForgetEvaluation.table(before: forgot.before.forget, after: forgot.after.forget!, unlearning: forgot.run).rendered)
            for earlier in forgot.after.forget!.earlierForgotten {
                log("   re-test of \(earlier.name), forgotten in request 1: accuracy \(MarkdownTable.percent(earlier.accuracy))%")
            }
            log("   grade: \(grade.explanation)" + (fallback?.estimatedSeconds.map {
                "; the exact erasure, retraining without \(speaker), would take about \(ProgressReporter.formatDuration($0)) here"
            } ?? ""))
            try report.write(json: output.appendingPathComponent("request\(number + 1).json"))
            try report.write(markdown: output.appendingPathComponent("request\(number + 1).md"))
            log("   saved \(file.path) and request\(number + 1).json/.md; training took \(String(format: "%.1f", outcome.seconds)) s, "
                + "this request \(String(format: "%.1f", forgot.run.seconds)) s\n")
            requests.append(report)
        }
        log(String(format: "Done in %.1f s.", Date().timeIntervalSince(start)))
        return Result(checkpoint: checkpoint, report: report, jsonReport: json, markdownReport: markdown,
                      requests: requests)
    }
}
