import Datasets
import Foundation
import NeuralNetworks
import Tensors

/// The shared epoch loop: trains any `Classifier` on a `FeatureSet` with Adam and cross-entropy.
///
/// Per epoch `e` (1-based) the training indices are shuffled by `SplitMix64(seed: seed &+ e)`, cut into
/// batches of `batchSize`, normalised with statistics of the training part only (and masked when the
/// recipe asks, ``SpectrogramMasking``), and each batch takes one Adam step at the rate the recipe's
/// schedule gives that update. With `validationFraction > 0` a seeded share of the examples (of the
/// recordings, with all their examples, when a recording gave several) is held out; the parameters of
/// the epoch with the best validation accuracy (per recording, by mean logits) are restored at the end, and with
/// `earlyStoppingPatience` the run ends after that many epochs without a better one.
///
/// ```swift
/// let trainer = Trainer(model: model, features: features, labels: labels,
///                       configuration: .init(epochs: 10, seed: 1), checkpointURL: url)
/// TrainingProgressPrinter().attach(to: trainer)              // a live bar on a terminal
/// let result = try trainer.train()
/// ```
///
/// **Checkpoints and exact resume.** With a `checkpointURL`, the end of every epoch writes two files,
/// each atomically (temporary file, `fsync`, rename), the training state first:
///
/// - ``trainingStateURL`` (`model.training-state.safetensors` beside `model.safetensors`): everything
///   else the run remembers — Adam's `m`, `v` and step count per parameter, the best epoch so far with
///   its validation accuracy and parameter values, and the count of epochs without improvement
///   (``TrainingStateKey`` lists the entries);
/// - `checkpointURL`: the epoch's parameters and buffers, loadable on its own by `Module.load(from:)`,
///   with the epoch, seed and normalisation statistics in its metadata.
///
/// `resume(from:)` reads both and checks that they hold the same epoch; `train()` then continues so that
/// an interruption at the end of any epoch changes nothing: the final parameters are bit-identical, and
/// `bestEpoch`, `bestValidationAccuracy` and `stoppedEarly` equal, to those of an uninterrupted run with
/// the same configuration (only `history` is shorter: it lists the epochs run by that call). This holds
/// because nothing else carries over between epochs: each epoch's shuffle comes from the seed, batch
/// norm's running statistics are buffers in the checkpoint, and the kernels are deterministic (on one
/// machine: another BLAS or core count may round differently).
///
/// One exception: a `Dropout` layer draws its masks from a generator it owns, which no file records,
/// so a model with active dropout resumes with other masks. None of the built-in architectures (`cnn`,
/// `resnet18`, `vit-tiny`) has dropout.
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
    /// Where each epoch's parameters are written (atomically); `nil` writes nothing, not even the
    /// training state.
    public var checkpointURL: URL?
    /// Architecture and class names for the checkpoint; the trainer adds epoch, seed and statistics.
    public var checkpointMetadata: CheckpointMetadata
    /// Told of every step and every epoch (after its files are written), on the calling thread.
    public var observer: TrainingObserver
    /// The last finished epoch (0 before training, the checkpoint's epoch after `resume(from:)`).
    public internal(set) var completedEpochs = 0

    /// The training state beside ``checkpointURL``, written before it at the end of every epoch;
    /// `nil` without a checkpoint. See ``trainingStateURL(forCheckpoint:)``.
    public var trainingStateURL: URL? { checkpointURL.map(Self.trainingStateURL(forCheckpoint:)) }

    let optimizer: Adam
    /// The best epoch so far with its validation accuracy and parameter values (``Module/namedParameters()``
    /// order); `nil` before the first epoch.
    var best: (epoch: Int, accuracy: Double?, values: [Tensor])?
    /// Epochs since `best` last changed, compared with `earlyStoppingPatience`.
    var epochsWithoutImprovement = 0

    public enum MetadataKey {
        public static let epoch = "epoch"
    }

    /// - Parameter statistics: the normalisation to train with; by default computed from the training
    ///   part. Retraining for comparison with an unlearned model passes the original model's, so both
    ///   read inputs the same way.
    public init(model: any Classifier, features: FeatureSet, labels: [Int], configuration: TrainingConfiguration,
                statistics: NormalizationStatistics? = nil, checkpointURL: URL? = nil,
                checkpointMetadata: CheckpointMetadata? = nil, observer: TrainingObserver = .silent) {
        do { try configuration.validate() } catch { fatalError("Trainer: \(error)") }
        checkPrecondition(labels.count == features.count,
                          "Trainer: \(labels.count) labels for \(features.count) examples")
        checkPrecondition(labels.allSatisfy { (0..<model.classCount).contains($0) },
                          "Trainer: labels outside 0..<\(model.classCount): \(Set(labels.filter { !(0..<model.classCount).contains($0) }).sorted())")
        self.model = model
        self.features = features
        self.labels = labels
        self.configuration = configuration
        (trainingIndices, validationIndices) = Self.split(recordingIDs: features.recordingIDs, configuration: configuration)
        checkPrecondition(!trainingIndices.isEmpty, "Trainer: no training examples among \(features.count)")
        if let statistics {
            self.statistics = statistics
        } else {
            var trainingValues = [Float]()
            trainingValues.reserveCapacity(trainingIndices.count * features.featureCount)
            for index in trainingIndices { trainingValues += features.features(at: index) }
            self.statistics = NormalizationStatistics(of: trainingValues)
        }
        self.checkpointURL = checkpointURL
        self.checkpointMetadata = checkpointMetadata
            ?? CheckpointMetadata(architecture: String(describing: type(of: model)),
                                  classNames: (0..<model.classCount).map(String.init))
        self.observer = observer
        optimizer = Adam(learningRate: configuration.learningRate, weightDecay: configuration.weightDecay)
    }

    /// The validation split: `round(fraction · n)` of the `n` examples drawn by a generator seeded from
    /// `seed`; when some recording gave several examples, `round(fraction · r)` of the `r` recordings with
    /// all their examples instead, so no recording is heard on both sides of the model selection.
    static func split(recordingIDs: [String], configuration: TrainingConfiguration) -> (training: [Int], validation: [Int]) {
        let count = recordingIDs.count
        var seen = Set<String>(), recordings: [String] = []
        for id in recordingIDs where seen.insert(id).inserted { recordings.append(id) }
        let units = recordings.count == count ? count : recordings.count
        let validationCount = min(Int((configuration.validationFraction * Double(units)).rounded()), units - 1)
        guard validationCount > 0 else { return (Array(0..<count), []) }
        var order = Array(0..<units)
        var generator = SplitMix64(seed: configuration.seed ^ 0x5EED_5EED_5EED_5EED)
        generator.shuffleReproducibly(&order)
        guard units != count else { return (order[validationCount...].sorted(), order[..<validationCount].sorted()) }
        let heldOut = Set(order[..<validationCount].map { recordings[$0] })
        return ((0..<count).filter { !heldOut.contains(recordingIDs[$0]) }, (0..<count).filter { heldOut.contains(recordingIDs[$0]) })
    }

    /// Runs epochs `completedEpochs + 1 … configuration.epochs`, then restores the best parameters.
    ///
    /// Early stopping is checked before each epoch, so a run resumed from the epoch at which it stopped
    /// stops again at once, with the same result.
    ///
    /// - Throws: `TrainingError.nonFiniteFeatures` before the first epoch when a training or validation
    ///   example holds NaN or ±∞; `TrainingError.nonFiniteLoss` when a loss is NaN or infinite (the model
    ///   then holds the parameters from before that step); `CheckpointError` `.writeFailed` naming the
    ///   checkpoint or the training state when either cannot be written.
    @discardableResult
    public func train() throws -> TrainingResult {
        for index in trainingIndices + validationIndices where !features.features(at: index).allSatisfy(\.isFinite) {
            throw TrainingError.nonFiniteFeatures(example: index, recordingID: features.recordingIDs[index])
        }
        var history: [EpochSummary] = []
        var stoppedEarly = false
        var clock = ProgressClock(totalSteps: stepsPerEpoch * (configuration.epochs - completedEpochs))
        while completedEpochs < configuration.epochs {
            if let patience = configuration.earlyStoppingPatience, !validationIndices.isEmpty,
               epochsWithoutImprovement >= patience {
                stoppedEarly = true
                break
            }
            let epoch = completedEpochs + 1
            let summary = try runEpoch(epoch, clock: &clock)
            let accuracy = summary.validationAccuracy
            if best == nil || (accuracy ?? 0) > (best!.accuracy ?? 0) || accuracy == nil {
                best = (epoch, accuracy, model.namedParameters().map(\.parameter.value))
                epochsWithoutImprovement = 0
            } else {
                epochsWithoutImprovement += 1
            }
            completedEpochs = epoch
            history.append(summary)
            if let checkpointURL {
                // The state first: a crash between the two writes leaves a state one epoch ahead of the
                // checkpoint, which resume(from:) detects, never a checkpoint with a stale state.
                try saveTrainingState(to: Self.trainingStateURL(forCheckpoint: checkpointURL), epoch: epoch)
                try saveCheckpoint(to: checkpointURL, epoch: epoch)
            }
            observer.epoch(summary)
        }
        if let best {
            for ((_, parameter), value) in zip(model.namedParameters(), best.values) { parameter.value = value }
        }
        return TrainingResult(history: history, bestEpoch: best?.epoch ?? completedEpochs,
                              bestValidationAccuracy: best?.accuracy, stoppedEarly: stoppedEarly)
    }

    /// Optimizer steps per epoch: `⌈trainingIndices.count / batchSize⌉`.
    public var stepsPerEpoch: Int {
        (trainingIndices.count + configuration.batchSize - 1) / configuration.batchSize
    }

    private func runEpoch(_ epoch: Int, clock: inout ProgressClock) throws -> EpochSummary {
        let start = DispatchTime.now().uptimeNanoseconds
        var order = trainingIndices
        var generator = SplitMix64(seed: configuration.seed &+ UInt64(epoch))
        generator.shuffleReproducibly(&order)
        let schedule = configuration.learningRateSchedule(stepsPerEpoch: stepsPerEpoch)
        let masking = configuration.masking, optimizer = optimizer, seed = configuration.seed
        let bands = features.settings.melBandCount, frames = features.settings.frameCount
        let firstStep = (epoch - 1) * stepsPerEpoch
        var summary = try trainingPass(of: model, on: features, labels: labels, normalizedWith: statistics,
                                       batches: consecutiveBatches(of: order, size: configuration.batchSize),
                                       optimizer: optimizer, epoch: epoch, epochs: configuration.epochs,
                                       clock: &clock, observer: observer, prepare: { step, input in
            optimizer.learningRate = schedule.learningRate(at: firstStep + step)
            guard masking.isActive else { return }
            // Each update's masks from its own seeded generator, so a resumed run draws the same ones.
            var masks = SplitMix64(seed: seed ^ (0x3A5C_0000_0000_0000 &+ UInt64(firstStep + step)))
            var values = input.scalars
            masking.apply(to: &values, bands: bands, frames: frames, using: &masks)
            input = Tensor(shape: input.shape, scalars: values)
        }) { logits, _, batch in
            crossEntropy(logits: logits, labels: batch.map { labels[$0] })
        }
        summary.validationAccuracy = validationIndices.isEmpty ? nil : accuracy(on: validationIndices)
        summary.seconds = ProgressClock.seconds(since: start)
        return summary
    }

    /// Accuracy in percent of the model (in inference mode) on `indices` of `features`, normalised with
    /// the training statistics; 0 for no indices. Where a recording has several of the examples, it is
    /// judged once by their mean logits (utterance level), as model selection on long recordings should.
    public func accuracy(on indices: [Int]) -> Double {
        guard !indices.isEmpty else { return 0 }
        let logits = predictLogits(of: model, on: features, indices: indices, normalizedWith: statistics,
                                   batchSize: configuration.batchSize)
        let classes = model.classCount
        var sums: [String: (logits: [Float], label: Int)] = [:], order: [String] = []
        for (row, index) in indices.enumerated() {
            let id = features.recordingIDs[index]
            if sums[id] == nil { sums[id] = ([Float](repeating: 0, count: classes), labels[index]); order.append(id) }
            for k in 0 ..< classes { sums[id]!.logits[k] += logits[row * classes + k] }
        }
        let correct = order.filter { id in
            let entry = sums[id]!
            return entry.logits.indices.max { entry.logits[$0] < entry.logits[$1] } == entry.label
        }.count
        return 100 * Double(correct) / Double(order.count)
    }

    func saveCheckpoint(to url: URL, epoch: Int) throws {
        var metadata = checkpointMetadata
        metadata.seed = configuration.seed
        metadata.additional[MetadataKey.epoch] = String(epoch)
        metadata.normalization = statistics
        try model.save(to: url, metadata: metadata)
    }
}
