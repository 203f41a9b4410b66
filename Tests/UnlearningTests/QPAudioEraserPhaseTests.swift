import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing
import TestSupport
import Training
@testable import Unlearning

private func task(classCount: Int = 3, forget: [Int], earlier: [Int] = [], seed: UInt64 = 1) throws -> UnlearningTask {
    let (features, labels) = separableFeatures(classCount: classCount, examplesPerClass: 4)
    let kept = labels.indices.filter { !earlier.contains(labels[$0]) }
    return try UnlearningTask(classNames: (0 ..< classCount).map { "speaker\($0)" }, forgetClasses: forget,
                              previouslyForgottenClasses: earlier, features: features.subset(kept), labels: kept.map { labels[$0] },
                              statistics: NormalizationStatistics(mean: 0, standardDeviation: 1), seed: seed)
}

@Suite struct QPAudioEraserPhaseTests {
    /// A square head, so that scaling the column of class 2 (the authors' bug) and scaling its row differ.
    @Test func phase1ScalesTheForgetRowAndBiasOnly() {
        var generator = SplitMix64(seed: 4)
        let head = Linear(inputCount: 4, outputCount: 4, using: &generator)
        let (w, b) = (head.weight.value.scalars, head.bias!.value.scalars)
        QPAudioEraser.interfere(head: head, classes: [2], phase: .pi, weightScale: 1 / 2.0.squareRoot())
        let (w2, b2) = (head.weight.value.scalars, head.bias!.value.scalars)
        for row in 0 ..< 4 {
            for column in 0 ..< 4 {
                let expected = row == 2 ? w[row * 4 + column] * Float(-1 / 2.0.squareRoot()) : w[row * 4 + column]
                #expect(abs(w2[row * 4 + column] - expected) <= 1e-7, "W[\(row),\(column)]")
            }
        }
        #expect(w2[0 * 4 + 2] == w[0 * 4 + 2] && w2[3 * 4 + 2] == w[3 * 4 + 2])   // column 2 elsewhere untouched
        #expect(b2 == [b[0], b[1], -b[2], b[3]])
    }

    @Test func phase2TargetsAreUniformOrSpreadOverRetainedClasses() throws {
        let single = try task(classCount: 4, forget: [1])
        #expect(QPAudioEraser.superpositionTargets(for: single, target: .uniform) == [0.25, 0.25, 0.25, 0.25])
        let third: Float = 1 / 3
        #expect(QPAudioEraser.superpositionTargets(for: single, target: .retainedUniform) == [third, 0, third, third])
        let second = try task(classCount: 4, forget: [1], earlier: [3])
        #expect(QPAudioEraser.superpositionTargets(for: second, target: .retainedUniform) == [0.5, 0, 0.5, 0])
    }

    /// Two examples, K = 3: a retain example (label 0, logits 2, 0, 0) and a forget example (logits
    /// 1, 0.5, −1, uniform target), λ = 1. By hand: CE₀ = log(1 + 2e⁻²) = 0.239545, CE₁ = 1.388290,
    /// H₁ = 0.884452, L = (CE₀ + CE₁ − H₁)/2 = 0.371692; ∂L/∂z = [(p − t) + λ·m·p ⊙ (log p + H)] / B.
    @Test func phase3LossAndGradientMatchHandWorkedValues() {
        let logits = Tensor(shape: [2, 3], scalars: [2, 0, 0, 1, 0.5, -1])
        let targets = Tensor(shape: [2, 3], scalars: [1, 0, 0, 1 / 3, 1 / 3, 1 / 3])
        let (loss, gradients) = valueWithGradient(at: [logits]) { p in
            QPAudioEraser.uncertaintyLoss(logits: p[0], targets: targets, forgetMask: [0, 1], lambda: 1)
        }
        #expect(abs(loss.item - 0.3716916) < 1e-6)
        let expected: [Float] = [-0.10650698, 0.05325349, 0.05325349, 0.21496284, -0.02224853, -0.19271431]
        #expect(gradients[0].scalars.count == expected.count)
        for (actual, value) in zip(gradients[0].scalars, expected) { #expect(abs(actual - value) < 1e-6) }
        // And against finite differences.
        let check = checkGradients(at: [logits]) { p in
            QPAudioEraser.uncertaintyLoss(logits: p[0], targets: targets, forgetMask: [0, 1], lambda: 1)
        }
        #expect(check.passed, "\(check)")
    }

    /// The sign trap of the authors' code (`+λH` in one script): a descent step must raise the entropy
    /// of the forget prediction, and the uniform prediction is a stationary point.
    @Test func minimisingPhase3RaisesTheForgetEntropy() {
        let logits = Tensor(shape: [1, 3], scalars: [3, 0.2, -1])
        let target = Tensor(shape: [1, 3], scalars: [1 / 3, 1 / 3, 1 / 3])
        let entropyBefore = entropy(logits: logits).item
        let (_, gradients) = valueWithGradient(at: [logits]) { p in
            QPAudioEraser.uncertaintyLoss(logits: p[0], targets: target, forgetMask: [1], lambda: 1)
        }
        let stepped = logits - 0.1 * gradients[0]
        #expect(entropy(logits: stepped).item > entropyBefore)

        let uniform = Tensor(shape: [1, 3], scalars: [0.7, 0.7, 0.7])
        let (value, atUniform) = valueWithGradient(at: [uniform]) { p in
            QPAudioEraser.uncertaintyLoss(logits: p[0], targets: target, forgetMask: [1], lambda: 1)
        }
        #expect(abs(value.item) < 1e-6)                       // CE(u, u) − H(u) = log 3 − log 3
        #expect(atUniform[0].scalars.allSatisfy { abs($0) < 1e-6 })
    }

    @Test func phase4MatrixForOneAndForTwoForgetClasses() {
        let one = QPAudioEraser.mixingMatrix(classCount: 4, forgetClasses: [1], partners: [0, 2, 3], epsilon: 0.5)
        #expect(one == [1, 0.5, 0, 0,
                        0.5, 1, 0.5, 0.5,
                        0, 0.5, 1, 0,
                        0, 0.5, 0, 1])
        let two = QPAudioEraser.mixingMatrix(classCount: 4, forgetClasses: [1, 3], partners: [0, 2], epsilon: 0.2)
        #expect(two == [1, 0.2, 0, 0.2,
                        0.2, 1, 0.2, 0,
                        0, 0.2, 1, 0.2,
                        0.2, 0, 0.2, 1])
    }

    @Test func phase4MultipliesTheHeadWeightByTheMatrix() {
        var generator = SplitMix64(seed: 9)
        let head = Linear(inputCount: 2, outputCount: 3, using: &generator)
        let w = head.weight.value.scalars, b = head.bias!.value.scalars
        let m = QPAudioEraser.mixingMatrix(classCount: 3, forgetClasses: [0], partners: [1, 2], epsilon: 0.5)
        QPAudioEraser.entangle(head: head, matrix: m, mixesBias: false)
        // Row 0 gains ε·(row 1 + row 2); rows 1 and 2 gain ε·row 0.
        let expected: [Float] = [w[0] + 0.5 * (w[2] + w[4]), w[1] + 0.5 * (w[3] + w[5]),
                                 w[2] + 0.5 * w[0], w[3] + 0.5 * w[1], w[4] + 0.5 * w[0], w[5] + 0.5 * w[1]]
        #expect(head.weight.value.scalars.count == expected.count)
        for (actual, value) in zip(head.weight.value.scalars, expected) { #expect(abs(actual - value) < 1e-6) }
        #expect(head.bias!.value.scalars == b)
    }

    /// The backbone perturbation: Gaussian noise of `scale` × each tensor's own spread on every kernel and
    /// weight matrix below the head; biases, batch norm's parameters and buffers and the head untouched;
    /// the draw fixed by the seed. Stated margin: the noise's measured spread within 15% of the asked one
    /// (the smallest tensor, the first kernel, has 288 values: 3.6 standard errors).
    @Test func theBackbonePerturbationFollowsEachTensorsSpread() {
        func perturbed(seed: UInt64) -> (before: [[Float]], after: [[Float]], perturbs: [Bool]) {
            var generator = SplitMix64(seed: 5)
            let model = Architecture.cnn.makeModel(classCount: 4, inputSize: (64, 20), using: &generator)
            let parameters = model.namedParameters().map(\.parameter)
            let perturbs = parameters.map { parameter in
                parameter.isTrainable && parameter.shape.count >= 2 && parameter !== model.head.weight
            }
            let before = parameters.map(\.value.scalars)
            QPAudioEraser.perturbBackbone(of: model, scale: 0.5, seed: seed)
            return (before, parameters.map(\.value.scalars), perturbs)
        }
        func spread(_ values: [Float]) -> Float {
            let mean = values.reduce(0, +) / Float(values.count)
            return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)).squareRoot()
        }
        let (before, after, perturbs) = perturbed(seed: 3)
        #expect(perturbs.filter { $0 }.count == 4)                         // the four convolution kernels
        for (index, perturbed) in perturbs.enumerated() {
            if perturbed {
                let noise = spread(zip(after[index], before[index]).map { $0 - $1 })
                #expect(abs(noise / (0.5 * spread(before[index])) - 1) < 0.15, "tensor \(index)")
            } else {
                #expect(after[index] == before[index], "tensor \(index)")
            }
        }
        #expect(perturbed(seed: 3).after == after)
        #expect(perturbed(seed: 4).after != after)
    }

    /// The saliency mask marks, in each weight tensor below the head, the quarter of its entries where the
    /// forget examples' cross-entropy gradient (computed here in one batch, evaluation mode) is largest;
    /// the masked perturbation moves exactly those entries, by the noise the same seed draws unmasked.
    @Test func theSaliencyMaskConfinesThePerturbationToTheForgottenVoicesWeights() throws {
        let speakers = try ToySpeakers()
        let task = try speakers.task(forget: [1])
        let model = speakers.model
        try #require(task.forgetIndices.count <= 64)                       // one batch: the mean is its gradient
        let (input, labels) = task.labelledBatch(task.forgetIndices)
        model.setTraining(false)
        let (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(input), labels: labels) }
        model.setTraining(true)
        let weights = QPAudioEraser.backboneWeights(of: model)
        let mask = QPAudioEraser.salientWeights(of: model, task: task, share: 0.25)
        #expect(mask.count == weights.count && weights.count == 4)
        for parameter in weights {
            let marked = try #require(mask[ObjectIdentifier(parameter)]).scalars
            let magnitudes = try #require(gradients[parameter]).scalars.map(abs)
            #expect(marked.allSatisfy { $0 == 0 || $0 == 1 })
            let count = marked.filter { $0 == 1 }.count
            #expect(count >= Int((0.25 * Double(marked.count)).rounded(.up)) && count < marked.count / 3)
            let lowestMarked = zip(magnitudes, marked).filter { $1 == 1 }.map(\.0).min()!
            let highestUnmarked = zip(magnitudes, marked).filter { $1 == 0 }.map(\.0).max()!
            #expect(lowestMarked >= highestUnmarked * (1 - 1e-4), "\(parameter.shape)")
        }
        let before = weights.map(\.value.scalars)
        QPAudioEraser.perturbBackbone(of: model, scale: 0.5, seed: 7, mask: mask)
        let masked = weights.map(\.value.scalars)
        for (parameter, values) in zip(weights, before) { parameter.value = Tensor(shape: parameter.shape, scalars: values) }
        QPAudioEraser.perturbBackbone(of: model, scale: 0.5, seed: 7)
        for (index, parameter) in weights.enumerated() {
            let marked = mask[ObjectIdentifier(parameter)]!.scalars
            let unmasked = parameter.value.scalars
            #expect(marked.indices.allSatisfy { masked[index][$0] == (marked[$0] == 1 ? unmasked[$0] : before[index][$0]) },
                    "\(parameter.shape)")
            #expect(zip(masked[index], before[index]).filter { $0 != $1 }.count > marked.count / 5)
        }
        // salientScale multiplies the marked entries before the noise: 0 without noise prunes them, and
        // with noise the marked entries are the scaled weight plus the same draw.
        for (parameter, values) in zip(weights, before) { parameter.value = Tensor(shape: parameter.shape, scalars: values) }
        QPAudioEraser.perturbBackbone(of: model, scale: 0, seed: 7, mask: mask, salientScale: 0)
        for (index, parameter) in weights.enumerated() {
            let marked = mask[ObjectIdentifier(parameter)]!.scalars
            #expect(marked.indices.allSatisfy { parameter.value.scalars[$0] == (marked[$0] == 1 ? 0 : before[index][$0]) })
        }
        for (parameter, values) in zip(weights, before) { parameter.value = Tensor(shape: parameter.shape, scalars: values) }
        QPAudioEraser.perturbBackbone(of: model, scale: 0.5, seed: 7, mask: mask, salientScale: 0.25)
        for (index, parameter) in weights.enumerated() {
            let marked = mask[ObjectIdentifier(parameter)]!.scalars
            let noise = zip(masked[index], before[index]).map { $0 - $1 }          // the draw above, where marked
            #expect(marked.indices.allSatisfy {
                marked[$0] == 0 ? parameter.value.scalars[$0] == before[index][$0]
                    : abs(parameter.value.scalars[$0] - (0.25 * before[index][$0] + noise[$0])) <= 1e-5 * max(1, abs(before[index][$0]))
            }, "\(parameter.shape)")
        }
    }

    /// With `salientUpdates` phase 3 moves only the marked entries of the weights below the head: the
    /// unmarked ones end bit for bit as trained, while the marked ones and the head move.
    @Test func salientUpdatesLeaveTheUnmarkedWeightsAsTrained() throws {
        let speakers = try ToySpeakers()
        let task = try speakers.task(forget: [1])
        let model = speakers.model
        let mask = QPAudioEraser.salientWeights(of: model, task: task, share: 0.25)
        let weights = QPAudioEraser.backboneWeights(of: model)
        let before = weights.map(\.value.scalars), head = model.head.weight.value.scalars
        var eraser = QPAudioEraser()
        eraser.configuration = .repair
        eraser.configuration.perturbation = 0
        eraser.configuration.salientShare = 0.25
        eraser.configuration.salientUpdates = true
        _ = try eraser.unlearn(model, task: task)
        for (parameter, values) in zip(weights, before) {
            let marked = mask[ObjectIdentifier(parameter)]!.scalars
            let after = parameter.value.scalars
            #expect(marked.indices.allSatisfy { marked[$0] == 1 || after[$0] == values[$0] }, "\(parameter.shape)")
            #expect(marked.indices.contains { marked[$0] == 1 && after[$0] != values[$0] }, "\(parameter.shape)")
        }
        #expect(model.head.weight.value.scalars != head)

        var idle = QPAudioEraser.Configuration()                           // no perturbation, no masked updates
        idle.salientShare = 0.25
        #expect((#expect(throws: ConfigurationError.self) { try idle.validate() })?.field == "salientShare")
        idle.salientShare = 1
        idle.salientUpdates = true
        #expect((#expect(throws: ConfigurationError.self) { try idle.validate() })?.field == "salientUpdates")
    }

    /// A cosine `schedule` sets phase 3's rate at every update, counted across epochs: 0 at the first, the
    /// peak `learningRate` at the end of the warm-up, falling to 0 at the last; the default keeps the
    /// optimizer's constant rate.
    @Test func phase3FollowsItsLearningRateSchedule() throws {
        let speakers = try ToySpeakers()
        let task = try speakers.task(forget: [1])
        let plan = BatchPlan(retainFraction: 0.5, examples: .retain)
        let epochs = 3, batchSize = 8
        let stepsPerEpoch = plan.batches(for: task, epoch: 1, batchSize: batchSize).count
        func rates(_ schedule: TrainingConfiguration.ScheduleKind) throws -> [Float] {
            let optimizer = RateRecorder(Adam(learningRate: 2e-3))
            var run = UnlearningRun(method: "test", settings: [:])
            let recipe = TrainingConfiguration(epochs: epochs, learningRate: 2e-3, schedule: schedule, warmupFraction: 0.25)
            try fineTune(speakers.model, task: task, phase: "test", epochs: epochs, batchSize: batchSize, optimizer: optimizer,
                         plan: plan, learningRates: recipe.learningRateSchedule, run: &run, observer: .silent) { logits, batch in
                crossEntropy(logits: logits, labels: batch.map { task.labels[$0] })
            }
            return optimizer.rates
        }
        let cosine = try rates(.cosine)
        let total = epochs * stepsPerEpoch, warmup = Int((0.25 * Double(total - 1)).rounded())
        #expect(stepsPerEpoch >= 3 && cosine.count == total)
        #expect(cosine.first == 0 && cosine.last == 0 && cosine[warmup] == 2e-3)
        #expect(zip(cosine.prefix(warmup), cosine.dropFirst().prefix(warmup)).allSatisfy { $0 < $1 })
        #expect(zip(cosine[warmup...], cosine[(warmup + 1)...]).allSatisfy { $0 > $1 })
        #expect(try rates(.constant) == [Float](repeating: 2e-3, count: total))

        var configuration = QPAudioEraser.Configuration()
        configuration.warmupFraction = 1
        #expect((#expect(throws: ConfigurationError.self) { try configuration.validate() })?.field == "warmupFraction")
        #expect(QPAudioEraser.Configuration.paper.schedule == .constant)
    }

    /// Adam's first update moves an entry by its learning rate whatever its gradient's size, so one
    /// update of phase 3 shows each group's rate: the head's entries move by `headLearningRateScale` times
    /// `learningRate`, every other parameter's by `learningRate`.
    @Test func theHeadTakesItsOwnLearningRateInPhase3() throws {
        let speakers = try ToySpeakers(examplesPerClass: 8)
        let model = speakers.model
        let before = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.parameter.value.scalars) })
        let head = Set(model.head.trainableParameters.map(ObjectIdentifier.init))
        var configuration = QPAudioEraser.Configuration()
        configuration.without = [.interference, .superposition, .entropy, .mixing]
        configuration.epochs = 1
        configuration.batchSize = 1000                                       // one update
        configuration.headLearningRateScale = 4
        _ = try QPAudioEraser(configuration: configuration).unlearn(model, task: try speakers.task(forget: [1]))
        var largest = (head: Float(0), rest: Float(0))
        for (name, parameter) in model.namedParameters() where parameter.isTrainable {
            let step = zip(parameter.value.scalars, before[name]!).map { abs($0 - $1) }.max()!
            if head.contains(ObjectIdentifier(parameter)) {
                largest.head = max(largest.head, step)
            } else {
                largest.rest = max(largest.rest, step)
            }
        }
        #expect(abs(largest.head - 4e-3) < 1e-5 && abs(largest.rest - 1e-3) < 1e-5, "largest steps \(largest)")

        configuration.headLearningRateScale = 0
        #expect((#expect(throws: ConfigurationError.self) { try configuration.validate() })?.field == "headLearningRateScale")
        #expect(QPAudioEraser.Configuration.paper.headLearningRateScale == 1)
    }
}

/// An optimizer that records the rate of each update it passes on to `base`.
private final class RateRecorder: Optimizer {
    let base: any Optimizer
    var rates: [Float] = []

    init(_ base: any Optimizer) { self.base = base }

    var learningRate: Float {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    func update(_ model: Module, along gradients: ParameterGradients) {
        rates.append(base.learningRate)
        base.update(model, along: gradients)
    }
}
