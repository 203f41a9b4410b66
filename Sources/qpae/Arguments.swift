import ArgumentParser
import Datasets
import Experiments
import Foundation
import Audit
import Models
import Tensors
import Training

extension DatasetLayout: ExpressibleByArgument {}
extension ClassKind: ExpressibleByArgument {}
extension Architecture: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension ExamplePlacement: ExpressibleByArgument {}
extension TrainingConfiguration.ScheduleKind: ExpressibleByArgument {}

/// Where the data is and how to read it; shared by every command that reads a dataset.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The dataset root: a folder in one of the layouts (e.g. ../shared/data/fsdd, which holds recordings/).",
        discussion: "Without it: the built-in synthetic corpus (speakers; accents with --layout accent).",
        valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("The folder layout: \(DatasetLayout.allCases.map(\.rawValue).joined(separator: ", ")). Detected when omitted.",
                               valueName: "layout"))
    var layout: DatasetLayout?

    @Option(help: ArgumentHelp("What the classes are: \(ClassKind.allCases.map(\.rawValue).joined(separator: ", ")). Default: speaker (accent for the accent layout).",
                               valueName: "kind"))
    var classes: ClassKind?

    @Option(help: ArgumentHelp("Share of each class's recordings held out for testing when the dataset has no official split (FSDD and Speech Commands have one).",
                               valueName: "fraction"))
    var testFraction: Double = 0.2

    @Option(help: ArgumentHelp(
        "How to split: official (the dataset's lists), stratified (per class, by recording; by speaker for accents), by-speaker (no speaker on both sides), by-example (the paper's accent protocol: the same speakers on both sides, so it measures them). Default: official where the dataset has one, else stratified.",
        valueName: "split"))
    var split: String?

    @Option(help: ArgumentHelp(
        "Where examples are cut from recordings: speech (centred on the speech a voice-activity step finds; windows that are mostly silence dropped) or consecutive (from the start, the last zero-padded, as VGGish and the paper). Models read from a checkpoint use what they were trained with.",
        valueName: "placement"))
    var examples: ExamplePlacement = .speech

    @Option(help: ArgumentHelp(
        "Seconds between the starts of examples in recordings longer than one and a half examples (with --examples speech); less than 0.975 overlaps them, for classes with few long recordings. Default: side by side.",
        valueName: "seconds"))
    var exampleHop: Double?

    @OptionGroup var cache: CacheOption

    var dataURL: URL? { data.map { URL(fileURLWithPath: $0) } }

    /// The request for these options; without `--split`, the official split where the layout has one,
    /// else stratified (by speaker for accents) with `--test-fraction` and `seed`.
    func request(seed: UInt64) -> DataRequest {
        DataRequest(path: dataURL, layout: layout, classKind: classes,
                    split: split.flatMap { SplitMethod(name: $0, testFraction: testFraction, seed: seed) },
                    testFraction: testFraction,
                    seed: seed, settings: examples.settings(hopSeconds: exampleHop), featureCache: cache.url,
                    showsProgress: true)
    }

    func validate() throws {
        guard testFraction > 0, testFraction < 1 else {
            throw ValidationError("--test-fraction \(testFraction) must lie between 0 and 1 (e.g. 0.2)")
        }
        if let split, !SplitMethod.names.contains(split) {
            throw ValidationError("--split \(split): must be one of \(SplitMethod.names.joined(separator: ", "))")
        }
        if let exampleHop {
            guard examples == .speech else { throw ValidationError("--example-hop needs --examples speech") }
            guard exampleHop >= 0.01 else { throw ValidationError("--example-hop \(exampleHop): must be at least 0.01 seconds") }
        }
    }
}

/// Where extracted features are kept between runs.
struct CacheOption: ParsableArguments {
    @Option(name: .customLong("cache"), help: ArgumentHelp(
        "Folder for cached features (default: $QPAE_CACHE/features, else ~/.cache/qpaudioeraser/features).",
        valueName: "folder"))
    var path: String?

    var url: URL? { path.map { URL(fileURLWithPath: $0) } }
}

/// The number format of convolutions and products; shared by the commands that train, unlearn or evaluate.
struct PrecisionOption: ParsableArguments {
    @Option(help: ArgumentHelp("fp32, or bf16: convolutions and matrix products in bfloat16, accumulating in Float32, with Float32 weights and optimizer (PyTorch's CPU autocast); needs a CPU with AVX512-BF16 or AMX.",
                               valueName: "precision"))
    var precision: Precision = .fp32

    func validate() throws {
        do { try precision.checkAvailable() } catch { throw ValidationError("--precision \(precision): \(error)") }
    }

    /// Runs the command's work in the chosen precision.
    func scope(_ body: () throws -> Void) throws {
        try Precision.withPrecision(precision, body)
    }
}

/// Where reports go; shared by the commands that evaluate.
struct ReportOptions: ParsableArguments {
    @Option(name: [.customLong("json"), .customLong("report")],
            help: ArgumentHelp("Also write the evaluation as JSON (configuration, seed, version, dataset fingerprint, timings).",
                               valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Also write the evaluation as a Markdown page.", valueName: "file"))
    var markdown: String?

    /// A report named like an audit's measurement cache (`<model>.audit.json`, kept beside each model)
    /// would overwrite it: refused, naming the clash.
    func validate() throws {
        for (flag, path) in [("--json", json), ("--markdown", markdown)] {
            if let path, path.hasSuffix("." + auditCacheExtension) {
                throw ValidationError("\(flag) \(path): names ending in .\(auditCacheExtension) are the audit's measurement "
                                      + "caches (<model>.\(auditCacheExtension) beside each model); choose another name")
            }
        }
    }

    func write(_ report: EvaluationReport) throws {
        if let json {
            try report.write(json: URL(fileURLWithPath: json))
            print("JSON report: \(json)")
        }
        if let markdown {
            try report.write(markdown: URL(fileURLWithPath: markdown))
            print("Markdown report: \(markdown)")
        }
    }
}

extension ValidationError {
    /// `error` told in terms of the command line: `--batch-size 0: must be 1 or more` when `flags` (by
    /// configuration field) names the flag that set the field, its own words otherwise.
    init(_ error: ConfigurationError, flags: [String: String]) {
        if let flag = flags[error.field], case let .outOfRange(value, allowed) = error.problem {
            self.init("\(flag) \(value): must be \(allowed)")
        } else {
            self.init(error.description)
        }
    }
}

/// `NAME=VALUE` entries (`--setting epochs=2`) as changes to a configuration: the value parsed as JSON
/// (`2`, `true`, `[3, 5]`, `"x"`) or else taken as a word; a dotted name reaches a nested field. Each
/// field is recorded with the flag that set it, for messages.
func settingChanges(_ entries: [String], flag: String, into changes: inout JSONValue,
                    flags: inout [String: String]) throws {
    for entry in entries {
        guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
            throw ValidationError("\(flag) \(entry): write NAME=VALUE, e.g. \(flag) epochs=2")
        }
        let field = String(entry[..<equals]), text = String(entry[entry.index(after: equals)...])
        changes.set((try? JSONValue(parsing: text)) ?? .string(text), at: field)
        flags[field] = "\(flag) \(field)"
    }
}

/// How an erasure is audited: against how many retrained models, and with which audit settings.
struct AuditOptions: ParsableArguments {
    @Option(help: "Models retrained without the forgotten classes to compare with (trained once, kept beside the original).")
    var oracles = 3

    @Option(name: .customLong("audit-setting"),
            help: ArgumentHelp("Change a setting of the audit (AuditConfiguration: relearnDraws, probeClipsPerClass, bandCoverage, …); repeatable.",
                               valueName: "name=value"))
    var settings: [String] = []

    /// The audit configuration the options describe.
    func configuration() throws -> AuditConfiguration {
        var changes = JSONValue.object([:]), flags: [String: String] = [:]
        try settingChanges(settings, flag: "--audit-setting", into: &changes, flags: &flags)
        do {
            return try ConfigurationError.within(owner: "audit") { try AuditConfiguration().applying(changes) }
        } catch let error as ConfigurationError {
            throw ValidationError(error, flags: flags)
        }
    }

    func validate() throws {
        guard oracles >= 2 else { throw ValidationError("--oracles \(oracles): the band needs at least 2 retrained models") }
        _ = try configuration()
    }
}
