import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import TestSupport
import Training
@testable import Unlearning

/// Four separable speakers and the paper's small CNN trained on them: the toy the baselines' tests run on.
///
/// `examplesPerClass` training and 10 test examples per speaker (features 1×64×20 from
/// `separableFeatures`), three epochs of Adam, so the model starts near 100% accuracy.
struct ToySpeakers {
    static let classCount = 4
    let train: (features: FeatureSet, labels: [Int])
    let test: (features: FeatureSet, labels: [Int])
    let model: any Classifier
    let statistics: NormalizationStatistics

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

    /// The task of forgetting `forget` from all training examples.
    func task(forget: [Int], seed: UInt64 = 3) throws -> UnlearningTask {
        try UnlearningTask(classNames: ["a", "b", "c", "d"], forgetClasses: forget, features: train.features,
                           labels: train.labels, statistics: statistics, seed: seed)
    }

    /// Accuracy in percent on the test examples of `classes`.
    func accuracy(of classes: Set<Int>) -> Double {
        let indices = test.labels.indices.filter { classes.contains(test.labels[$0]) }
        let logits = predictLogits(of: model, on: test.features, indices: indices, normalizedWith: statistics)
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
