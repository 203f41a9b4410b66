import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing
import TestSupport
import Training
@testable import Unlearning

/// Every model the task's factory made, in order, so a test can inspect a method's teachers.
private final class FactoryLog: @unchecked Sendable {
    var models: [any Classifier] = []
}

/// Four separable speakers (30 training, 10 test examples each), a CNN trained on them, and tasks that
/// forget speaker 0 with a seeded model factory and a two-epoch recipe.
private struct Speakers {
    let train = separableFeatures(classCount: 4, examplesPerClass: 30, seed: 21)
    let test = separableFeatures(classCount: 4, examplesPerClass: 10, seed: 22)
    let model: any Classifier
    let statistics: NormalizationStatistics
    let log = FactoryLog()
    static let recipe = TrainingConfiguration(epochs: 2, batchSize: 16, seed: 1)

    init() throws {
        var generator = SplitMix64(seed: 5)
        model = Architecture.cnn.makeModel(classCount: 4, inputSize: (64, 20), using: &generator)
        let trainer = Trainer(model: model, features: train.features, labels: train.labels,
                              configuration: .init(epochs: 3, batchSize: 16, learningRate: 3e-3, seed: 1))
        try trainer.train()
        statistics = trainer.statistics
    }

    static func freshModel() -> any Classifier {
        var generator = SplitMix64(seed: 9)
        return Architecture.cnn.makeModel(classCount: 4, inputSize: (64, 20), using: &generator)
    }

    /// Forgetting speaker 0 from `features` (the training features unless given), with or without the
    /// factory and the recipe.
    func task(features: FeatureSet? = nil, factory: Bool = true, recipe: Bool = true) throws -> UnlearningTask {
        let log = self.log
        let makeModel: @Sendable () -> any Classifier = {
            let model = Speakers.freshModel()
            log.models.append(model)
            return model
        }
        return try UnlearningTask(classNames: ["a", "b", "c", "d"], forgetClasses: [0],
                                  features: features ?? train.features, labels: train.labels,
                                  statistics: statistics, seed: 3, makeModel: factory ? makeModel : nil,
                                  recipe: recipe ? Self.recipe : nil)
    }

    /// The training features with every value of speaker 0's examples set to NaN.
    func trainingFeaturesPoisoningSpeakerZero() -> FeatureSet {
        let set = train.features
        var values = set.values
        for index in train.labels.indices where train.labels[index] == 0 {
            for position in set.valueRange(of: index) { values[position] = .nan }
        }
        return FeatureSet(settings: set.settings, values: values, recordingIDs: set.recordingIDs,
                          exampleIndices: set.exampleIndices)
    }

    /// Test accuracy in percent of `model` on the classes `classes`.
    func accuracy(of model: any Classifier, on classes: Set<Int>) -> Double {
        let indices = test.labels.indices.filter { classes.contains(test.labels[$0]) }
        let logits = predictLogits(of: model, on: test.features, indices: indices, normalizedWith: statistics)
        let predicted = Tensor(shape: [indices.count, 4], scalars: logits).argmax(alongAxis: 1)
        return 100 * Double(zip(predicted, indices).filter { $0 == test.labels[$1] }.count) / Double(indices.count)
    }

    /// Mean `KL(softmax(teacher) ‖ softmax(student))` over the training examples of `classes` (T = 1).
    func divergence(of student: any Classifier, from teacher: any Classifier, on classes: Set<Int>) -> Double {
        let indices = train.labels.indices.filter { classes.contains(train.labels[$0]) }
        func logits(_ model: any Classifier) -> Tensor {
            Tensor(shape: [indices.count, 4],
                   scalars: predictLogits(of: model, on: train.features, indices: indices, normalizedWith: statistics))
        }
        return Double(klDivergence(logits: logits(student), teacherLogits: logits(teacher)).item)
    }
}

private func parameters(of model: any Classifier) -> [[Float]] {
    model.namedParameters().map(\.parameter.value.scalars)
}

@Suite(.serialized) struct DistillationBaselineTests {
    // MARK: Retrain

    /// Speaker 0's features are NaN, which `Trainer` rejects before its first epoch: retraining succeeds
    /// only because it never reads them. The result equals training the factory's model on the retained
    /// data directly, bit for bit.
    @Test func retrainNeverReadsTheForgetExamplesAndEqualsDirectTraining() throws {
        let speakers = try Speakers()
        let task = try speakers.task(features: speakers.trainingFeaturesPoisoningSpeakerZero())
        let run = try Retrain().unlearn(speakers.model, task: task, progress: nil)

        let direct = Speakers.freshModel()
        let retained = speakers.train.labels.indices.filter { speakers.train.labels[$0] != 0 }
        try Trainer(model: direct, features: speakers.train.features.subset(retained),
                    labels: retained.map { speakers.train.labels[$0] }, configuration: Speakers.recipe,
                    statistics: speakers.statistics).train()
        #expect(parameters(of: speakers.model) == parameters(of: direct))
        #expect(run.examplesSeen == 2 * 90)                                  // two epochs of the 90 retained
        #expect(run.steps == 2 * 6)                                           // ⌈90 / 16⌉ steps per epoch
        #expect(run.epochLosses.count == 2)
        #expect(run.phases.map(\.name) == ["fresh model", "train on retained data", "copy weights"])
    }

    @Test func retrainCanOverrideTheRecipesEpochs() throws {
        let speakers = try Speakers()
        let run = try Retrain(configuration: .init(epochs: 1)).unlearn(speakers.model, task: try speakers.task(),
                                                                     progress: nil)
        #expect(run.epochLosses.count == 1)
        #expect(run.settings == ["epochs": "1"])
        #expect(Retrain().settings == ["epochs": "recipe"])
    }

    @Test func methodsWithoutTheirFactoryOrRecipeSayWhatIsMissing() throws {
        let speakers = try Speakers()
        let before = parameters(of: speakers.model)
        let noFactory = try speakers.task(factory: false)
        #expect(throws: UnlearningError.missingModelFactory(method: "Retrain")) {
            try Retrain().unlearn(speakers.model, task: noFactory, progress: nil)
        }
        #expect(throws: UnlearningError.missingRecipe(method: "Retrain")) {
            try Retrain().unlearn(speakers.model, task: try speakers.task(recipe: false), progress: nil)
        }
        #expect(throws: UnlearningError.missingModelFactory(method: "SCRUB")) {
            try SCRUB().unlearn(speakers.model, task: noFactory, progress: nil)
        }
        #expect(throws: UnlearningError.missingModelFactory(method: "Bad Teacher")) {
            try BadTeacher().unlearn(speakers.model, task: noFactory, progress: nil)
        }
        #expect(parameters(of: speakers.model) == before)
        #expect(UnlearningError.missingModelFactory(method: "SCRUB").description.contains("makeModel:"))
        #expect(UnlearningError.missingRecipe(method: "Retrain").description.contains("recipe:"))
    }

    // MARK: SCRUB

    /// Stated floor: retained speakers stay at ≥ 90% test accuracy on this toy.
    @Test func scrubDivergesFromItsFrozenTeacherOnTheForgetSpeakerOnly() throws {
        let speakers = try Speakers()
        let original = parameters(of: speakers.model)
        var configuration = SCRUB.Configuration()
        configuration.learningRate = 0.01             // the defaults barely move this toy in 3 epochs
        configuration.forgetBatchSize = 32
        configuration.retainBatchSize = 32
        let run = try SCRUB(configuration: configuration).unlearn(speakers.model, task: try speakers.task(),
                                                                   progress: nil)
        let teacher = try #require(speakers.log.models.first)
        #expect(parameters(of: teacher) == original)                          // the teacher never moved
        #expect(!teacher.isTraining)
        #expect(parameters(of: speakers.model) != original)

        let forgetDivergence = speakers.divergence(of: speakers.model, from: teacher, on: [0])
        let retainDivergence = speakers.divergence(of: speakers.model, from: teacher, on: [1, 2, 3])
        #expect(forgetDivergence > 1)                                         // from 0 before unlearning
        #expect(forgetDivergence > 10 * retainDivergence)
        #expect(speakers.accuracy(of: speakers.model, on: [1, 2, 3]) >= 90)

        #expect(run.phases.map(\.name) == ["frozen teacher", "max-steps", "min-steps"])
        #expect(run.epochLosses.count == 3)
        #expect(run.steps == 2 * 1 + 3 * 3)                                   // ⌈30/32⌉ max, ⌈90/32⌉ min steps
        #expect(run.examplesSeen == 2 * 30 + 3 * 90)
    }

    @Test func scrubDecaysItsLearningRateAfterTheListedEpochs() {
        var configuration = SCRUB.Configuration()                             // decay after epochs 3, 5, 9
        configuration.learningRate = 1
        let rates = (1 ... 10).map { SCRUB(configuration: configuration).learningRate(atEpoch: $0) }
        let expected: [Float] = [1, 1, 1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.001]
        #expect(zip(rates, expected).allSatisfy { abs($0 - $1) <= 1e-6 * $1 })
    }

    // MARK: Bad Teacher

    /// Stated floor: retained speakers stay at ≥ 90% test accuracy on this toy.
    @Test func badTeacherMovesTheForgetSpeakerTowardsTheIncompetentTeacher() throws {
        let speakers = try Speakers()
        let original = parameters(of: speakers.model)
        let task = try speakers.task()
        let incompetent = Speakers.freshModel()                               // what the factory will make
        let before = speakers.divergence(of: speakers.model, from: incompetent, on: [0])
        var configuration = BadTeacher.Configuration()
        configuration.epochs = 5                      // the defaults' one step at 1e-4 barely moves this toy
        configuration.learningRate = 3e-4
        let run = try BadTeacher(configuration: configuration).unlearn(speakers.model, task: task, progress: nil)

        #expect(speakers.log.models.count == 2)
        #expect(parameters(of: speakers.log.models[0]) == original)          // competent teacher: the original
        #expect(parameters(of: speakers.log.models[1]) == parameters(of: incompetent))
        #expect(speakers.log.models.allSatisfy { !$0.isTraining })
        let after = speakers.divergence(of: speakers.model, from: incompetent, on: [0])
        #expect(after < before / 2)
        #expect(speakers.accuracy(of: speakers.model, on: [1, 2, 3]) >= 90)

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

    /// Reports list every configuration field by name (the batch plan by its two fields).
    @Test func settingsNameEveryField() {
        func fields(_ value: Any) -> Set<String> {
            Set(Mirror(reflecting: value).children.compactMap(\.label))
        }
        #expect(Set(SCRUB().settings.keys) == fields(SCRUB.Configuration()))
        #expect(Set(BadTeacher().settings.keys)
                == fields(BadTeacher.Configuration()).subtracting(["batchPlan"]).union(fields(BatchPlan())))
        #expect(Set(Retrain().settings.keys) == fields(Retrain.Configuration()))
    }
}
