import AudioFeatures
import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing
@testable import Training

/// Three separable classes of 1×64×20 features: class `c` raises mel bands `c·22 ..< c·22 + 22` by 2 on
/// top of unit Gaussian noise, 20 examples per class, interleaved by label.
private func syntheticSet(seed: UInt64 = 11) -> (features: FeatureSet, labels: [Int]) {
    let settings = LogMelSettings(exampleLength: 3_520)          // 20 frames of hop 160 → 64 × 20
    var generator = SplitMix64(seed: seed)
    var values: [Float] = [], labels: [Int] = []
    for example in 0..<60 {
        let label = example % 3
        labels.append(label)
        for band in 0..<settings.melBandCount {
            let raised = band / 22 == label
            for _ in 0..<settings.frameCount {
                values.append(generator.nextStandardNormal() + (raised ? 2 : 0))
            }
        }
    }
    let set = FeatureSet(settings: settings, values: values, recordingIDs: (0..<60).map { "clip\($0)" },
                         exampleIndices: Array(repeating: 0, count: 60))
    return (set, labels)
}

private func makeModel(seed: UInt64 = 3) -> any Classifier {
    var generator = SplitMix64(seed: seed)
    return Architecture.cnn.makeModel(classCount: 3, using: &generator)
}

private func parameterValues(_ model: any Classifier) -> [[Float]] {
    model.namedParameters().map(\.parameter.value.scalars)
}

private func temporaryURL() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID().uuidString).safetensors")
}

@Suite struct TrainerTests {
    @Test func reachesNinetyPercentTrainingAccuracyWithinFourEpochs() throws {
        let (features, labels) = syntheticSet()
        var summaries: [EpochSummary] = []
        let trainer = Trainer(model: makeModel(), features: features, labels: labels,
                              configuration: .init(epochs: 4, batchSize: 8, learningRate: 3e-3, seed: 1),
                              progress: { summaries.append($0) })
        let result = try trainer.train()
        #expect(result.history.map(\.epoch) == [1, 2, 3, 4])
        #expect(summaries == result.history)
        #expect(result.history.last!.trainingAccuracy >= 90)
        #expect(trainer.accuracy(on: trainer.trainingIndices) >= 90)
        #expect(result.history.last!.loss < result.history.first!.loss)
    }

    @Test func sameSeedGivesIdenticalParameters() throws {
        let (features, labels) = syntheticSet()
        let configuration = TrainingConfiguration(epochs: 2, batchSize: 8, seed: 5, validationFraction: 0.2)
        let runs = try (0..<2).map { _ in
            let trainer = Trainer(model: makeModel(), features: features, labels: labels, configuration: configuration)
            try trainer.train()
            return parameterValues(trainer.model)
        }
        #expect(runs[0] == runs[1])
    }

    @Test func nanLossStopsWithTheEpochAndStep() throws {
        let (features, labels) = syntheticSet()
        let model = makeModel()
        model.head.weight.value = Tensor(shape: model.head.weight.shape,
                                         scalars: Array(repeating: .nan, count: model.head.weight.value.count))
        let trainer = Trainer(model: model, features: features, labels: labels,
                              configuration: .init(epochs: 2, batchSize: 8, seed: 1))
        let error = #expect(throws: TrainingError.self) { try trainer.train() }
        #expect(error == .nonFiniteLoss(epoch: 1, step: 1))
        let message = error?.description ?? ""
        #expect(message.contains("epoch 1, step 1"))
        #expect(message.contains("lower learning rate"))
    }

    @Test func nanInFeaturesIsFoundBeforeTrainingAndNamesTheExample() throws {
        let (clean, labels) = syntheticSet()
        var values = clean.values
        values[5 * clean.featureCount + 7] = .nan
        let features = FeatureSet(settings: clean.settings, values: values, recordingIDs: clean.recordingIDs,
                                  exampleIndices: clean.exampleIndices)
        let trainer = Trainer(model: makeModel(), features: features, labels: labels,
                              configuration: .init(epochs: 2, batchSize: 8, seed: 1))
        // ReLU and max pooling drop NaN, so the loss alone would stay finite while nothing is learnt.
        #expect(throws: TrainingError.nonFiniteFeatures(example: 5, recordingID: "clip5")) { try trainer.train() }
        #expect(trainer.completedEpochs == 0)
    }

    @Test func resumeContinuesAfterTheCheckpointedEpoch() throws {
        let (features, labels) = syntheticSet()
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let first = Trainer(model: makeModel(), features: features, labels: labels,
                            configuration: .init(epochs: 2, batchSize: 8, seed: 9), checkpointURL: url)
        try first.train()
        let saved = try SafeTensors(contentsOf: url).metadata
        #expect(saved[Trainer.MetadataKey.epoch] == "2")
        #expect(saved[CheckpointMetadata.Key.seed] == "9")
        #expect(saved[Trainer.MetadataKey.normalizationMean] == String(first.statistics.mean))
        #expect(saved[Trainer.MetadataKey.normalizationStandardDeviation]
                == String(first.statistics.standardDeviation))

        let second = Trainer(model: makeModel(seed: 42), features: features, labels: labels,
                             configuration: .init(epochs: 3, batchSize: 8, seed: 9), checkpointURL: url)
        try second.resume(from: url)
        #expect(second.completedEpochs == 2)
        #expect(parameterValues(second.model) == parameterValues(first.model))
        let result = try second.train()
        #expect(result.history.map(\.epoch) == [3])
        #expect(try SafeTensors(contentsOf: url).metadata[Trainer.MetadataKey.epoch] == "3")
    }

    @Test func resumeFromACheckpointWithoutEpochIsAClearError() throws {
        let (features, labels) = syntheticSet()
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let model = makeModel()
        try model.save(to: url)
        let trainer = Trainer(model: model, features: features, labels: labels, configuration: .init(epochs: 1))
        #expect(throws: TrainingError.checkpointWithoutEpoch(file: url.path)) { try trainer.resume(from: url) }
    }

    @Test func validationSelectionRestoresTheBestEpoch() throws {
        let (features, labels) = syntheticSet()
        let trainer = Trainer(model: makeModel(), features: features, labels: labels,
                              configuration: .init(epochs: 3, batchSize: 8, learningRate: 3e-3, seed: 2,
                                                   validationFraction: 0.25))
        #expect(trainer.validationIndices.count == 15)
        #expect(Set(trainer.validationIndices).isDisjoint(with: trainer.trainingIndices))
        let result = try trainer.train()
        #expect((1...3).contains(result.bestEpoch))
        let best = try #require(result.bestValidationAccuracy)
        #expect(result.history[result.bestEpoch - 1].validationAccuracy == best)
        #expect(result.history.compactMap(\.validationAccuracy).allSatisfy { $0 <= best })
        #expect(trainer.accuracy(on: trainer.validationIndices) == best)
    }

    @Test func earlyStoppingEndsAfterThePatienceRunsOut() throws {
        let (features, labels) = syntheticSet()
        // A learning rate of 0 never improves on epoch 1, so patience 1 stops after epoch 2.
        let trainer = Trainer(model: makeModel(), features: features, labels: labels,
                              configuration: .init(epochs: 5, batchSize: 16, learningRate: 0, seed: 2,
                                                   validationFraction: 0.25, earlyStoppingPatience: 1))
        let result = try trainer.train()
        #expect(result.stoppedEarly)
        #expect(result.history.map(\.epoch) == [1, 2])
        #expect(result.bestEpoch == 1)
    }
}
