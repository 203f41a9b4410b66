import Datasets
import Foundation
import NeuralNetworks
import Tensors

/// What one epoch did: mean training loss, accuracies in percent and wall-clock time.
public struct EpochSummary: Codable, Equatable, Sendable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean cross-entropy over the epoch's training batches (weighted by batch size).
    public var loss: Double
    /// Accuracy in percent on the training batches as they were seen (training mode).
    public var trainingAccuracy: Double
    /// Accuracy in percent on the held-out examples after the epoch; `nil` without a validation split.
    public var validationAccuracy: Double?
    public var seconds: Double
}

/// The outcome of `Trainer.train()`.
public struct TrainingResult: Sendable {
    /// One summary per epoch run by this call (a resumed run starts after the checkpoint's epoch).
    public var history: [EpochSummary]
    /// The epoch whose parameters the model now holds: the best by validation accuracy, or the last
    /// epoch without a validation split.
    public var bestEpoch: Int
    public var bestValidationAccuracy: Double?
    /// `true` when early stopping ended the run before `configuration.epochs`.
    public var stoppedEarly: Bool
}

/// The shared epoch loop: trains any `Classifier` on a `FeatureSet` with Adam and cross-entropy.
///
/// Per epoch `e` (1-based) the training indices are shuffled by `SplitMix64(seed: seed &+ e)`, cut into
/// batches of `batchSize`, normalised with statistics of the training part only, and each batch takes
/// one Adam step. With `validationFraction > 0` a seeded share of the examples is held out; the
/// parameters of the epoch with the best validation accuracy are restored at the end.
///
/// ```swift
/// let trainer = Trainer(model: model, features: features, labels: labels,
///                       configuration: .init(epochs: 10, seed: 1), checkpointURL: url)
/// let result = try trainer.train()
/// ```
///
/// Resuming (`resume(from:)`) restores the weights and the epoch counter, not Adam's moment estimates
/// nor the best-so-far selection, so a resumed run is close to, but not bit-identical with, an
/// uninterrupted one.
public final class Trainer {
    public let model: any Classifier
    public let features: FeatureSet
    public let labels: [Int]
    public let configuration: TrainingConfiguration
    /// Indices into `features` trained on, and held out for model selection (both ascending).
    public let trainingIndices: [Int]
    public let validationIndices: [Int]
    /// Mean and standard deviation of the training part's features; stored in every checkpoint.
    public let statistics: NormalizationStatistics
    /// Where each epoch's parameters are written (atomically); `nil` writes nothing.
    public var checkpointURL: URL?
    /// Architecture and class names for the checkpoint; the trainer adds epoch, seed and statistics.
    public var checkpointMetadata: CheckpointMetadata
    /// Called after each epoch, on the calling thread.
    public var progress: ((EpochSummary) -> Void)?
    /// The last finished epoch (0 before training, the checkpoint's epoch after `resume(from:)`).
    public private(set) var completedEpochs = 0

    private let optimizer: Adam

    public enum MetadataKey {
        public static let epoch = "epoch"
        public static let normalizationMean = "normalization_mean"
        public static let normalizationStandardDeviation = "normalization_standard_deviation"
    }

    public init(model: any Classifier, features: FeatureSet, labels: [Int], configuration: TrainingConfiguration,
                checkpointURL: URL? = nil, checkpointMetadata: CheckpointMetadata? = nil,
                progress: ((EpochSummary) -> Void)? = nil) {
        configuration.validate()
        precondition(labels.count == features.count,
                     "Trainer: \(labels.count) labels for \(features.count) examples")
        precondition(labels.allSatisfy { (0..<model.classCount).contains($0) },
                     "Trainer: labels outside 0..<\(model.classCount): \(Set(labels.filter { !(0..<model.classCount).contains($0) }).sorted())")
        self.model = model
        self.features = features
        self.labels = labels
        self.configuration = configuration
        (trainingIndices, validationIndices) = Self.split(count: features.count, configuration: configuration)
        precondition(!trainingIndices.isEmpty, "Trainer: no training examples among \(features.count)")
        var trainingValues = [Float]()
        trainingValues.reserveCapacity(trainingIndices.count * features.featureCount)
        for index in trainingIndices { trainingValues += features.features(at: index) }
        statistics = NormalizationStatistics(of: trainingValues)
        self.checkpointURL = checkpointURL
        self.checkpointMetadata = checkpointMetadata
            ?? CheckpointMetadata(architecture: String(describing: type(of: model)),
                                  classNames: (0..<model.classCount).map(String.init))
        self.progress = progress
        optimizer = Adam(learningRate: configuration.learningRate, weightDecay: configuration.weightDecay)
    }

    /// The validation split: `round(fraction · count)` indices drawn by a generator seeded from `seed`.
    static func split(count: Int, configuration: TrainingConfiguration) -> (training: [Int], validation: [Int]) {
        let validationCount = min(Int((configuration.validationFraction * Double(count)).rounded()), count - 1)
        guard validationCount > 0 else { return (Array(0..<count), []) }
        var order = Array(0..<count)
        var generator = SplitMix64(seed: configuration.seed ^ 0x5EED_5EED_5EED_5EED)
        generator.shuffleReproducibly(&order)
        return (order[validationCount...].sorted(), order[..<validationCount].sorted())
    }

    /// Loads the weights and the epoch counter of a checkpoint written by `train()`; the next `train()`
    /// continues at the following epoch. Adam's state is not restored (see the type's documentation).
    public func resume(from url: URL) throws {
        let metadata = try model.load(from: url)
        guard let text = metadata[MetadataKey.epoch], let epoch = Int(text), epoch >= 0 else {
            throw TrainingError.checkpointWithoutEpoch(file: url.path)
        }
        completedEpochs = epoch
    }

    /// Runs epochs `completedEpochs + 1 … configuration.epochs`, then restores the best parameters.
    ///
    /// - Throws: `TrainingError.nonFiniteFeatures` before the first epoch when a training or validation
    ///   example holds NaN or ±∞; `TrainingError.nonFiniteLoss` when a loss is NaN or infinite (the model then holds the
    ///   parameters from before that step); checkpoint write errors.
    @discardableResult
    public func train() throws -> TrainingResult {
        for index in trainingIndices + validationIndices where !features.features(at: index).allSatisfy(\.isFinite) {
            throw TrainingError.nonFiniteFeatures(example: index, recordingID: features.recordingIDs[index])
        }
        var history: [EpochSummary] = []
        var best: (epoch: Int, accuracy: Double?, values: [Tensor])?
        var epochsWithoutImprovement = 0
        var stoppedEarly = false
        while completedEpochs < configuration.epochs {
            let epoch = completedEpochs + 1
            let summary = try runEpoch(epoch)
            completedEpochs = epoch
            history.append(summary)
            if let checkpointURL { try saveCheckpoint(to: checkpointURL, epoch: epoch) }
            progress?(summary)

            let accuracy = summary.validationAccuracy
            if best == nil || (accuracy ?? 0) > (best!.accuracy ?? 0) || accuracy == nil {
                best = (epoch, accuracy, model.namedParameters().map(\.parameter.value))
                epochsWithoutImprovement = 0
            } else {
                epochsWithoutImprovement += 1
            }
            if let patience = configuration.earlyStoppingPatience, !validationIndices.isEmpty,
               epochsWithoutImprovement >= patience, completedEpochs < configuration.epochs {
                stoppedEarly = true
                break
            }
        }
        if let best {
            for ((_, parameter), value) in zip(model.namedParameters(), best.values) { parameter.value = value }
        }
        return TrainingResult(history: history, bestEpoch: best?.epoch ?? completedEpochs,
                              bestValidationAccuracy: best?.accuracy, stoppedEarly: stoppedEarly)
    }

    private func runEpoch(_ epoch: Int) throws -> EpochSummary {
        let start = Date()
        var order = trainingIndices
        var generator = SplitMix64(seed: configuration.seed &+ UInt64(epoch))
        generator.shuffleReproducibly(&order)
        model.setTraining(true)
        var lossSum = 0.0, correct = 0, step = 0
        for batchStart in stride(from: 0, to: order.count, by: configuration.batchSize) {
            step += 1
            let indices = Array(order[batchStart..<min(batchStart + configuration.batchSize, order.count)])
            let x = features.batch(indices, normalizedWith: statistics)
            let y = indices.map { labels[$0] }
            var predictions: [Int] = []
            let (loss, gradients) = valueWithGradient(at: model) { model in
                let logits = model(x)
                predictions = logits.argmax(alongAxis: 1)
                return crossEntropy(logits: logits, labels: y)
            }
            let value = loss.item
            guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step) }
            optimizer.update(model, along: gradients)
            lossSum += Double(value) * Double(indices.count)
            correct += zip(predictions, y).filter { $0 == $1 }.count
        }
        let validationAccuracy = validationIndices.isEmpty ? nil : accuracy(on: validationIndices)
        return EpochSummary(epoch: epoch, loss: lossSum / Double(order.count),
                            trainingAccuracy: 100 * Double(correct) / Double(order.count),
                            validationAccuracy: validationAccuracy, seconds: Date().timeIntervalSince(start))
    }

    /// Accuracy in percent of the model (in inference mode) on `indices` of `features`, normalised with
    /// the training statistics; 0 for no indices.
    public func accuracy(on indices: [Int]) -> Double {
        guard !indices.isEmpty else { return 0 }
        model.setTraining(false)
        defer { model.setTraining(true) }
        var correct = 0
        for batchStart in stride(from: 0, to: indices.count, by: configuration.batchSize) {
            let batch = Array(indices[batchStart..<min(batchStart + configuration.batchSize, indices.count)])
            let predictions = model(features.batch(batch, normalizedWith: statistics)).argmax(alongAxis: 1)
            correct += zip(predictions, batch).filter { $0 == labels[$1] }.count
        }
        return 100 * Double(correct) / Double(indices.count)
    }

    private func saveCheckpoint(to url: URL, epoch: Int) throws {
        var metadata = checkpointMetadata
        metadata.seed = configuration.seed
        metadata.additional[MetadataKey.epoch] = String(epoch)
        metadata.additional[MetadataKey.normalizationMean] = String(statistics.mean)
        metadata.additional[MetadataKey.normalizationStandardDeviation] = String(statistics.standardDeviation)
        try model.save(to: url, metadata: metadata)
    }
}
