import AudioFeatures
import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import Training

/// A classifier with everything needed to use it on audio: its architecture, its class names (in logit
/// order), the log-mel settings and normalisation statistics of its inputs, and where its data came from.
///
/// All of it lives in the checkpoint's metadata (``CheckpointMetadata``), so a `.safetensors` file
/// written by ``save(to:)`` is self-contained. Besides the standard entries it records:
///
/// | key                      | value                                                  |
/// |--------------------------|--------------------------------------------------------|
/// | `feature_settings`       | every ``LogMelSettings`` field plus `mean`, `standardDeviation` (``CheckpointMetadata/normalization``) |
/// | `dataset_path`           | the data folder trained on                             |
/// | `dataset_layout`, `class_kind`, `split` | how it was read and split (``SplitMethod``) |
/// | `dataset_fingerprint`    | ``DatasetIndex/fingerprint`` of the data               |
/// | `forgotten_classes`      | JSON array of class names forgotten so far (unlearning) |
/// | `training_configuration` | the ``TrainingConfiguration`` (recipe) as JSON, for retraining with it |
/// | `training_seconds`       | wall time of its training, the cost of retraining it   |
/// | `unlearning_history`     | JSON array of ``UnlearningRecord``: each request's classes, method, settings, seed, time |
/// | `calibration`            | JSON ``Calibration``: the setting `qpae calibrate` chose for the model it was made from |
public struct TrainedModel {
    public let model: any Classifier
    public let architecture: Architecture
    public var metadata: CheckpointMetadata
    /// The checkpoint this model was read from or last written to, for messages; `nil` for a model
    /// that only lives in memory.
    public var file: URL?

    public enum Key {
        public static let datasetPath = "dataset_path"
        public static let datasetLayout = "dataset_layout"
        public static let classKind = "class_kind"
        public static let split = "split"
        public static let datasetFingerprint = "dataset_fingerprint"
        public static let forgottenClasses = "forgotten_classes"
        public static let unlearningHistory = "unlearning_history"
        public static let trainingConfiguration = "training_configuration"
        public static let trainingSeconds = "training_seconds"
        public static let calibration = "calibration"
    }

    /// Wraps a model trained on `data`, recording `statistics` and the data's provenance.
    public init(model: any Classifier, architecture: Architecture, data: PreparedData,
                statistics: NormalizationStatistics, seed: UInt64) {
        self.model = model
        self.architecture = architecture
        metadata = CheckpointMetadata(
            architecture: architecture.rawValue, classNames: data.classes, seed: seed,
            featureSettings: Self.featureSettings(data.train.features.settings),
            additional: [Key.datasetPath: data.root.path, Key.datasetLayout: data.layout.rawValue,
                         Key.classKind: data.classKind.rawValue, Key.split: data.splitMethod.description,
                         Key.datasetFingerprint: data.fingerprint])
        metadata.normalization = statistics
    }

    /// Reads a checkpoint written by ``save(to:)`` (or by `qpae train`), rebuilding the model it names.
    ///
    /// - Throws: ``CheckpointError`` for an unreadable file or weights that do not fit the architecture;
    ///   ``ExperimentError`` for an unknown architecture or missing feature settings.
    public init(contentsOf url: URL) throws {
        let contents = try SafeTensors(contentsOf: url)
        let metadata = try CheckpointMetadata(contents.metadata, file: url.path)
        guard let architecture = Architecture(rawValue: metadata.architecture) else {
            throw ExperimentError.unknownArchitecture(checkpoint: url.path, name: metadata.architecture)
        }
        guard !metadata.classNames.isEmpty else {
            throw ExperimentError.incompleteCheckpoint(checkpoint: url.path, missing: "class names")
        }
        self.metadata = metadata
        self.architecture = architecture
        self.file = url
        guard let settings = Self.settings(from: metadata) else {
            throw ExperimentError.incompleteCheckpoint(checkpoint: url.path, missing: "complete feature_settings")
        }
        var generator = SplitMix64(seed: 0)
        model = architecture.makeModel(classCount: metadata.classNames.count,
                                       inputSize: (settings.melBandCount, settings.frameCount), using: &generator)
        do {
            try model.loadState(from: contents)
        } catch var error as CheckpointError {
            error.file = url.path
            throw error
        }
        guard metadata.normalization != nil else {
            throw ExperimentError.incompleteCheckpoint(checkpoint: url.path, missing: "normalisation mean and standard deviation")
        }
    }

    /// Writes weights and metadata atomically (a previous file at `url` stays intact on failure) and
    /// remembers `url` as ``file``.
    public mutating func save(to url: URL) throws {
        try model.save(to: url, metadata: metadata)
        file = url
    }

    /// How messages name this model: its file, or that it was never saved.
    public var fileDescription: String { file?.path ?? "the model in memory (not saved)" }

    public var classNames: [String] { metadata.classNames }

    /// The log-mel settings the model expects, `nil` when the metadata lacks a field.
    public var settings: LogMelSettings? { Self.settings(from: metadata) }

    private static func settings(from metadata: CheckpointMetadata) -> LogMelSettings? {
        let f = metadata.featureSettings
        guard let sampleRate = f["sampleRate"], let exampleLength = f["exampleLength"],
              let windowLength = f["windowLength"], let hopLength = f["hopLength"], let fftLength = f["fftLength"],
              let melBandCount = f["melBandCount"], let lowest = f["lowestFrequency"],
              let highest = f["highestFrequency"], let logOffset = f["logOffset"] else { return nil }
        var windowing: ExampleWindowing?
        if f[WindowingKey.speechWindows] == 1 {
            guard let threshold = f[WindowingKey.speechThreshold], let fraction = f[WindowingKey.minimumSpeechFraction]
            else { return nil }
            windowing = ExampleWindowing(speechThreshold: threshold, minimumSpeechFraction: fraction,
                                         hop: f[WindowingKey.exampleHop].map { Int($0) })
        }
        return LogMelSettings(sampleRate: Int(sampleRate), exampleLength: Int(exampleLength),
                              windowLength: Int(windowLength), hopLength: Int(hopLength), fftLength: Int(fftLength),
                              melBandCount: Int(melBandCount), lowestFrequency: lowest, highestFrequency: highest,
                              logOffset: logOffset, windowing: windowing)
    }

    /// The training split's feature mean and standard deviation; always present in a model read from a
    /// file or trained here.
    public var statistics: NormalizationStatistics { metadata.normalization! }

    /// The recipe the model was trained with, when recorded.
    public var recipe: TrainingConfiguration? {
        get {
            metadata.additional[Key.trainingConfiguration]
                .flatMap { try? JSONDecoder().decode(TrainingConfiguration.self, from: Data($0.utf8)) }
        }
        set {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            metadata.additional[Key.trainingConfiguration] = newValue.map { String(decoding: try! encoder.encode($0), as: UTF8.self) }
        }
    }

    /// Wall time of the model's training on the machine that trained it, when recorded (models trained
    /// by this version): what an exact erasure by retraining costs.
    public var trainingSeconds: Double? {
        get { metadata.additional[Key.trainingSeconds].flatMap(Double.init) }
        set { metadata.additional[Key.trainingSeconds] = newValue.map { String(format: "%.3f", $0) } }
    }

    /// A freshly initialised model of this architecture and class count, drawn from `seed`: for methods
    /// that need a second network (retraining, teachers).
    public func modelFactory(seed: UInt64) -> @Sendable () -> any Classifier {
        let architecture = architecture, classCount = classNames.count
        let settings = settings ?? .vggish
        return {
            var generator = SplitMix64(seed: seed)
            return architecture.makeModel(classCount: classCount, inputSize: (settings.melBandCount, settings.frameCount),
                                          using: &generator)
        }
    }

    /// Class names forgotten by earlier unlearning requests, oldest first.
    public var forgottenClasses: [String] {
        get {
            metadata.additional[Key.forgottenClasses]
                .flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        }
        set {
            metadata.additional[Key.forgottenClasses] =
                String(decoding: try! JSONEncoder().encode(newValue), as: UTF8.self)
        }
    }

    /// The data this model was trained on, as its checkpoint records it (folder, layout, class kind,
    /// split, feature settings), with `path` replacing the folder; `nil` when it records no folder and
    /// none is given.
    public func recordedDataRequest(path: URL? = nil, featureCache: URL?, showsProgress: Bool = true) -> DataRequest? {
        let recorded = metadata.additional
        guard let path = path ?? recorded[Key.datasetPath].map({ URL(fileURLWithPath: $0) }) else { return nil }
        return DataRequest(
            path: path,
            layout: recorded[Key.datasetLayout].flatMap(DatasetLayout.init(rawValue:)),
            classKind: recorded[Key.classKind].flatMap(ClassKind.init(rawValue:)),
            split: recorded[Key.split].flatMap(SplitMethod.init),
            settings: settings ?? .vggish, featureCache: featureCache, showsProgress: showsProgress)
    }

    /// Checks that `data` has this model's classes (same names, same order) and feature settings.
    ///
    /// - Throws: ``ExperimentError/classMismatch(checkpoint:checkpointClasses:dataClasses:)`` or
    ///   ``ExperimentError/featureSettingsMismatch(checkpoint:differences:)``, naming ``file``.
    public func checkCompatible(with data: PreparedData) throws {
        guard data.classes == classNames else {
            throw ExperimentError.classMismatch(checkpoint: fileDescription, checkpointClasses: classNames,
                                                dataClasses: data.classes)
        }
        let ours = Self.featureSettings(settings ?? .vggish)
        let theirs = Self.featureSettings(data.train.features.settings)
        let differences = Set(ours.keys).union(theirs.keys).sorted().filter { ours[$0] != theirs[$0] }
            .map { "\($0): model \(Self.format(ours[$0])), data \(Self.format(theirs[$0]))" }
        guard differences.isEmpty else {
            throw ExperimentError.featureSettingsMismatch(checkpoint: fileDescription, differences: differences)
        }
    }

    /// The names under which ``ExampleWindowing`` is recorded; absent (windowing off) in checkpoints
    /// that take examples consecutively, as every checkpoint did before it existed.
    enum WindowingKey {
        static let speechWindows = "speechWindows"
        static let speechThreshold = "speechThreshold"
        static let minimumSpeechFraction = "minimumSpeechFraction"
        static let exampleHop = "exampleHop"
    }

    /// The settings as the name → number map of ``CheckpointMetadata/featureSettings``.
    static func featureSettings(_ settings: LogMelSettings) -> [String: Double] {
        var map = [
            "sampleRate": Double(settings.sampleRate), "exampleLength": Double(settings.exampleLength),
            "windowLength": Double(settings.windowLength), "hopLength": Double(settings.hopLength),
            "fftLength": Double(settings.fftLength), "melBandCount": Double(settings.melBandCount),
            "lowestFrequency": settings.lowestFrequency, "highestFrequency": settings.highestFrequency,
            "logOffset": settings.logOffset,
        ]
        if let windowing = settings.windowing {
            map[WindowingKey.speechWindows] = 1
            map[WindowingKey.speechThreshold] = windowing.speechThreshold
            map[WindowingKey.minimumSpeechFraction] = windowing.minimumSpeechFraction
            map[WindowingKey.exampleHop] = windowing.hop.map(Double.init)
        }
        return map
    }

    private static func format(_ value: Double?) -> String {
        guard let value else { return "absent" }
        return value == value.rounded() ? String(Int(value)) : String(value)
    }
}
