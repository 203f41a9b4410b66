import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing
import TestSupport
import Training
@testable import Unlearning

/// Training and every unlearning method that trains go through one epoch loop, `trainingPass`: run by
/// hand with the same batches, it gives the trainer's and the fine-tune's losses and weights to the
/// last bit.
@Suite(.serialized) struct SharedLoopTests {
    @Test func theTrainerRunsTheSharedPass() throws {
        let (features, labels) = separableFeatures(classCount: 4, examplesPerClass: 12, seed: 21)
        let configuration = TrainingConfiguration(epochs: 2, batchSize: 8, seed: 4)
        let trainer = Trainer(model: ToySpeakers.freshModel(), features: features, labels: labels,
                              configuration: configuration)
        let result = try trainer.train()

        let model = ToySpeakers.freshModel(), optimizer = Adam(learningRate: configuration.learningRate)
        var clock = ProgressClock(totalSteps: 12)
        var losses: [Double] = []
        for epoch in 1 ... 2 {
            var order = Array(0 ..< 48)
            var generator = SplitMix64(seed: configuration.seed &+ UInt64(epoch))
            generator.shuffleReproducibly(&order)
            let summary = try trainingPass(of: model, on: features, labels: labels, normalizedWith: trainer.statistics,
                                           batches: consecutiveBatches(of: order, size: 8), optimizer: optimizer,
                                           epoch: epoch, epochs: 2, clock: &clock, observer: .silent) { logits, _, batch in
                crossEntropy(logits: logits, labels: batch.map { labels[$0] })
            }
            losses.append(summary.loss)
        }
        #expect(result.history.map(\.loss) == losses)
        #expect(parameters(of: trainer.model) == parameters(of: model))
    }

    @Test func fineTuneRunsTheSharedPass() throws {
        let speakers = try ToySpeakers(examplesPerClass: 12)
        let task = try speakers.task(forget: [1])
        let copy = ToySpeakers.freshModel()
        try copy.loadState(from: speakers.model.state())
        var configuration = FineTune.Configuration()
        configuration.epochs = 2
        let run = try FineTune(configuration: configuration).unlearn(speakers.model, task: task)

        let optimizer = Adam(learningRate: configuration.learningRate)
        var clock = ProgressClock(totalSteps: 0)
        var losses: [Double] = []
        for epoch in 1 ... 2 {
            let batches = BatchPlan(examples: .retain).batches(for: task, epoch: epoch, batchSize: configuration.batchSize)
            let summary = try trainingPass(of: copy, on: task.features, labels: task.labels, normalizedWith: task.statistics,
                                           batches: batches, optimizer: optimizer, epoch: epoch, epochs: 2,
                                           clock: &clock, observer: .silent) { logits, _, batch in
                crossEntropy(logits: logits, labels: batch.map { task.labels[$0] })
            }
            losses.append(summary.loss)
        }
        #expect(run.epochLosses == losses)
        #expect(parameters(of: speakers.model) == parameters(of: copy))
    }

    @Test func aMethodReportsEveryStepAndEpochToItsObserver() throws {
        let speakers = try ToySpeakers(examplesPerClass: 12)
        var configuration = QPAudioEraser.Configuration()
        configuration.epochs = 2
        var steps: [TrainingProgress] = [], epochs: [EpochSummary] = []
        let run = try QPAudioEraser(configuration: configuration).unlearn(
            speakers.model, task: try speakers.task(forget: [0]),
            observer: TrainingObserver(step: { steps.append($0) }, epoch: { epochs.append($0) }))
        #expect(steps.count == run.steps && run.steps == 2 * 2)              // ⌈48 / 32⌉ steps per epoch
        #expect(steps.allSatisfy { $0.phase == "uncertainty fine-tune" && $0.epochs == 2 })
        #expect(steps.last?.secondsRemaining == 0)
        #expect(epochs.map(\.epoch) == [1, 2] && epochs.map(\.loss) == run.epochLosses)
    }

    @Test func aDivergingLossStopsNamingThePhaseAndTheStep() throws {
        let speakers = try ToySpeakers(examplesPerClass: 12)
        var configuration = GradientAscent.Configuration()
        configuration.learningRate = 1e30                                    // the second step overflows
        let error = #expect(throws: TrainingError.self) {
            try GradientAscent(configuration: configuration).unlearn(speakers.model, task: try speakers.task(forget: [0]))
        }
        guard case let .nonFiniteLoss(phase, epoch, step)? = error else { return }
        #expect(phase == "gradient ascent" && epoch == 1 && step > 1)
        #expect(error?.description.contains("the gradient ascent loss became NaN or infinite at epoch 1") == true)
    }
}
