import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing
import TestSupport
import Training
@testable import Unlearning

@Suite(.serialized) struct UnlearningBehaviourTests {
    /// Stated margin: retain accuracy may drop at most 5 points on this tiny set.
    @Test func forgetsOneSpeakerAndKeepsTheOthers() throws {
        let speakers = try ToySpeakers()
        let retainBefore = speakers.accuracy(of: [1, 2, 3])
        #expect(speakers.accuracy(of: [0]) == 100)
        let run = try QPAudioEraser().unlearn(speakers.model, task: try speakers.task(forget: [0]))
        #expect(speakers.accuracy(of: [0]) == 0)
        #expect(speakers.accuracy(of: [1, 2, 3]) >= retainBefore - 5)
        let names = ["destructive interference", "superposition labels", "uncertainty fine-tune", "entanglement mixing"]
        #expect(run.phases.map(\.name) == names)
        #expect(names == [.interference, .superposition, .fineTune, .mixing].map { (part: QPAudioEraser.Phase) in part.title })
        #expect(run.phases.allSatisfy { $0.ran })
        #expect(run.epochLosses.count == 5)
        #expect(run.examplesSeen == 5 * 120)
    }

    @Test func aSecondRequestKeepsTheFirstSpeakerForgotten() throws {
        let speakers = try ToySpeakers()
        let retainBefore = speakers.accuracy(of: [2, 3])
        _ = try QPAudioEraser().unlearn(speakers.model, task: try speakers.task(forget: [0]))
        _ = try QPAudioEraser().unlearn(speakers.model, task: try speakers.task(forget: [1], earlier: [0]))
        #expect(speakers.accuracy(of: [0]) == 0)
        #expect(speakers.accuracy(of: [1]) == 0)
        #expect(speakers.accuracy(of: [2, 3]) >= retainBefore - 5)
    }

    @Test func everyPhaseOffLeavesTheModelAsItWas() throws {
        let speakers = try ToySpeakers()
        let before = speakers.model.namedParameters().map(\.parameter.value.scalars)
        var configuration = QPAudioEraser.Configuration()
        configuration.without = QPAudioEraser.Phase.allCases
        let task = try speakers.task(forget: [2])
        let run = try QPAudioEraser(configuration: configuration).unlearn(speakers.model, task: task)
        #expect(speakers.model.namedParameters().map(\.parameter.value.scalars) == before)
        #expect(run.phases.allSatisfy { !$0.ran && $0.seconds == 0 })
    }

    @Test func badRequestsAreRejected() throws {
        let speakers = try ToySpeakers()
        #expect(throws: UnlearningError.noForgetClass) { try speakers.task(forget: []) }
        #expect(throws: UnlearningError.forgetsEveryClass(classCount: 4)) { try speakers.task(forget: [0, 1, 2, 3]) }
        #expect(throws: UnlearningError.forgetsEveryClass(classCount: 4)) { try speakers.task(forget: [1, 2, 3], earlier: [0]) }
        #expect(throws: UnlearningError.alreadyForgotten("a")) { try speakers.task(forget: [0], earlier: [0]) }
        #expect(throws: UnlearningError.classOutOfRange(7, classCount: 4)) { try speakers.task(forget: [7]) }
        let full = try speakers.task(forget: [1])
        #expect(throws: UnlearningError.deletedDataPresent(className: "a")) {
            try UnlearningTask(classNames: full.classNames, forgetClasses: [1], previouslyForgottenClasses: [0],
                               features: full.features, labels: full.labels, statistics: full.statistics, seed: 1)
        }
        let withoutA = try speakers.task(forget: [1], earlier: [0])          // no example of class 0 left
        #expect(throws: UnlearningError.noTrainingExamples(className: "a")) {
            try UnlearningTask(classNames: full.classNames, forgetClasses: [0], features: withoutA.features,
                               labels: withoutA.labels, statistics: full.statistics, seed: 1)
        }
    }

    @Test func batchPlansCoverTheTaskAsConfigured() throws {
        let task = try ToySpeakers().task(forget: [0])
        let all = BatchPlan().batches(for: task, epoch: 1, batchSize: 32)
        #expect(all.flatMap { $0 }.sorted() == Array(0 ..< 120))
        #expect(all == BatchPlan().batches(for: task, epoch: 1, batchSize: 32))
        #expect(all != BatchPlan().batches(for: task, epoch: 2, batchSize: 32))

        let budget = BatchPlan(retainFraction: 0.2).batches(for: task, epoch: 1, batchSize: 32).flatMap { $0 }
        #expect(budget.count == 30 + 18)                                   // all 30 forget + 20% of 90 retain
        #expect(Set(task.forgetIndices).isSubset(of: budget))

        let balanced = BatchPlan(balancesForgetExamples: true).batches(for: task, epoch: 1, batchSize: 32)
        #expect(balanced.flatMap { $0 }.sorted() == Array(0 ..< 120))
        let forgetPerBatch = balanced.map { $0.filter { task.labels[$0] == 0 }.count }
        #expect(forgetPerBatch.max()! - forgetPerBatch.min()! <= 1)
    }
}
