import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import Training

/// The result of ``trainModel(_:on:configuration:checkpoint:resume:observe:)``.
public struct TrainingOutcome {
    /// The model with the weights of its best epoch, and its metadata.
    public var trained: TrainedModel
    public var result: TrainingResult
    /// Wall time of the training epochs run by this call.
    public var seconds: Double
}

/// Trains a fresh `architecture` on `data`'s training split with `configuration` (the model's initial
/// weights are drawn from `configuration.seed` too, so one seed fixes the whole run).
///
/// With `checkpoint`, every epoch is written there atomically with the optimizer's state in a sidecar
/// (``Trainer/trainingStateURL(forCheckpoint:)``), and `resume` continues an interrupted run from them,
/// ending bit-identical to an uninterrupted run. When training finishes, the best epoch's model is
/// written there with its provenance (``TrainedModel``) and the sidecar is removed: a finished run is
/// not resumed (its file no longer holds the last epoch, so continuing would not be exact).
///
/// - Parameters:
///   - excludedClasses: classes whose training examples are left out (the model keeps their outputs):
///     the "retrain without them" reference of unlearning. They are recorded as forgotten, so
///     evaluation re-tests them.
///   - statistics: the normalisation to train with; by default the training part's. A model retrained
///     for comparison with another passes that model's, so both read inputs the same way.
///   - observe: called with the trainer before training starts, to attach progress callbacks.
/// - Throws: ``TrainingError`` (NaN loss, bad features, a checkpoint that cannot resume),
///   ``ConfigurationError`` for an option out of range, ``CheckpointError`` for checkpoint I/O.
public func trainModel(_ architecture: Architecture, on data: PreparedData, configuration: TrainingConfiguration,
                       excludedClasses: [Int] = [], statistics: NormalizationStatistics? = nil,
                       checkpoint: URL? = nil, resume: Bool = false,
                       observe: (Trainer) -> Void = { _ in }) throws -> TrainingOutcome {
    try ConfigurationError.within(owner: "training") { try configuration.validate() }
    let settings = data.train.features.settings
    var generator = SplitMix64(seed: configuration.seed)
    let model = architecture.makeModel(classCount: data.classes.count,
                                       inputSize: (settings.melBandCount, settings.frameCount), using: &generator)
    let kept = data.train.indices(excludingClasses: Set(excludedClasses))
    guard !kept.isEmpty else { throw DatasetError.emptySplit(part: "train", dataset: data.root.path) }
    let trainer = Trainer(model: model, features: data.train.features.subset(kept),
                          labels: kept.map { data.train.labels[$0] }, configuration: configuration,
                          statistics: statistics, checkpointURL: checkpoint)
    var trained = TrainedModel(model: model, architecture: architecture, data: data, statistics: trainer.statistics,
                               seed: configuration.seed)
    trained.forgottenClasses = excludedClasses.sorted().map { data.classes[$0] }
    trained.recipe = configuration
    trainer.checkpointMetadata = trained.metadata
    if resume, let checkpoint { try trainer.resume(from: checkpoint) }
    observe(trainer)
    let start = Date()
    let result = try trainer.train()
    let seconds = Date().timeIntervalSince(start)
    trained.metadata.additional["best_epoch"] = String(result.bestEpoch)
    trained.metadata.additional[Trainer.MetadataKey.epoch] = String(trainer.completedEpochs)
    // A resumed run timed only its own epochs: the whole training is estimated at their mean pace.
    trained.trainingSeconds = result.history.isEmpty ? nil
        : seconds / Double(result.history.count) * Double(trainer.completedEpochs)
    if let checkpoint {
        try trained.save(to: checkpoint)
        try? FileManager.default.removeItem(at: Trainer.trainingStateURL(forCheckpoint: checkpoint))
    }
    return TrainingOutcome(trained: trained, result: result, seconds: seconds)
}

/// The finished model at `checkpoint`, or one trained there now: a run interrupted before it finished
/// (its training state still beside the checkpoint) is resumed, a missing one is trained from the start
/// (``trainModel(_:on:configuration:excludedClasses:statistics:checkpoint:resume:observe:)``). Returns
/// whether it trained.
///
/// - Parameter accept: whether a finished model found at `checkpoint` is the one wanted; one that is not
///   (another recipe, other classes left out) is trained again.
public func loadOrTrainModel(at checkpoint: URL, architecture: Architecture, on data: PreparedData,
                             configuration: TrainingConfiguration, excludedClasses: [Int] = [],
                             statistics: NormalizationStatistics? = nil, observer: TrainingObserver = .silent,
                             accept: (TrainedModel) -> Bool = { _ in true }) throws -> (model: TrainedModel, trained: Bool) {
    // During training each epoch's checkpoint lies at `checkpoint` with the trainer's state beside it; the
    // state is removed when training finishes. With the state there, training was interrupted: resume it.
    let interrupted = FileManager.default.fileExists(atPath: Trainer.trainingStateURL(forCheckpoint: checkpoint).path)
    if !interrupted, let model = try? TrainedModel(contentsOf: checkpoint), accept(model) {
        return (model, false)
    }
    try FileManager.default.createDirectory(at: checkpoint.deletingLastPathComponent(), withIntermediateDirectories: true)
    let outcome = try trainModel(architecture, on: data, configuration: configuration, excludedClasses: excludedClasses,
                                 statistics: statistics, checkpoint: checkpoint, resume: interrupted) { trainer in
        trainer.observer = trainer.observer.followed(by: observer)
    }
    return (outcome.trained, true)
}

