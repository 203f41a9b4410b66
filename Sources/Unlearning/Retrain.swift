import Datasets
import Foundation
import NeuralNetworks
import Training

/// Retraining from scratch on the retained data with the original recipe (SPEC §3): the gold standard
/// every other method is measured against, and the most expensive.
///
/// A fresh model from ``UnlearningTask/makeModel`` (seeded by whoever built the task) is trained by
/// ``Trainer`` on the examples of ``UnlearningTask/retainIndices`` only, with the original
/// ``UnlearningTask/recipe`` (epochs, batch size, Adam's learning rate and weight decay, seed, validation
/// split, early stopping) and the original normalisation ``UnlearningTask/statistics``, so both models
/// read inputs the same way. Its parameters and buffers then replace `model`'s.
///
/// The forget examples are never read: the trainer gets a ``FeatureSet`` holding the retained examples
/// alone. Given the same factory seed and recipe, the result is bit-identical to training that model
/// directly with ``Trainer`` on the retained data.
///
/// ```swift
/// let task = try UnlearningTask(…, makeModel: { var g = SplitMix64(seed: 9); return Architecture.cnn.makeModel(
///                                   classCount: 4, inputSize: (64, 20), using: &g) },
///                               recipe: TrainingConfiguration(epochs: 30, seed: 1))
/// let run = try Retrain().unlearn(model, task: task)   // model now holds the retrained weights
/// ```
public struct Retrain: UnlearningMethod {
    public struct Configuration: MethodConfiguration {
        /// Training epochs; `nil` (the default, `null` in JSON) uses the recipe's, as retraining "with the
        /// original recipe" means. Set it only to cut the cost of a comparison run.
        public var epochs: Int?

        public init() {}

        public init(epochs: Int?) {
            self.epochs = epochs
        }

        public func validate() throws {
            if let epochs { try Check.count("epochs", epochs, atLeast: 1) }
        }

        /// Writes `epochs` as `null` when unset, so that it is listed among the settings.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(epochs, forKey: .epochs)
        }
    }

    public var configuration = Configuration()

    public init() {}

    /// - Throws: ``UnlearningError/missingModelFactory(method:)`` or ``UnlearningError/missingRecipe(method:)``
    ///   when the task lacks either; `TrainingError` when training fails (a non-finite retained example
    ///   or loss); `CheckpointError` when the factory's model does not match `model`'s architecture.
    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        guard let makeModel = task.makeModel else { throw UnlearningError.missingModelFactory(method: name) }
        guard var recipe = task.recipe else { throw UnlearningError.missingRecipe(method: name) }
        if let epochs = configuration.epochs { recipe.epochs = epochs }
        let fresh = run.phase("fresh model") { _ in makeModel() }!
        try run.phase("train on retained data") { run in
            let trainer = Trainer(model: fresh, features: task.features.subset(task.retainIndices),
                                  labels: task.retainIndices.map { task.labels[$0] }, configuration: recipe,
                                  statistics: task.statistics, observer: observer)
            let result = try trainer.train()
            run.epochLosses = result.history.map(\.loss)
            run.steps = trainer.stepsPerEpoch * result.history.count
            run.examplesSeen = trainer.trainingIndices.count * result.history.count
        }
        try run.phase("copy weights") { _ in try model.loadState(from: fresh.state()) }
    }
}
