import ArgumentParser
import Audit
import Datasets
import Experiments
import Foundation
import Training
import Unlearning

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Choose, for one trained model, the erasure setting the audit finds indistinguishable from retraining.",
        discussion: """
        Forgets the calibration classes (--forget) from the model with each candidate setting and each \
        seed, audits every run against --oracles models retrained without them (`qpae audit`; trained \
        once, kept beside the model), and chooses the candidate that passes on a majority of seeds most \
        often. The record, every run's verdict included, is written into the checkpoint's metadata: \
        `qpae forget` and the service then use the chosen setting for every request on that model and on \
        the models its erasures produce (the default when no preset and no tuning option is given; \
        `--preset calibrated` asks for it by name), graded "calibrated". The noise that makes the repair \
        pass moves with the trained model, so no fixed preset is privacy-grade for every model; this \
        audits the setting once per model, at the cost of the oracles and one audited run per candidate \
        and seed. The search stops at the first candidate that passes every seed.

        Candidates are changes over --preset, NAME=VALUE pairs separated by spaces ("" is the preset \
        unchanged); by default, for QPAudioEraser's repair: the preset, then σ 1.5, 1.25 and 1, then the \
        cosine schedule with half of each tensor masked and the forgotten rows' lengths matched.

        Examples:
          qpae calibrate --model fsdd-cnn.safetensors --forget george --in-place
          qpae calibrate --model r18.safetensors --forget george --setting epochs=1 --candidate "" --candidate "perturbation=1.25" --seeds 4 --out r18-calibrated.safetensors
        """)

    @Option(help: ArgumentHelp("The trained checkpoint.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("A class to forget while calibrating, by name or index; repeat for several at once.",
                               valueName: "class"))
    var forget: [String]

    @Option(help: ArgumentHelp("The dataset root; by default the one the model was trained on.", valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("Where to write the checkpoint with its calibration (the weights unchanged).", valueName: "file"))
    var out: String?

    @Flag(help: "Record the calibration in --model itself (its weights are not changed).")
    var inPlace = false

    @Flag(help: "Replace an existing file at --out.")
    var overwrite = false

    @Option(help: ArgumentHelp("The unlearning method to calibrate.", valueName: "name"))
    var method: MethodName = .qpaudioeraser

    @Option(help: ArgumentHelp("The method's named configuration the candidates change (QPAudioEraser: repair by default).",
                               valueName: "name"))
    var preset: String?

    @Option(help: ArgumentHelp("A candidate setting: NAME=VALUE pairs separated by spaces, over --preset; repeatable, tried in order.",
                               valueName: "settings"))
    var candidate: [String] = []

    @Option(help: ArgumentHelp("A change made under every candidate (NAME=VALUE, as forget's --setting; a candidate's own value wins); repeatable.",
                               valueName: "name=value"))
    var setting: [String] = []

    @Option(help: "Seeds each candidate is run with (0, 1, …); a candidate is chosen only when it passes on a majority of them.")
    var seeds = 3

    @Option(name: .customLong("json"), help: ArgumentHelp("Also write the calibration record as JSON.", valueName: "file"))
    var json: String?

    @OptionGroup var auditOptions: AuditOptions

    @OptionGroup var cache: CacheOption

    @OptionGroup var compute: PrecisionOption

    /// QPAudioEraser's repair candidates, in the order they are tried.
    static let repairCandidates = ["", "perturbation=1.5", "perturbation=1.25", "perturbation=1",
                                   "schedule=cosine salientShare=0.5 matchesRowLength=true"]

    var basePreset: String? { preset ?? (method == .qpaudioeraser ? "repair" : nil) }

    func validate() throws {
        guard !forget.isEmpty else { throw ValidationError("name at least one class to calibrate on with --forget") }
        guard inPlace != (out != nil) else {
            throw ValidationError("give either --out FILE for the calibrated checkpoint or --in-place to record it in --model")
        }
        if let out, FileManager.default.fileExists(atPath: out), !overwrite { throw ExperimentError.outputExists(out) }
        guard seeds >= 1 else { throw ValidationError("--seeds \(seeds): must be 1 or more") }
        guard basePreset != Calibration.presetName else { throw ValidationError("--preset calibrated: calibrate from a named preset") }
        guard !candidate.isEmpty || method == .qpaudioeraser && basePreset == "repair" else {
            throw ValidationError("name the settings to try with --candidate (defaults exist only for qpaudioeraser's repair)")
        }
        _ = try candidateChanges()
    }

    /// Each candidate as the JSON changes it makes (over the `--setting`s), checked against the method.
    func candidateChanges() throws -> [JSONValue] {
        var shared = JSONValue.object([:]), flags: [String: String] = [:]
        try settingChanges(setting, flag: "--setting", into: &shared, flags: &flags)
        return try (candidate.isEmpty ? Self.repairCandidates : candidate).map { text in
            var changes = shared
            try settingChanges(text.split(separator: " ").map(String.init), flag: "--candidate", into: &changes, flags: &flags)
            do {
                _ = try method.makeMethod(preset: basePreset, changes: changes)
            } catch let error as ConfigurationError {
                throw ValidationError("--candidate \"\(text)\": \(error)")
            }
            return changes
        }
    }

    func run() throws { try compute.scope(execute) }

    private func execute() throws {
        let input = URL(fileURLWithPath: model)
        var trained = try TrainedModel(contentsOf: input)
        let data = try PreparedData(try recordedDataRequest(for: trained, data: data, cache: cache))
        let printer = TrainingProgressPrinter()
        let record = try calibrate(trained, data: data, classes: try data.classIndices(named: forget), method: method,
                                   preset: basePreset, candidates: try candidateChanges(), seeds: (0 ..< UInt64(seeds)).map { $0 },
                                   oracleCount: auditOptions.oracles, audit: try auditOptions.configuration(),
                                   observer: printer.observer, log: { ProgressReporter.writeToStandardError($0 + "\n") })
        printer.finish()
        print(record.markdown)
        trained.calibration = record
        let output = out.map { URL(fileURLWithPath: $0) } ?? input
        try trained.save(to: output)
        print(record.chosen == nil
              ? "Recorded in \(output.path); no setting is calibrated, so erasures of this model stay \(ErasureGrade.outputsOnly.rawValue) unless audited (the exact erasure: --method retrain)."
              : "Recorded in \(output.path): `qpae forget` uses the chosen setting by default on it and on the models its erasures make.")
        if let json {
            try record.write(json: URL(fileURLWithPath: json))
            print("JSON record: \(json)")
        }
    }
}
