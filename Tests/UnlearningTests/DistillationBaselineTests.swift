import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing
import TestSupport
import Training
@testable import Unlearning

@Suite(.serialized) struct DistillationBaselineTests {
    // MARK: Retrain

    /// Speaker 0's features are NaN, which `Trainer` rejects before its first epoch: retraining succeeds
    /// only because it never reads them. The result equals training the factory's model on the retained
    /// data directly, bit for bit.
    @Test func retrainNeverReadsTheForgetExamplesAndEqualsDirectTraining() throws {
        let speakers = try ToySpeakers()
        let task = try speakers.task(forget: [0], features: speakers.trainingFeatures(poisoning: [0]))
        let run = try Retrain().unlearn(speakers.model, task: task)

        let direct = ToySpeakers.freshModel()
        let retained = speakers.train.labels.indices.filter { speakers.train.labels[$0] != 0 }
        try Trainer(model: direct, features: speakers.train.features.subset(retained),
                    labels: retained.map { speakers.train.labels[$0] }, configuration: ToySpeakers.recipe,
                    statistics: speakers.statistics).train()
        #expect(parameters(of: speakers.model) == parameters(of: direct))
        #expect(run.examplesSeen == 2 * 90)                                  // two epochs of the 90 retained
        #expect(run.steps == 2 * 6)                                           // ⌈90 / 16⌉ steps per epoch
        #expect(run.epochLosses.count == 2)
        #expect(run.phases.map(\.name) == ["fresh model", "train on retained data", "copy weights"])
    }

    @Test func retrainCanOverrideTheRecipesEpochs() throws {
        let speakers = try ToySpeakers()
        let run = try Retrain(configuration: .init(epochs: 1)).unlearn(speakers.model, task: try speakers.task(forget: [0]))
        #expect(run.epochLosses.count == 1)
        #expect(run.settings == ["epochs": "1"])
        #expect(Retrain().settings == ["epochs": "null"])                    // null: the recipe's
    }

    @Test func methodsWithoutTheirFactoryOrRecipeSayWhatIsMissing() throws {
        let speakers = try ToySpeakers()
        let before = parameters(of: speakers.model)
        let noFactory = try speakers.task(forget: [0], factory: false)
        #expect(throws: UnlearningError.missingModelFactory(method: "Retrain")) {
            try Retrain().unlearn(speakers.model, task: noFactory)
        }
        #expect(throws: UnlearningError.missingRecipe(method: "Retrain")) {
            try Retrain().unlearn(speakers.model, task: try speakers.task(forget: [0], recipe: false))
        }
        #expect(throws: UnlearningError.missingModelFactory(method: "SCRUB")) {
            try SCRUB().unlearn(speakers.model, task: noFactory)
        }
        #expect(throws: UnlearningError.missingModelFactory(method: "Bad Teacher")) {
            try BadTeacher().unlearn(speakers.model, task: noFactory)
        }
        #expect(parameters(of: speakers.model) == before)
        #expect(UnlearningError.missingModelFactory(method: "SCRUB").description.contains("makeModel:"))
        #expect(UnlearningError.missingRecipe(method: "Retrain").description.contains("recipe:"))
    }

    // MARK: SCRUB

    /// Stated floor: retained speakers stay at ≥ 90% test accuracy on this toy.
    @Test func scrubDivergesFromItsFrozenTeacherOnTheForgetSpeakerOnly() throws {
        let speakers = try ToySpeakers()
        let original = parameters(of: speakers.model)
        var configuration = SCRUB.Configuration()
        configuration.learningRate = 0.01             // the defaults barely move this toy in 3 epochs
        configuration.forgetBatchSize = 32
        configuration.retainBatchSize = 32
        let run = try SCRUB(configuration: configuration).unlearn(speakers.model, task: try speakers.task(forget: [0]))
        let teacher = try #require(speakers.log.models.first)
        #expect(parameters(of: teacher) == original)                          // the teacher never moved
        #expect(!teacher.isTraining)
        #expect(parameters(of: speakers.model) != original)

        let forgetDivergence = speakers.divergence(of: speakers.model, from: teacher, on: [0])
        let retainDivergence = speakers.divergence(of: speakers.model, from: teacher, on: [1, 2, 3])
        #expect(forgetDivergence > 1)                                         // from 0 before unlearning
        #expect(forgetDivergence > 10 * retainDivergence)
        #expect(speakers.accuracy(of: [1, 2, 3]) >= 90)

        #expect(run.phases.map(\.name) == ["frozen teacher", "max-steps", "min-steps"])
        #expect(run.epochLosses.count == 3)
        #expect(run.steps == 2 * 1 + 3 * 3)                                   // ⌈30/32⌉ max, ⌈90/32⌉ min steps
        #expect(run.examplesSeen == 2 * 30 + 3 * 90)
        #expect(run.trainingRate == nil)                                     // its steps also run the teacher
    }

    @Test func scrubDecaysItsLearningRateAfterTheListedEpochs() {
        var configuration = SCRUB.Configuration()                             // decay after epochs 3, 5, 9
        configuration.learningRate = 1
        let rates = (1 ... 10).map { SCRUB(configuration: configuration).learningRate(atEpoch: $0) }
        let expected: [Float] = [1, 1, 1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.001]
        #expect(rates.count == expected.count && zip(rates, expected).allSatisfy { abs($0 - $1) <= 1e-6 * $1 })
    }

    // MARK: Bad Teacher

    /// Stated floor: retained speakers stay at ≥ 90% test accuracy on this toy.
    @Test func badTeacherMovesTheForgetSpeakerTowardsTheIncompetentTeacher() throws {
        let speakers = try ToySpeakers()
        let original = parameters(of: speakers.model)
        let task = try speakers.task(forget: [0])
        let incompetent = ToySpeakers.freshModel()                               // what the factory will make
        let before = speakers.divergence(of: speakers.model, from: incompetent, on: [0])
        var configuration = BadTeacher.Configuration()
        configuration.epochs = 5                      // the defaults' one step at 1e-4 barely moves this toy
        configuration.learningRate = 3e-4
        let run = try BadTeacher(configuration: configuration).unlearn(speakers.model, task: task)

        #expect(speakers.log.models.count == 2)
        #expect(parameters(of: speakers.log.models[0]) == original)          // competent teacher: the original
        #expect(parameters(of: speakers.log.models[1]) == parameters(of: incompetent))
        #expect(speakers.log.models.allSatisfy { !$0.isTraining })
        let after = speakers.divergence(of: speakers.model, from: incompetent, on: [0])
        #expect(after < before / 2)
        #expect(speakers.accuracy(of: [1, 2, 3]) >= 90)

        #expect(run.phases.map(\.name) == ["teachers", "distillation"])
        #expect(run.examplesSeen == 5 * (30 + 27))                           // all forget + 30% of 90 retained
        #expect(run.steps == 5)                                               // one batch of 57 per epoch
        #expect(run.epochLosses.count == 5)
    }

    /// Their `UnlearnerLoss` is `Σ KL / (N·K)` with no `T²`: two hand-worked rows, one forgotten.
    @Test(arguments: [Float(1), 2]) func badTeacherLossAveragesOverExamplesAndClasses(temperature: Float) {
        let competent = Tensor(shape: [2, 2], scalars: [0, 0, 5, 5])          // uniform rows: (½, ½)
        let incompetent = Tensor(shape: [2, 2], scalars: [9, 9, 0, 0])
        let student = Tensor(shape: [2, 2], scalars: [0, temperature * Float(log(3.0)),
                                                      0, temperature * Float(log(3.0))])   // (¼, ¾) at T
        let loss = BadTeacher.unlearnerLoss(logits: student, competentLogits: competent, incompetentLogits: incompetent,
                                            isForgotten: [false, true], temperature: temperature)
        let expected = 2 * (0.5 * log(0.5 / 0.25) + 0.5 * log(0.5 / 0.75)) / (2 * 2)
        #expect(abs(Double(loss.item) - expected) < 1e-6)
        #expect(Distillation.rows(of: competent, or: incompetent, takingSecondWhere: [true, false]).scalars
                == [9, 9, 5, 5])
    }

    // MARK: Defaults

    @Test func defaultsAreThePublishedValues() {
        let scrub = SCRUB.Configuration()                                     // large_scale_unlearning.ipynb
        #expect(scrub.epochs == 3 && scrub.maxStepEpochs == 2)
        #expect(scrub.gamma == 0.99 && scrub.alpha == 0.001 && scrub.temperature == 4)
        #expect(scrub.learningRate == 5e-4 && scrub.momentum == 0.9 && scrub.weightDecay == 5e-4)
        #expect(scrub.learningRateDecayEpochs == [3, 5, 9] && scrub.learningRateDecayRate == 0.1)
        #expect(scrub.forgetBatchSize == 512 && scrub.retainBatchSize == 256)

        let bad = BadTeacher.Configuration()                                  // CIFARSuper20_Rocket_Unlearn.ipynb
        #expect(bad.temperature == 1 && bad.epochs == 1 && bad.learningRate == 1e-4 && bad.batchSize == 256)
        #expect(bad.batchPlan == BatchPlan(retainFraction: 0.3))

        #expect(Retrain.Configuration().epochs == nil)                        // the original recipe's
    }
}
