import Datasets
import Foundation
import NeuralNetworks
import Tensors
import Testing
import Training
@testable import Unlearning

/// One behaviour per baseline on the toy speakers, each against something computed independently here.
@Suite(.serialized) struct BaselineTests {
    // MARK: Configurations

    @Test func defaultsAreThePublishedValues() {
        #expect((FineTune().configuration.epochs, FineTune().configuration.learningRate, FineTune().configuration.batchSize) == (5, 1e-3, 32))
        let ga = GradientAscent().configuration
        #expect((ga.lambda, ga.epochs, ga.learningRate, ga.batchSize) == (1, 5, 1e-3, 32))
        let ng = NegativeGradient().configuration
        #expect((ng.epochs, ng.learningRate, ng.batchSize) == (5, 1e-3, 32))
        let ssd = SelectiveSynapticDampening().configuration
        #expect((ssd.alpha, ssd.lambda, ssd.batchSize) == (10, 1, 64))
        let ff = FisherForgetting().configuration
        #expect((ff.alpha, ff.fisherEpsilon, ff.maximumInverseFisher, ff.maximumHeadInverseFisher) == (1e-6, 1e-8, 1e3, 1e2))
        #expect((ff.forgetRowVariance, ff.headAndVectorVarianceScale) == (1e-4, 10))
        #expect(PaperStandInSD().configuration.stepSize == 0.1 && PaperStandInFF().configuration.stepSize == 0.1)
        #expect(PaperStandInSD().name == "SD (paper code)" && PaperStandInFF().name == "FF (paper code)")
    }

    // MARK: Training baselines

    /// Fine-tuning on a task whose forget examples are NaN: touching any of them would make the loss NaN
    /// and stop the run, so finishing with finite weights shows they were never read.
    @Test func fineTuneNeverReadsAForgetExample() throws {
        let speakers = try ToySpeakers(examplesPerClass: 12)
        let task = try speakers.task(forget: [1], features: speakers.trainingFeatures(poisoning: [1]))

        let run = try FineTune().unlearn(speakers.model, task: task)
        #expect(run.examplesSeen == 5 * task.retainIndices.count)
        let rate = try #require(run.trainingRate)                            // what a step costs here, now
        #expect(rate.examples == run.examplesSeen && rate.seconds > 0 && rate.seconds <= run.seconds)
        #expect(run.epochLosses.count == 5 && run.epochLosses.allSatisfy(\.isFinite))
        #expect(speakers.model.trainableParameters.allSatisfy { $0.value.scalars.allSatisfy(\.isFinite) })
        #expect(run.phases.map(\.name) == ["fine-tune"])
    }

    /// Stated floor: retain test accuracy stays at or above 90% on the toy.
    @Test func gradientAscentRaisesTheForgetLossAndKeepsTheOthers() throws {
        let speakers = try ToySpeakers()
        let forgetLossBefore = speakers.trainingLoss(of: [0])
        let run = try GradientAscent().unlearn(speakers.model, task: try speakers.task(forget: [0]))
        #expect(speakers.trainingLoss(of: [0]) > forgetLossBefore + 1)
        #expect(speakers.accuracy(of: [0]) < 50)
        #expect(speakers.accuracy(of: [1, 2, 3]) >= 90)
        #expect(run.examplesSeen == 5 * 120)
    }

    @Test func gradientAscentLossSignsEachExample() {
        let logits = Tensor(shape: [2, 2], scalars: [2, 0, 0, 1])
        let ce = crossEntropy(logits: logits, labels: [0, 0], reduction: .none).scalars
        let loss = GradientAscent.loss(logits: logits, labels: [0, 0], forgetMask: [false, true], lambda: 0.5).item
        #expect(abs(loss - (ce[0] - 0.5 * ce[1]) / 2) < 1e-6)
    }

    @Test func negativeGradientRaisesTheForgetLoss() throws {
        let speakers = try ToySpeakers(examplesPerClass: 12)
        let before = speakers.trainingLoss(of: [2])
        let run = try NegativeGradient().unlearn(speakers.model, task: try speakers.task(forget: [2]))
        #expect(speakers.trainingLoss(of: [2]) > before + 1)
        #expect(run.examplesSeen == 5 * 12)                                  // forget examples only
    }

    @Test func negativeGradientStopsAtANonFiniteLoss() throws {
        let speakers = try ToySpeakers(examplesPerClass: 12)
        let bias = speakers.model.head.bias!
        bias.value = Tensor(shape: bias.shape, scalars: [.nan, 0, 0, 0])
        #expect(throws: TrainingError.nonFiniteLoss(phase: "negative gradient", epoch: 1, step: 1)) {
            try NegativeGradient().unlearn(speakers.model, task: try speakers.task(forget: [2]))
        }
    }

    @Test func batchPlansCanVisitOneSideOnly() throws {
        let task = try ToySpeakers(examplesPerClass: 12).task(forget: [0])
        let retain = BatchPlan(examples: .retain).batches(for: task, epoch: 1, batchSize: 8).flatMap { $0 }
        let forget = BatchPlan(examples: .forget).batches(for: task, epoch: 2, batchSize: 8).flatMap { $0 }
        #expect(retain.sorted() == task.retainIndices)
        #expect(forget.sorted() == task.forgetIndices)
        let old = try JSONValue(parsing: #"{"retainFraction":1,"balancesForgetExamples":false}"#)
        #expect(try BatchPlan().applying(old) == BatchPlan())              // a plan written before `examples`
    }

    // MARK: Selective synaptic dampening

    @Test func ssdDampensExactlyTheElementsTheForgetSetDominates() throws {
        let speakers = try ToySpeakers(examplesPerClass: 16)
        let task = try speakers.task(forget: [0])
        let ssd = SelectiveSynapticDampening()
        let (alpha, lambda) = (ssd.configuration.alpha, ssd.configuration.lambda)
        let full = ParameterImportance.gradientMoments(
            of: speakers.model, task: task,
            batches: consecutiveBatches(of: task.retainIndices + task.forgetIndices, size: 64))
        let forget = ParameterImportance.gradientMoments(
            of: speakers.model, task: task, batches: consecutiveBatches(of: task.forgetIndices, size: 64))
        let before = speakers.snapshot()

        let run = try ssd.unlearn(speakers.model, task: task)

        let after = speakers.snapshot()
        let names = Dictionary(uniqueKeysWithValues: speakers.model.namedParameters().map { (ObjectIdentifier($0.parameter), $0.name) })
        var dampened = 0, kept = 0, wrong = 0
        for (k, parameter) in full.parameters.enumerated() {
            let name = names[ObjectIdentifier(parameter)]!
            for i in before[name]!.indices {
                let (id, idf) = (full.meanSquaredGradient[k][i], forget.meanSquaredGradient[k][i])
                if idf > alpha * id {
                    dampened += 1
                    if after[name]![i] != before[name]![i] * min(lambda * id / idf, 1) { wrong += 1 }
                } else {
                    kept += 1
                    if after[name]![i].bitPattern != before[name]![i].bitPattern { wrong += 1 }
                }
            }
        }
        #expect(wrong == 0)
        #expect(dampened > 0 && kept > dampened)
        for (name, parameter) in speakers.model.namedParameters() where !parameter.isTrainable {
            #expect(after[name]! == before[name]!, "buffer \(name) changed")
        }
        #expect(run.phases.map(\.name) == ["importance", "dampening"])
        #expect(run.examplesSeen == 64 + 16)
        #expect(run.trainingRate == nil)                                     // gradients, but no optimizer step
    }

    // MARK: Fisher forgetting

    @Test func fisherVarianceFollowsTheReferenceConstants() {
        var configuration = FisherForgetting.Configuration()
        configuration.alpha = 1                                   // to read the variances directly
        let method = FisherForgetting(configuration: configuration)
        let head = Parameter(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        // Row 0: 1/(F + ε) = [1e8 → clamped to 1e2 (head), 1, 1/3], averaged over the row, × 10.
        let (headMean, headVariance) = method.meanAndVariance(of: head, fisher: [0, 1, 3, 7, 7, 7], isHead: true,
                                                              forgetClasses: [1])
        let row0 = Float((100 + 1 + 1.0 / 3) / 3 * 10)
        #expect(headVariance[0 ..< 3].allSatisfy { abs($0 - row0) < 1e-3 })
        #expect(headVariance[3 ..< 6].allSatisfy { abs($0 - 1e-3) < 1e-9 })   // reset row: 1e-4 × 10
        #expect(headMean == [1, 2, 3, 0, 0, 0])
        // A [1, 2, 2] weight: 1/F = [1, 1e8 → 1e3, 0.25, 2], averaged over axis 1 per trailing position.
        let weight = Parameter(Tensor(shape: [1, 2, 2], scalars: [1, 1, 1, 1]))
        let (_, weightVariance) = method.meanAndVariance(of: weight, fisher: [1, 0, 4, 0.5], isHead: false, forgetClasses: [0])
        #expect(weightVariance.count == 4 && zip(weightVariance, [0.625, 501, 0.625, 501] as [Float]).allSatisfy { abs($0 - $1) < 1e-3 })
        // A vector: clamped at 1e3, then × 10.
        let vector = Parameter(Tensor(shape: [2], scalars: [1, 1]))
        let (_, vectorVariance) = method.meanAndVariance(of: vector, fisher: [0, 1], isHead: false, forgetClasses: [0])
        #expect(vectorVariance.count == 2 && zip(vectorVariance, [1e4, 10] as [Float]).allSatisfy { abs($0 - $1) < 1e-2 })
    }

    @Test func fisherResetsTheForgetRowsAndAddsNoiseOfTheStatedScaleReproducibly() throws {
        let speakers = try ToySpeakers(examplesPerClass: 4)
        let model = speakers.model
        let task = try speakers.task(forget: [2], seed: 11)
        let method = FisherForgetting()
        let fisher = ParameterImportance.fisherDiagonal(of: model, task: task, indices: task.retainIndices)
        let head = [ObjectIdentifier(model.head.weight), ObjectIdentifier(model.head.bias!)]
        let parameters = model.trainableParameters
        let expected = zip(parameters, fisher).map {
            method.meanAndVariance(of: $0, fisher: $1, isHead: head.contains(ObjectIdentifier($0)), forgetClasses: [2])
        }
        let before = speakers.snapshot()

        _ = try method.unlearn(model, task: task)

        // The reset row: mean 0, standard deviation √(1e-4 · 10).
        let width = model.head.inputCount
        let row = Array(model.head.weight.value.scalars[2 * width ..< 3 * width])
        let rowMean = row.reduce(0, +) / Float(width)
        let rowDeviation = (row.map { $0 * $0 }.reduce(0, +) / Float(width)).squareRoot()
        let resetDeviation = Float(1e-3).squareRoot()
        #expect(abs(rowMean) < 4 * resetDeviation / Float(width).squareRoot())
        #expect(abs(rowDeviation - resetDeviation) < 0.25 * resetDeviation)
        #expect(abs(model.head.bias!.value.scalars[2]) < 4 * resetDeviation)
        // Every element: (θ' − μ)/√v is standard normal.
        var z: [Double] = []
        #expect(parameters.count == expected.count)
        for (parameter, (mean, variance)) in zip(parameters, expected) {
            #expect(parameter.value.count == mean.count && mean.count == variance.count)
            for (value, (m, v)) in zip(parameter.value.scalars, zip(mean, variance)) { z.append(Double((value - m) / v.squareRoot())) }
        }
        let zMean = z.reduce(0, +) / Double(z.count)
        let zDeviation = (z.map { ($0 - zMean) * ($0 - zMean) }.reduce(0, +) / Double(z.count)).squareRoot()
        #expect(abs(zMean) < 0.01)
        #expect(abs(zDeviation - 1) < 0.01)
        for (name, parameter) in model.namedParameters() where !parameter.isTrainable {
            #expect(parameter.value.scalars == before[name]!, "buffer \(name) changed")
        }
        // The same seed gives the same weights; another seed other ones.
        let first = speakers.snapshot()
        speakers.restore(before)
        _ = try method.unlearn(model, task: task)
        #expect(speakers.snapshot() == first)
        speakers.restore(before)
        _ = try method.unlearn(model, task: try speakers.task(forget: [2], seed: 12))
        #expect(speakers.snapshot() != first)
    }

    // MARK: The paper code's stand-ins

    /// `(mean, mean of squares)` over `batches` of the batch-mean cross-entropy gradient, model in
    /// evaluation mode, computed here without ``ParameterImportance``.
    static func gradientsByHand(_ model: any Classifier, task: UnlearningTask, batches: [[Int]]) -> ([[Float]], [[Float]]) {
        model.setTraining(false)
        defer { model.setTraining(true) }
        let parameters = model.trainableParameters
        var sum = parameters.map { [Float](repeating: 0, count: $0.value.count) }, squares = sum
        for batch in batches {
            let x = task.features.batch(batch, normalizedWith: task.statistics)
            let (_, gradients) = valueWithGradient(at: model) { model in
                crossEntropy(logits: model(x), labels: batch.map { task.labels[$0] })
            }
            for (k, parameter) in parameters.enumerated() {
                for (i, g) in gradients[parameter]!.scalars.enumerated() {
                    sum[k][i] += g
                    squares[k][i] += g * g
                }
            }
        }
        let n = Float(batches.count)
        return (sum.map { $0.map { $0 / n } }, squares.map { $0.map { $0 / n } })
    }

    @Test func paperSDIsOneStepAlongTheMeanForgetGradient() throws {
        let speakers = try ToySpeakers(examplesPerClass: 16)
        let task = try speakers.task(forget: [1])
        let batches = ParameterImportance.forgetShares(of: task, batchSize: 32)
        #expect(batches.flatMap { $0 }.sorted() == task.forgetIndices)
        let (mean, _) = Self.gradientsByHand(speakers.model, task: task, batches: batches)
        let parameters = speakers.model.trainableParameters
        let expected = zip(parameters, mean).map { parameter, g in zip(parameter.value.scalars, g).map { $0 - 0.1 * $1 } }

        let run = try PaperStandInSD().unlearn(speakers.model, task: task)

        #expect(expected.map(\.count) == parameters.map(\.value.count))
        let error = zip(parameters, expected).map { zip($0.value.scalars, $1).map { abs($0 - $1) }.max()! }.max()!
        #expect(error < 1e-6)
        #expect(run.method == "SD (paper code)" && run.steps == 1)
    }

    @Test func paperFFShrinksEachWeightByItsSquaredForgetGradient() throws {
        let speakers = try ToySpeakers(examplesPerClass: 16)
        let task = try speakers.task(forget: [3])
        let batches = ParameterImportance.forgetShares(of: task, batchSize: 32)
        let (_, squares) = Self.gradientsByHand(speakers.model, task: task, batches: batches)
        let parameters = speakers.model.trainableParameters
        let expected = zip(parameters, squares).map { parameter, f in zip(parameter.value.scalars, f).map { $0 - 0.1 * $1 * $0 } }

        let run = try PaperStandInFF().unlearn(speakers.model, task: task)

        #expect(expected.map(\.count) == parameters.map(\.value.count))
        let error = zip(parameters, expected).map { zip($0.value.scalars, $1).map { abs($0 - $1) }.max()! }.max()!
        #expect(error < 1e-6)
        #expect(run.method == "FF (paper code)" && run.steps == 1)
    }
}
