import ArgumentParser
import Audit
import Datasets
import Experiments
import Foundation
import Training

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Prove that a speaker is gone from a model, not only from its outputs: compare it with models retrained without them.",
        discussion: """
        Trains --oracles models without the forgotten classes (once: they are kept beside the original and \
        reused), then measures the original, the unlearned model and every oracle: forget accuracy and \
        leakage, a probe of the embedding (cross-validated logistic regression, k-NN), the last layer \
        re-fitted on frozen embeddings, few-shot and retain-only relearning attacks, the distribution of \
        the forgotten voices' confidences (KS test, offline LiRA, a neighbour-distribution attack), the \
        forgotten rows' weight statistics and a cosine verification probe. Each test passes when the \
        unlearned model lies inside the oracles' band, a prediction interval that holds 95% of retrained \
        models' values (--audit-setting bandCoverage=…). The verdict: "indistinguishable from retraining", \
        "outputs only" (the outputs look retrained, the inside does not), "not forgotten", or \
        "inconclusive" (the original would pass every test too: too few or too discordant oracles). See \
        ../shared/AUDIT.md for the protocols.

        The classes audited are those the model has forgotten (every request in its history) unless \
        --forget names others. Measurements are cached beside each model (<model>.audit.json).

        Examples:
          qpae audit --model no-george.safetensors --original fsdd-cnn.safetensors
          qpae audit --model no-george.safetensors --original fsdd-cnn.safetensors --oracles 5 --json audit.json
          qpae audit --model m.safetensors --original o.safetensors --audit-setting relearnDraws=1
        """)

    @Option(help: ArgumentHelp("The model that forgot (an unlearned checkpoint).", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("The model before the erasure (its recipe trains the oracles).", valueName: "file"))
    var original: String

    @Option(help: ArgumentHelp("A class to audit, by name or index; repeat for several (default: every class the model has forgotten).",
                               valueName: "class"))
    var forget: [String] = []

    @Option(help: ArgumentHelp("The dataset root; by default the one the original was trained on.", valueName: "path"))
    var data: String?

    @OptionGroup var auditOptions: AuditOptions

    @OptionGroup var cache: CacheOption

    @OptionGroup var reports: ReportOptions

    @OptionGroup var compute: PrecisionOption

    func run() throws { try compute.scope(execute) }

    private func execute() throws {
        let start = Date()
        let unlearned = try TrainedModel(contentsOf: URL(fileURLWithPath: model))
        let before = try TrainedModel(contentsOf: URL(fileURLWithPath: original))
        let data = try PreparedData(try recordedDataRequest(for: before, data: data, cache: cache))
        let classes = try data.classIndices(named: forget.isEmpty ? unlearned.forgottenClasses : forget)
        let printer = TrainingProgressPrinter()
        let audit = try auditModel(unlearned, original: before, data: data, forgetClasses: classes,
                                   oracleCount: auditOptions.oracles, configuration: try auditOptions.configuration(),
                                   observer: printer.observer, log: { ProgressReporter.writeToStandardError($0 + "\n") })
        printer.finish()
        let beforeEvaluation = try evaluateModel(before, on: data, forgetClasses: classes)
        let evaluation = try evaluateModel(unlearned, on: data, forgetClasses: classes,
                                           forgetAccuracyBefore: beforeEvaluation.forget?.forgetAccuracy)
        let report = EvaluationReport(
            command: "audit",
            configuration: ["model": model, "original": original, "data": data.root.path,
                            "forget": classes.map { data.classes[$0] }.joined(separator: ","),
                            "oracles": String(auditOptions.oracles)].merging(audit.configuration.settings) { $1 },
            seed: audit.configuration.seed, dataset: DatasetSummary(data), model: ModelSummary(unlearned, path: model),
            before: beforeEvaluation, evaluation: evaluation, audit: audit,
            timings: audit.seconds.merging(["features": data.seconds, "total": Date().timeIntervalSince(start)]) { $1 })
        print(audit.markdown)
        try reports.write(report)
    }
}
