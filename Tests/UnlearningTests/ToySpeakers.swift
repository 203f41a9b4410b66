import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import TestSupport
import Training
@testable import Unlearning

/// Every model a task's factory made, in order, so a test can inspect a method's teachers.
final class FactoryLog: @unchecked Sendable {
    var models: [any Classifier] = []
}

/// Four separable speakers and the paper's small CNN trained on them: the toy every unlearning test
/// runs on.
///
/// `examplesPerClass` training and 10 test examples per speaker (features 1×64×20 from
/// `separableFeatures`), three epochs of Adam, so the model starts near 100% accuracy. Tasks carry a
/// seeded model factory (whose models ``log`` records) and a two-epoch ``recipe``, for the methods
/// that need a second network or retrain.
struct ToySpeakers {
    static let classCount = 4
    static let classNames = ["a", "b", "c", "d"]
    /// The recipe tasks carry, for retraining.
    static let recipe = TrainingConfiguration(epochs: 2, batchSize: 16, seed: 1)
    let train: (features: FeatureSet, labels: [Int])
    let test: (features: FeatureSet, labels: [Int])
    let model: any Classifier
    let statistics: NormalizationStatistics
    let log = FactoryLog()

    init(examplesPerClass: Int = 30) throws {
        train = separableFeatures(classCount: Self.classCount, examplesPerClass: examplesPerClass, seed: 21)
        test = separableFeatures(classCount: Self.classCount, examplesPerClass: 10, seed: 22)
        var generator = SplitMix64(seed: 5)
        model = Architecture.cnn.makeModel(classCount: Self.classCount, inputSize: (64, 20), using: &generator)
        let trainer = Trainer(model: model, features: train.features, labels: train.labels,
                              configuration: .init(epochs: 3, batchSize: 16, learningRate: 3e-3, seed: 1))
        try trainer.train()
        statistics = trainer.statistics
    }

    /// What the tasks' factory makes: a fresh CNN, always from the same seed.
    static func freshModel() -> any Classifier {
        var generator = SplitMix64(seed: 9)
        return Architecture.cnn.makeModel(classCount: classCount, inputSize: (64, 20), using: &generator)
    }

    /// The task of forgetting `forget` from the training examples (or from `features`), with the
    /// examples of `earlier` deleted; with or without the factory and the recipe.
    func task(forget: [Int], earlier: [Int] = [], features: FeatureSet? = nil, seed: UInt64 = 3,
              factory: Bool = true, recipe: Bool = true) throws -> UnlearningTask {
        let log = self.log
        let makeModel: @Sendable () -> any Classifier = {
            let model = ToySpeakers.freshModel()
            log.models.append(model)
            return model
        }
        let kept = train.labels.indices.filter { !earlier.contains(train.labels[$0]) }
        return try UnlearningTask(classNames: Self.classNames, forgetClasses: forget, previouslyForgottenClasses: earlier,
                                  features: (features ?? train.features).subset(kept), labels: kept.map { train.labels[$0] },
                                  statistics: statistics, seed: seed, makeModel: factory ? makeModel : nil,
                                  recipe: recipe ? Self.recipe : nil)
    }

    /// The training features with every value of the examples of `classes` set to NaN: a method that
    /// reads one of them ends in a NaN loss or NaN weights.
    func trainingFeatures(poisoning classes: Set<Int>) -> FeatureSet {
        let set = train.features
        var values = set.values
        for index in train.labels.indices where classes.contains(train.labels[index]) {
            for position in set.valueRange(of: index) { values[position] = .nan }
        }
        return FeatureSet(settings: set.settings, values: values, recordingIDs: set.recordingIDs,
                          exampleIndices: set.exampleIndices)
    }

    /// Test accuracy in percent on the examples of `classes`, of `model` (the toy's own by default).
    func accuracy(of classes: Set<Int>, for model: (any Classifier)? = nil) -> Double {
        let indices = test.labels.indices.filter { classes.contains(test.labels[$0]) }
        let logits = predictLogits(of: model ?? self.model, on: test.features, indices: indices, normalizedWith: statistics)
        let predicted = Tensor(shape: [indices.count, Self.classCount], scalars: logits).argmax(alongAxis: 1)
        return 100 * Double(zip(predicted, indices).filter { $0 == test.labels[$1] }.count) / Double(indices.count)
    }

    /// Mean cross-entropy of the model on the training examples of `classes`, in evaluation mode.
    func trainingLoss(of classes: Set<Int>) -> Float {
        let indices = train.labels.indices.filter { classes.contains(train.labels[$0]) }
        let logits = predictLogits(of: model, on: train.features, indices: indices, normalizedWith: statistics)
        return crossEntropy(logits: Tensor(shape: [indices.count, Self.classCount], scalars: logits),
                            labels: indices.map { train.labels[$0] }).item
    }

    /// Mean `KL(softmax(teacher) ‖ softmax(student))` over the training examples of `classes` (T = 1).
    func divergence(of student: any Classifier, from teacher: any Classifier, on classes: Set<Int>) -> Double {
        let indices = train.labels.indices.filter { classes.contains(train.labels[$0]) }
        func logits(_ model: any Classifier) -> Tensor {
            Tensor(shape: [indices.count, Self.classCount],
                   scalars: predictLogits(of: model, on: train.features, indices: indices, normalizedWith: statistics))
        }
        return Double(klDivergence(logits: logits(student), teacherLogits: logits(teacher)).item)
    }

    /// Every parameter and buffer of the model, by name.
    func snapshot() -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.parameter.value.scalars) })
    }

    /// Puts back the values of a ``snapshot()``.
    func restore(_ values: [String: [Float]]) {
        for (name, parameter) in model.namedParameters() {
            parameter.value = Tensor(shape: parameter.shape, scalars: values[name]!)
        }
    }
}

/// Every parameter and buffer of `model`, in order.
func parameters(of model: any Classifier) -> [[Float]] {
    model.namedParameters().map(\.parameter.value.scalars)
}
