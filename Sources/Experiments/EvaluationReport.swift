import Audit
import Datasets
import Evaluation
import Foundation
import Tensors
import Unlearning

/// The version written into every report and checkpoint made by this build.
public enum QPAudioEraserVersion {
    public static let current = "0.5.0"

    /// What `qpae --version` prints: the version, then the processor and the kernels this build runs on it.
    public static var withMachine: String {
        let machine = MachineSummary.current
        return "\(current)\nprocessor: \(machine.processor), \(machine.instructionSet)\nmatrix products: \(machine.matrixProducts)"
    }
}

/// The data a report is about: enough to find it again and to tell whether it changed.
public struct DatasetSummary: Codable, Sendable, Equatable {
    public var path: String
    public var isSynthetic: Bool
    public var layout: String
    public var classKind: String
    public var split: String
    /// ``DatasetIndex/fingerprint``.
    public var fingerprint: String
    public var classes: [String]
    public var trainingExampleCount: Int
    public var testExampleCount: Int
    /// Cache hits and misses, skipped files.
    public var notes: [String]

    public init(_ data: PreparedData) {
        path = data.root.path
        isSynthetic = data.isSynthetic
        layout = data.layout.rawValue
        classKind = data.classKind.rawValue
        split = data.splitMethod.description
        fingerprint = data.fingerprint
        classes = data.classes
        trainingExampleCount = data.train.count
        testExampleCount = data.test.count
        notes = data.notes
    }
}

/// The model a report is about.
public struct ModelSummary: Codable, Sendable, Equatable {
    public var path: String?
    public var architecture: String
    public var parameterCount: Int
    /// The seed the model was trained with, from its checkpoint.
    public var trainingSeed: UInt64?
    public var forgottenClasses: [String]

    public init(_ trained: TrainedModel, path: String?) {
        self.path = path
        architecture = trained.architecture.rawValue
        parameterCount = trained.model.parameterCount
        trainingSeed = trained.metadata.seed
        forgottenClasses = trained.forgottenClasses
    }
}

/// What an erasure request did, for the report of `qpae forget`.
public struct UnlearningSummary: Codable, Sendable, Equatable {
    /// The classes of this request.
    public var request: [String]
    /// Classes forgotten by earlier requests (re-tested, their data unused).
    public var earlierForgotten: [String]
    /// The method, its settings, its phases and their times.
    public var run: UnlearningRun
    /// Where the new checkpoint was written.
    public var output: String?
    /// The method's preset (`paper`), when one was named.
    public var preset: String?
    /// What the method's erasure is worth as evidence (``ErasureGrade``).
    public var grade: ErasureGrade?
    /// Retraining without the classes, offered when the erasure is not shown to be privacy-grade.
    public var fallback: ExactFallback?
    /// What a retraining without the classes would cost here, the erasure's yardstick.
    public var retraining: RetrainingCost?

    public init(_ outcome: ForgetOutcome, output: String?, preset: String? = nil, grade: ErasureGrade? = nil,
                fallback: ExactFallback? = nil, retraining: RetrainingCost? = nil) {
        request = outcome.requestClasses
        earlierForgotten = outcome.earlierForgottenClasses
        run = outcome.run
        self.output = output
        self.preset = preset
        self.grade = grade
        self.fallback = fallback
        self.retraining = retraining
    }
}

/// One evaluation as a file: the results with the full configuration, seed, software version, dataset
/// fingerprint and timings, as JSON (``write(json:)``) or Markdown (``markdown``).
public struct EvaluationReport: Codable, Sendable, Equatable {
    public var software = "QPAudioEraser \(QPAudioEraserVersion.current)"
    /// Compute threads (`QPAE_THREADS`): results are bit-reproducible for a seed and a thread count;
    /// another count changes the last bits of some kernels' sums, which training can amplify.
    public var threads = ComputeThreads.count
    /// The processor and the kernels the figures came from (absent from older reports).
    public var machine: MachineSummary? = .current
    /// The number format of convolutions and products (``Precision``); absent (fp32) in older reports.
    public var precision: Precision? = Precision.current
    /// ISO 8601, UTC.
    public var createdAt: String
    /// What produced it: `evaluate`, `train`, `demo`, ….
    public var command: String
    /// Every option of the command, by flag name.
    public var configuration: [String: String]
    public var seed: UInt64
    public var dataset: DatasetSummary
    public var model: ModelSummary
    /// The stated "before" model's evaluation, when one was given.
    public var before: ModelEvaluation?
    /// For `qpae forget`: the request and the method's run.
    public var unlearning: UnlearningSummary?
    public var evaluation: ModelEvaluation
    /// The erasure audit against models retrained without the forgotten classes, when one was run.
    public var audit: AuditReport?
    /// Seconds per stage (`features`, `evaluation`, `training`, `total`, …).
    public var timings: [String: Double]

    public init(command: String, configuration: [String: String], seed: UInt64, dataset: DatasetSummary,
                model: ModelSummary, before: ModelEvaluation? = nil, unlearning: UnlearningSummary? = nil,
                evaluation: ModelEvaluation, audit: AuditReport? = nil, timings: [String: Double],
                createdAt: Date = Date()) {
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.command = command
        self.configuration = configuration
        self.seed = seed
        self.dataset = dataset
        self.model = model
        self.before = before
        self.unlearning = unlearning
        self.evaluation = evaluation
        self.audit = audit
        self.timings = timings
    }

    /// Pretty-printed JSON with sorted keys; non-finite numbers as the strings `nan`, `inf`, `-inf`.
    public func jsonData() throws -> Data {
        try ReportJSON.encoder.encode(self)
    }

    /// Reads a report written by ``write(json:)``.
    public init(contentsOf url: URL) throws {
        self = try ReportJSON.read(Self.self, from: url)
    }

    /// Writes the JSON atomically: a reader sees the old file or the new one, never half of one.
    public func write(json url: URL) throws {
        try jsonData().write(to: url, options: .atomic)
    }

    /// Writes ``markdown`` atomically.
    public func write(markdown url: URL) throws {
        try Data(markdown.utf8).write(to: url, options: .atomic)
    }
}
