import AudioFeatures
import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing
import TestSupport
@testable import Training

@Suite struct TrainerTests {
    @Test func reachesNinetyPercentTrainingAccuracyWithinFourEpochs() throws {
        let (features, labels) = syntheticSet()
        var summaries: [EpochSummary] = []
        let trainer = Trainer(model: makeModel(), features: features, labels: labels,
                              configuration: .init(epochs: 4, batchSize: 8, learningRate: 3e-3, seed: 1),
                              observer: TrainingObserver(epoch: { summaries.append($0) }))
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
        #expect(error == .nonFiniteLoss(phase: nil, epoch: 1, step: 1))
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
        let url = Scratch.path("trainer", suffix: ".safetensors")
        defer {
            try? FileManager.default.removeItem(at: url)
            try? FileManager.default.removeItem(at: Trainer.trainingStateURL(forCheckpoint: url))
        }
        let first = Trainer(model: makeModel(), features: features, labels: labels,
                            configuration: .init(epochs: 2, batchSize: 8, seed: 9), checkpointURL: url)
        try first.train()
        let saved = try SafeTensors(contentsOf: url).metadata
        #expect(saved[Trainer.MetadataKey.epoch] == "2")
        #expect(saved[CheckpointMetadata.Key.seed] == "9")
        #expect(try CheckpointMetadata(saved).normalization == first.statistics)

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
        let url = Scratch.path("trainer", suffix: ".safetensors")
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

    @Test func recordingsWithSeveralExamplesAreHeldOutWholeAndJudgedByTheirMeanLogits() throws {
        // 60 examples from 20 recordings of three examples each (clip0 holds examples 0, 1, 2, …).
        let (separable, labels) = syntheticSet()
        let ids = (0 ..< 60).map { "clip\($0 / 3)" }
        let features = FeatureSet(settings: separable.settings, values: separable.values, recordingIDs: ids,
                                  exampleIndices: (0 ..< 60).map { $0 % 3 })
        let grouped = (0 ..< 60).map { labels[$0 / 3 * 3] }           // one class per recording
        let trainer = Trainer(model: makeModel(), features: features, labels: grouped,
                              configuration: .init(epochs: 1, batchSize: 8, seed: 2, validationFraction: 0.25))
        let heldOut = Set(trainer.validationIndices.map { ids[$0] })
        #expect(heldOut.count == 5 && trainer.validationIndices.count == 15, "round(0.25 · 20) recordings, all their examples")
        #expect(heldOut.isDisjoint(with: trainer.trainingIndices.map { ids[$0] }))
        // The accuracy counts recordings: 5 recordings give a multiple of 20%.
        let accuracy = trainer.accuracy(on: trainer.validationIndices)
        #expect(accuracy.truncatingRemainder(dividingBy: 20) == 0, "\(accuracy)")
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
