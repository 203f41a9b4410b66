import ArgumentParser
import Datasets
import Experiments
import Foundation
import Models
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a speaker (or accent) classifier on a dataset and save it as a checkpoint.",
        discussion: """
        Reads the dataset, extracts log-mel features (cached for the next run), trains with Adam on the \
        training split, keeps the epoch with the best validation accuracy, then evaluates on the test split.

        Every epoch is saved to --out atomically (with the optimizer's state beside it in \
        *.training-state.safetensors), so an interrupted run continues with --resume and ends exactly as \
        an uninterrupted one. When training finishes, --out holds the best epoch and the state file is removed.
        The checkpoint records the architecture, class names, feature settings, normalisation and the \
        dataset it came from, so `qpae evaluate --model FILE` needs nothing else.

        Examples:
          qpae train --data ../shared/data/fsdd --model cnn --epochs 20 --out fsdd-cnn.safetensors
          qpae train --layout accent --model cnn --out accents.safetensors   (synthetic accents)
          qpae train --data ../shared/data/fsdd --exclude george --out retrained-without-george.safetensors
        """)

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("The architecture: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).",
                               valueName: "name"))
    var model: Architecture = .cnn

    @Option(help: "Passes over the training examples.")
    var epochs = 20

    @Option(help: "Examples per optimizer step.")
    var batchSize = 32

    @Option(help: "Adam's learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Adam's L2 weight decay.")
    var weightDecay: Float = 0

    @Option(help: "Share of the training examples held out to choose the best epoch (0 keeps the last epoch).")
    var validationFraction = 0.1

    @Option(help: "Stop after this many epochs without a better validation accuracy.")
    var patience: Int?

    @Option(help: "Seeds the split, the initial weights and the shuffles; the same seed gives the same model.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Leave out this class's training examples (repeatable): the retrained-without reference an unlearned model is compared with. The model keeps the class's output.",
                               valueName: "class"))
    var exclude: [String] = []

    @Option(help: ArgumentHelp("How the learning rate moves: cosine (a linear warm-up over --warmup-fraction of the updates, then half a cosine down to 0), or constant (the paper's recipe).",
                               valueName: "schedule"))
    var schedule: TrainingConfiguration.ScheduleKind = .cosine

    @Option(help: ArgumentHelp("Share of the updates spent warming up under the cosine schedule.", valueName: "fraction"))
    var warmupFraction = 0.05

    @Option(help: ArgumentHelp("SpecAugment time masks per training example (each up to 10 frames wide).", valueName: "count"))
    var timeMasks = 0

    @Option(help: ArgumentHelp("SpecAugment frequency masks per training example (each up to 8 mel bands wide).", valueName: "count"))
    var frequencyMasks = 0

    @Option(help: ArgumentHelp("Where to write the checkpoint (.safetensors).", valueName: "file"))
    var out: String

    @Flag(help: "Continue an interrupted run from the checkpoint at --out.")
    var resume = false

    @Flag(help: "Replace an existing file at --out.")
    var overwrite = false

    @OptionGroup var reports: ReportOptions

    /// The recipe the flags describe.
    var trainingConfiguration: TrainingConfiguration {
        TrainingConfiguration(epochs: epochs, batchSize: batchSize, learningRate: learningRate, weightDecay: weightDecay,
                              seed: seed, validationFraction: validationFraction, earlyStoppingPatience: patience,
                              schedule: schedule, warmupFraction: warmupFraction,
                              masking: SpectrogramMasking(timeMasks: timeMasks, frequencyMasks: frequencyMasks))
    }

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs \(epochs) must be at least 1") }
        do {
            try trainingConfiguration.validate()
        } catch let error as ConfigurationError {
            throw ValidationError(error, flags: ["batchSize": "--batch-size", "learningRate": "--learning-rate",
                                                 "weightDecay": "--weight-decay", "validationFraction": "--validation-fraction",
                                                 "earlyStoppingPatience": "--patience", "warmupFraction": "--warmup-fraction",
                                                 "masking.timeMasks": "--time-masks", "masking.frequencyMasks": "--frequency-masks"])
        }
        if FileManager.default.fileExists(atPath: out), !resume, !overwrite {
            throw ExperimentError.outputExists(out)
        }
        if resume, !FileManager.default.fileExists(atPath: out) {
            throw ValidationError("--resume: there is no checkpoint at \(out) to continue from; start without --resume")
        }
    }

    @OptionGroup var compute: PrecisionOption

    func run() throws { try compute.scope(execute) }

    private func execute() throws {
        let start = Date()
        let data = try PreparedData(dataOptions.request(seed: seed))
        print("Data: \(data.root.path) (\(data.layout.rawValue), \(data.classes.count) \(data.classKind.rawValue) classes, "
              + "split \(SplitMethod.explained(data.splitMethod.description))): \(data.train.count) training and \(data.test.count) test examples")
        let configuration = trainingConfiguration
        let excluded = try data.classIndices(named: exclude)
        if !excluded.isEmpty, excluded.count == data.classes.count {
            throw ExperimentError.forgetsEveryClass(classCount: data.classes.count)
        }
        let outcome = try trainModel(model, on: data, configuration: configuration, excludedClasses: excluded,
                                     checkpoint: URL(fileURLWithPath: out), resume: resume) { trainer in
            TrainingProgressPrinter().attach(to: trainer)
        }
        print("Trained \(model.rawValue) in \(String(format: "%.1f", outcome.seconds)) s; best epoch "
              + "\(outcome.result.bestEpoch)\(outcome.result.stoppedEarly ? " (stopped early)" : ""); saved \(out)")
        let evaluation = try evaluateModel(outcome.trained, on: data, forgetClasses: excluded, seed: seed)
        print(evaluation.summaryTable().rendered)
        if let forget = evaluation.forget { print(ForgetEvaluation.table(before: nil, after: forget).rendered) }
        let report = EvaluationReport(
            command: "train", configuration: configurationRecord(data), seed: seed, dataset: DatasetSummary(data),
            model: ModelSummary(outcome.trained, path: out), evaluation: evaluation,
            timings: ["features": data.seconds, "training": outcome.seconds, "evaluation": evaluation.seconds,
                      "total": Date().timeIntervalSince(start)])
        try reports.write(report)
    }

    private func configurationRecord(_ data: PreparedData) -> [String: String] {
        ["data": data.root.path, "layout": data.layout.rawValue, "classes": data.classKind.rawValue,
         "split": data.splitMethod.description, "model": model.rawValue, "epochs": String(epochs),
         "batch-size": String(batchSize), "learning-rate": String(learningRate), "weight-decay": String(weightDecay),
         "validation-fraction": String(validationFraction), "patience": patience.map(String.init) ?? "none",
         "seed": String(seed), "out": out, "resume": String(resume), "exclude": exclude.joined(separator: ",")]
    }
}
