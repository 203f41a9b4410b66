import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing
import TestSupport
@testable import Training

/// Exact resume: a run interrupted after any epoch and resumed from its checkpoint and training state
/// ends bit for bit where the uninterrupted run ends.
@Suite struct TrainerResumeTests {
    /// Four epochs with a validation split and early stopping with patience 1. The validation accuracy
    /// goes 80%, 100%, 93.3%, so the uninterrupted run stops before epoch 4 with epoch 2 as the best:
    /// resuming after epoch 1 must carry a best epoch that is about to be replaced, after epoch 2 one that
    /// is the checkpoint itself, and after epoch 3 one that lies behind it, with an early-stopping counter
    /// that ends the run at once.
    static let configuration = TrainingConfiguration(epochs: 4, batchSize: 8, learningRate: 3e-3, seed: 2,
                                                     validationFraction: 0.25, earlyStoppingPatience: 1)

    /// The uninterrupted run, with copies of its two files as they were after epoch `interruption`.
    private static func referenceRun(_ configuration: TrainingConfiguration = configuration, interruptedAfter interruption: Int,
                                     in folder: URL) throws -> (trainer: Trainer, result: TrainingResult, checkpoint: URL) {
        let (features, labels) = syntheticSet()
        let url = folder.appendingPathComponent("model.safetensors")
        let snapshot = folder.appendingPathComponent("snapshot/model.safetensors")
        try FileManager.default.createDirectory(at: snapshot.deletingLastPathComponent(), withIntermediateDirectories: true)
        let trainer = Trainer(model: makeModel(), features: features, labels: labels, configuration: configuration,
                              checkpointURL: url)
        var copyError: (any Error)?
        trainer.observer.epoch = { summary in
            guard summary.epoch == interruption else { return }
            do {
                try FileManager.default.copyItem(at: url, to: snapshot)
                try FileManager.default.copyItem(at: Trainer.trainingStateURL(forCheckpoint: url),
                                                 to: Trainer.trainingStateURL(forCheckpoint: snapshot))
            } catch {
                copyError = error
            }
        }
        let result = try trainer.train()
        if let copyError { throw copyError }
        return (trainer, result, snapshot)
    }

    @Test(arguments: [1, 2, 3])
    func resumeAfterAnInterruptionIsBitIdentical(interruption: Int) throws {
        let folder = Scratch.folder("trainer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try Self.referenceRun(interruptedAfter: interruption, in: folder)
        #expect(reference.result.history.map(\.epoch) == [1, 2, 3])         // the scenario described above
        #expect(reference.result.bestEpoch == 2 && reference.result.stoppedEarly)

        let (features, labels) = syntheticSet()
        let resumed = Trainer(model: makeModel(seed: 42), features: features, labels: labels,
                              configuration: Self.configuration, checkpointURL: reference.checkpoint)
        try resumed.resume(from: reference.checkpoint)
        #expect(resumed.completedEpochs == interruption)
        let result = try resumed.train()
        #expect(parameterBits(resumed.model) == parameterBits(reference.trainer.model))
        #expect(result.bestEpoch == reference.result.bestEpoch)
        #expect(result.bestValidationAccuracy == reference.result.bestValidationAccuracy)
        #expect(result.stoppedEarly == reference.result.stoppedEarly)
        #expect(withoutTimes(result.history) == withoutTimes(Array(reference.result.history.dropFirst(interruption))))
    }

    /// A cosine schedule and SpectrogramMasking draw nothing that the files do not carry: the rate is a
    /// function of the update's index, the masks come from a generator seeded by it.
    @Test func aCosineScheduleWithMasksResumesBitIdentically() throws {
        let folder = Scratch.folder("trainer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let recipe = TrainingConfiguration(epochs: 3, batchSize: 8, learningRate: 3e-3, seed: 2, schedule: .cosine,
                                           warmupFraction: 0.2, masking: SpectrogramMasking(timeMasks: 2, maximumTimeWidth: 4,
                                                                                            frequencyMasks: 2, maximumFrequencyWidth: 8))
        let reference = try Self.referenceRun(recipe, interruptedAfter: 1, in: folder)
        let (features, labels) = syntheticSet()
        let resumed = Trainer(model: makeModel(seed: 42), features: features, labels: labels, configuration: recipe,
                              checkpointURL: reference.checkpoint)
        try resumed.resume(from: reference.checkpoint)
        try resumed.train()
        #expect(parameterBits(resumed.model) == parameterBits(reference.trainer.model))

        // Both options change the run: without them the same seed ends elsewhere.
        for plain in [TrainingConfiguration(epochs: 3, batchSize: 8, learningRate: 3e-3, seed: 2, schedule: .cosine, warmupFraction: 0.2),
                      TrainingConfiguration(epochs: 3, batchSize: 8, learningRate: 3e-3, seed: 2, masking: recipe.masking)] {
            let other = Trainer(model: makeModel(), features: features, labels: labels, configuration: plain)
            try other.train()
            #expect(parameterBits(other.model) != parameterBits(reference.trainer.model))
        }
    }

    @Test func theCheckpointLoadsAloneAndTheStateLiesBesideIt() throws {
        let folder = Scratch.folder("trainer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try Self.referenceRun(interruptedAfter: 3, in: folder)
        let model = makeModel(seed: 42)
        try model.load(from: reference.checkpoint)          // strict: no training state in the checkpoint
        #expect(try SafeTensors(contentsOf: reference.checkpoint).names == model.namedParameters().map(\.name))

        let state = try SafeTensors(contentsOf: Trainer.trainingStateURL(forCheckpoint: reference.checkpoint))
        #expect(state.metadata[Trainer.TrainingStateKey.epoch] == "3")
        #expect(state.metadata[Trainer.TrainingStateKey.bestEpoch] == "2")
        #expect(state.metadata[Trainer.TrainingStateKey.bestValidationAccuracy] == "100.0")
        #expect(state.metadata[Trainer.TrainingStateKey.epochsWithoutImprovement] == "1")
        #expect(state.metadata["optimizer.fc.weight.step"] == String(3 * reference.trainer.stepsPerEpoch))
        #expect(state["optimizer.fc.weight.exp_avg"]?.shape == model.head.weight.shape)
        #expect(state["best.fc.weight"]?.shape == model.head.weight.shape)
    }

    @Test func trainingStateNameFollowsTheCheckpoint() {
        let folder = URL(fileURLWithPath: "/runs")
        #expect(Trainer.trainingStateURL(forCheckpoint: folder.appendingPathComponent("model.safetensors")).path
                == "/runs/model.training-state.safetensors")
        #expect(Trainer.trainingStateURL(forCheckpoint: folder.appendingPathComponent("model.bin")).path
                == "/runs/model.bin.training-state.safetensors")
        let (features, labels) = syntheticSet()
        let trainer = Trainer(model: makeModel(), features: features, labels: labels, configuration: .init(epochs: 1))
        #expect(trainer.trainingStateURL == nil)
        trainer.checkpointURL = folder.appendingPathComponent("cnn.safetensors")
        #expect(trainer.trainingStateURL?.path == "/runs/cnn.training-state.safetensors")
    }

    @Test func resumeWithoutTrainingStateSaysTheRunCanOnlyRestart() throws {
        let folder = Scratch.folder("trainer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try Self.referenceRun(interruptedAfter: 2, in: folder)
        let stateURL = Trainer.trainingStateURL(forCheckpoint: reference.checkpoint)
        try FileManager.default.removeItem(at: stateURL)

        let (features, labels) = syntheticSet()
        let trainer = Trainer(model: makeModel(seed: 42), features: features, labels: labels,
                              configuration: Self.configuration)
        let before = parameterBits(trainer.model)
        let error = #expect(throws: TrainingError.self) { try trainer.resume(from: reference.checkpoint) }
        #expect(error == .missingTrainingState(checkpoint: reference.checkpoint.path, trainingState: stateURL.path))
        #expect(error?.description.contains(stateURL.path) == true)
        #expect(error?.description.contains("restart it from epoch 1 without --resume") == true)
        #expect(parameterBits(trainer.model) == before && trainer.completedEpochs == 0)
    }

    @Test func resumeWithAStateOfAnotherEpochNamesBothFiles() throws {
        let folder = Scratch.folder("trainer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try Self.referenceRun(interruptedAfter: 2, in: folder)
        // The state of epoch 3 beside the checkpoint of epoch 2: the run stopped between the two writes.
        let stateURL = Trainer.trainingStateURL(forCheckpoint: reference.checkpoint)
        let later = try SafeTensors(contentsOf: stateURL)
        var metadata = later.metadata
        metadata[Trainer.TrainingStateKey.epoch] = "3"
        try SafeTensors(later.tensors, metadata: metadata).write(to: stateURL)

        let (features, labels) = syntheticSet()
        let trainer = Trainer(model: makeModel(seed: 42), features: features, labels: labels,
                              configuration: Self.configuration)
        let before = parameterBits(trainer.model)
        let error = #expect(throws: TrainingError.self) { try trainer.resume(from: reference.checkpoint) }
        #expect(error == .trainingStateEpochMismatch(checkpoint: reference.checkpoint.path, checkpointEpoch: 2,
                                                     trainingState: stateURL.path, trainingStateEpoch: 3))
        let message = error?.description ?? ""
        #expect(message.contains(reference.checkpoint.path) && message.contains(stateURL.path))
        #expect(message.contains("epoch 2") && message.contains("epoch 3"))
        #expect(parameterBits(trainer.model) == before && trainer.completedEpochs == 0)
    }

    @Test func resumeWithAStateOfAnotherModelNamesTheStateFile() throws {
        let folder = Scratch.folder("trainer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try Self.referenceRun(interruptedAfter: 2, in: folder)
        let stateURL = Trainer.trainingStateURL(forCheckpoint: reference.checkpoint)
        let state = try SafeTensors(contentsOf: stateURL)
        try SafeTensors(state.tensors.filter { $0.name != "optimizer.fc.bias.exp_avg_sq" }, metadata: state.metadata)
            .write(to: stateURL)

        let (features, labels) = syntheticSet()
        let trainer = Trainer(model: makeModel(seed: 42), features: features, labels: labels,
                              configuration: Self.configuration)
        let before = parameterBits(trainer.model)
        let error = #expect(throws: CheckpointError.self) { try trainer.resume(from: reference.checkpoint) }
        #expect(error == CheckpointError(file: stateURL.path, problem: .stateMismatch(
            missing: ["optimizer.fc.bias.exp_avg_sq"], unexpected: [], misshaped: [])))
        #expect(parameterBits(trainer.model) == before && trainer.completedEpochs == 0)
    }

    /// The summaries with their wall-clock times zeroed, for comparing two runs.
    private func withoutTimes(_ history: [EpochSummary]) -> [EpochSummary] {
        history.map { summary in
            var summary = summary
            summary.seconds = 0
            return summary
        }
    }
}
