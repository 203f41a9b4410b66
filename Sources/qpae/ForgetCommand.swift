import ArgumentParser
import Audit
import Datasets
import Experiments
import Foundation
import Training
import Unlearning

extension MethodName: ExpressibleByArgument {}
extension QPAudioEraser.ForgetTarget: ExpressibleByArgument {}
extension QPAudioEraser.Phase: ExpressibleByArgument {}

/// QPAudioEraser's defaults, for the help texts: the configuration is the one place they are written.
private let defaults = QPAudioEraser.Configuration()

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

        The tuning options change the method's defaults. --epochs, --learning-rate, --batch-size, \
        --lambda and --retain-fraction reach every method that has that setting; a flag the chosen \
        method does not take is refused, naming the methods that do. --setting NAME=VALUE changes any \
        other setting (`qpae methods` lists every method's settings and defaults).

        Examples:
          qpae forget --model fsdd-cnn.safetensors --forget george --out no-george.safetensors
          qpae forget --model no-george.safetensors --forget jackson --out no-george-jackson.safetensors --json report.json
          qpae forget --model m.safetensors --forget 0 --forget 4 --epochs 1 --without mixing --out ablation.safetensors
          qpae forget --model m.safetensors --forget 0 --method scrub --setting alpha=0.01 --out scrub.safetensors
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

    @Option(help: ArgumentHelp("The unlearning method (`qpae methods` lists each one's settings). retrain is the exact erasure; every other method is \(ErasureGrade.outputsOnly.rawValue) until an audit of your model (--audit) says otherwise.",
                               valueName: "name"))
    var method: MethodName = .qpaudioeraser

    @Option(help: ArgumentHelp("Start from a named configuration of the method instead of its defaults; the tuning options apply over it. calibrated: the setting `qpae calibrate` chose for this model and recorded in it, graded \(ErasureGrade.calibrated.rawValue) (on such a model it is the default when no preset and no tuning option is given). QPAudioEraser: paper (the authors' setting, \(ErasureGrade.outputsOnly.rawValue)); regrowth (the head regrown as a retraining would grow it, no fine-tune, \(ErasureGrade.outputsOnly.rawValue): on FSDD a single clip brings the speaker back faster than in a retrained model); repair (the network below the head perturbed where the forgotten voices are carried and every head row drawn afresh, both repaired together on the retained voices for 2 epochs over half of them, batch norm recalibrated: on FSDD indistinguishable from retraining for 3 of 4 seeds forgetting one speaker and 3 of 4 forgetting two at once, at 7% of its time; still \(ErasureGrade.outputsOnly.rawValue): not on every seed, not on a small synthetic corpus within a tenth of a retraining's time, not on ViT-Tiny, and on ResNet18 only against retrained models too discordant to tell it from its first form).",
                               valueName: "name"))
    var preset: String?

    @Option(help: "λ, the weight of the entropy term (default \(defaults.lambda)).")
    var lambda: Float?

    @Option(help: "ε, the strength of the entanglement mixing (default \(defaults.epsilon)).")
    var epsilon: Float?

    @Option(help: "E, the fine-tuning epochs (default \(defaults.epochs), the authors'). 0 runs phases 1 and 4 only, in milliseconds: \(ErasureGrade.outputsOnly.rawValue), like every setting so far: on FSDD it matches a retrained model's forget and retain accuracy, but the audit (--audit) sets it apart from retraining (the forgotten row's norm gives it away).")
    var epochs: Int?

    @Option(help: "Adam's learning rate for the fine-tune (default \(defaults.learningRate)).")
    var learningRate: Float?

    @Option(help: "Examples per fine-tuning step (default \(defaults.batchSize)).")
    var batchSize: Int?

    @Option(help: ArgumentHelp("Target of the forget examples: uniform (the paper: 1/K on every class) or retained-uniform (1/|retained| on the others, 0 on the forgotten: lower leakage). Default \(defaults.forgetTarget.rawValue).",
                               valueName: "target"))
    var forgetTarget: QPAudioEraser.ForgetTarget?

    @Option(help: ArgumentHelp("Share of the retained classes' examples each fine-tuning epoch visits (1 = all, the paper; less is faster). Default \(defaults.batchPlan.retainFraction).",
                               valueName: "fraction"))
    var retainFraction: Double?

    @Flag(help: "Spread the forget examples over every batch instead of shuffling them in.")
    var balancedBatches = false

    @Option(help: ArgumentHelp("Switch a part of QPAudioEraser off for an ablation (repeatable).", valueName: "part"))
    var without: [QPAudioEraser.Phase] = []

    @Option(help: ArgumentHelp("Change any setting of the method: a field of its configuration (nested ones as batchPlan.retainFraction) and a JSON value or a word; repeatable. `qpae methods` lists them.",
                               valueName: "name=value"))
    var setting: [String] = []

    @Option(help: "Seeds the fine-tune's shuffles and the attacks.")
    var seed: UInt64 = 0

    @Flag(help: "Audit the erasure afterwards against models retrained without the classes (`qpae audit`), and add the verdict to the report.")
    var audit = false

    @OptionGroup var auditOptions: AuditOptions

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
        if preset != Calibration.presetName { _ = try unlearningMethod() }     // the calibrated one needs the model
    }

    /// The tuning flags that were given, as (flag, the configuration field it sets, value).
    var tuningFlags: [(flag: String, field: String, value: JSONValue)] {
        let given: [(String, String, JSONValue?)] = [
            ("--lambda", "lambda", lambda.map { .number(Double($0)) }),
            ("--epsilon", "epsilon", epsilon.map { .number(Double($0)) }),
            ("--epochs", "epochs", epochs.map { .integer(Int64($0)) }),
            ("--learning-rate", "learningRate", learningRate.map { .number(Double($0)) }),
            ("--batch-size", "batchSize", batchSize.map { .integer(Int64($0)) }),
            ("--forget-target", "forgetTarget", forgetTarget.map { .string($0.rawValue) }),
            ("--retain-fraction", "batchPlan.retainFraction", retainFraction.map { .number($0) }),
            ("--balanced-batches", "batchPlan.balancesForgetExamples", balancedBatches ? .bool(true) : nil),
            ("--without", "without", without.isEmpty ? nil : .array(without.map { .string($0.rawValue) })),
        ]
        return given.compactMap { flag, field, value in value.map { (flag, field, $0) } }
    }

    /// The chosen method with the tuning flags and `--setting`s applied over its defaults or the preset,
    /// and the grade its result may claim; for `model`, a calibration it records (``Calibration``) is the
    /// default and what `--preset calibrated` takes. Without a model the calibrated preset cannot be made.
    ///
    /// - Throws: `ValidationError` naming the flag: one the method does not take (and the methods that
    ///   do), a malformed `--setting`, a value out of range, or `--preset calibrated` for a model without
    ///   a calibration.
    func unlearningMethod(for model: TrainedModel? = nil) throws -> (method: any UnlearningMethod, grade: ErasureGrade) {
        var changes = JSONValue.object([:])
        var flagOfField: [String: String] = [:]
        for (flag, field, value) in tuningFlags {
            guard method.takes(field) else {
                let takers = MethodName.allCases.filter { $0.takes(field) }.map(\.rawValue)
                throw ValidationError("\(flag) is a setting of \(takers.joined(separator: ", ")), which --method "
                                      + "\(method.rawValue) does not take")
            }
            changes.set(value, at: field)
            flagOfField[field] = flag
        }
        try settingChanges(setting, flag: "--setting", into: &changes, flags: &flagOfField)
        if preset != nil { flagOfField["preset"] = "--preset" }
        do {
            if let model { return try method.makeMethod(for: model, preset: preset, changes: changes) }
            return (try method.makeMethod(preset: preset, changes: changes), method.grade)
        } catch let error as ConfigurationError {
            throw ValidationError(error, flags: flagOfField)
        }
    }

    @OptionGroup var compute: PrecisionOption

    func run() throws { try compute.scope(execute) }

    private func execute() throws {
        let start = Date()
        let input = URL(fileURLWithPath: model)
        let trained = try TrainedModel(contentsOf: input)
        let (method, grade) = try unlearningMethod(for: trained)
        let data = try PreparedData(try recordedDataRequest(for: trained, data: data, cache: cache))
        let preset = grade == .calibrated ? Calibration.presetName : preset
        ProgressReporter.writeToStandardError("\(method.name)" + (preset.map { ", preset \($0)" } ?? "") + " ("
            + "\(grade.rawValue)): " + UnlearningRun.settingsLine(method.settings) + "\n"
            + (grade == .calibrated ? trained.calibration.map { "Calibrated: \($0.evidence)\n" } ?? "" : ""))
        let printer = TrainingProgressPrinter()
        var outcome = try forgetClasses(try data.classIndices(named: forget), in: trained, data: data, method: method,
                                        seed: seed, observer: printer.observer)
        printer.finish()
        let output = out.map { URL(fileURLWithPath: $0) } ?? input
        let backup = input.appendingPathExtension("bak")
        if inPlace {
            try? FileManager.default.removeItem(at: backup)
            try FileManager.default.copyItem(at: input, to: backup)
            print("Backup of the original: \(backup.path)")
        }
        try outcome.model.save(to: output)
        var auditReport: AuditReport?
        if audit {
            let original = try TrainedModel(contentsOf: inPlace ? backup : input)
            auditReport = try auditModel(outcome.model, original: original, data: data, oracleCount: auditOptions.oracles,
                                         configuration: try auditOptions.configuration(), observer: printer.observer,
                                         log: { ProgressReporter.writeToStandardError($0 + "\n") })
            printer.finish()
        }
        let retraining = RetrainingCost.estimate(classes: outcome.requestClasses, audit: auditReport, original: trained,
                                                 data: data, rate: outcome.run.trainingRate)
        let fallback = ExactFallback.offer(classes: outcome.requestClasses, grade: grade, audit: auditReport,
                                           model: (inPlace ? backup : input).path, cost: retraining)
        let report = EvaluationReport(
            command: "forget", configuration: configurationRecord(data, method: method, preset: preset), seed: seed,
            dataset: DatasetSummary(data), model: ModelSummary(outcome.model, path: output.path),
            before: outcome.before,
            unlearning: UnlearningSummary(outcome, output: output.path, preset: preset, grade: grade,
                                          fallback: fallback, retraining: grade == .exact ? nil : retraining),
            evaluation: outcome.after, audit: auditReport,
            timings: ["features": data.seconds, "evaluation before": outcome.before.seconds,
                      "unlearning": outcome.run.seconds, "evaluation after": outcome.after.seconds,
                      "total": Date().timeIntervalSince(start)])
        print(report.markdown)
        print("Saved the model without \(outcome.requestClasses.joined(separator: ", ")): \(output.path)")
        if let auditReport { print(auditReport.summary) }
        try reports.write(report)
    }

    private func configurationRecord(_ data: PreparedData, method: any UnlearningMethod, preset: String?) -> [String: String] {
        var record = method.settings
        record["model"] = model
        record["data"] = data.root.path
        record["forget"] = forget.joined(separator: ",")
        record["method"] = self.method.rawValue
        if let preset { record["preset"] = preset }
        record["out"] = out ?? model
        record["in-place"] = String(inPlace)
        record["seed"] = String(seed)
        return record
    }
}
