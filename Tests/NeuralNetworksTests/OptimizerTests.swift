import Foundation
import NeuralNetworks
import Tensors
import TestSupport
import Testing

/// Optimizers, gradient clipping and learning-rate schedules against PyTorch 2.15 (CPU, float32), replayed
/// from `Fixtures/optimizers.json` (written by `Fixtures/make_optimizer_fixtures.py`, which documents the
/// cases), plus the skipping rules PyTorch implies.
///
/// Tolerance: `|a − e| ≤ 1e-6 + 2e-6·|e|` (``agreement``). Both sides run Float32 and apply the same
/// formulas in the same order; they still differ in the last bits because PyTorch's vectorised kernels fuse
/// some multiply-adds (`lerp`, `add` with `alpha`) while Swift rounds each operation, and Adam's bias
/// corrections pass through Python doubles. Each step then adds a few half-ulps (6e-8 relative each) to
/// every parameter, and momentum carries earlier ones forward, so five steps stay within ~1e-6 relative;
/// 2e-6 leaves a factor of two. The absolute 1e-6 covers parameters that pass near zero, where relative
/// error is meaningless. Measured: the largest difference from PyTorch is 1.1e-7 (about 1 ulp of the
/// intermediate values, on an element of `sgd_momentum_dampening` that passes near zero), a tenth of
/// the tolerance. A wrong rule moves some parameter by 4e-4 or more: Adam's bias correction off by one
/// step, the first momentum buffer dampened, AdamW's decay coupled, or ε inside the square root (seen
/// only with a large ε, hence `adam_betas_epsilon` with ε = 1e-3); a step count shared by all parameters
/// instead of one each shows in the `*_gaps` cases.
@Suite("Optimizers, clipping and schedules against PyTorch")
struct OptimizerTests {
    @Test(arguments: try OptimizerFixtures.load().optimizers)
    func trajectoryMatchesPyTorch(_ reference: OptimizerCase) throws {
        let fixtures = try OptimizerFixtures.load()
        let model = try TwoTensors(fixtures)
        let optimizer = try makeOptimizer(reference)
        let sequence = try #require(fixtures.gradientSequences[reference.gradients])
        #expect(sequence.count == reference.trajectory.count)
        for (step, (gradients, expected)) in zip(sequence, reference.trajectory).enumerated() {
            var parameterGradients = model.gradients(gradients)
            parameterGradients[model.buffer] = .ones(model.buffer.shape)   // must be ignored: a buffer
            optimizer.update(model, along: parameterGradients)
            for (name, parameter) in [("weight", model.weight), ("bias", model.bias)] {
                let want = Tensor(shape: parameter.shape, scalars: try #require(expected[name]))
                let comparison = agreement(parameter.value, want)
                #expect(comparison.passed, "\(reference.name) step \(step + 1) \(name): \(comparison)")
            }
        }
        #expect(model.buffer.value.scalars == TwoTensors.bufferValues, "\(reference.name) touched a buffer")
    }

    @Test(arguments: try OptimizerFixtures.load().clipping)
    func clippingMatchesPyTorch(_ reference: GradientClippingCase) throws {
        let model = try TwoTensors(OptimizerFixtures.load())
        var gradients = model.gradients(reference.gradients)
        let total = gradients.clipByGlobalNorm(maxNorm: reference.maxNorm, of: model)
        #expect(agreement(Tensor(total), Tensor(reference.totalNorm)).passed,
                "\(reference.name): total norm \(total), PyTorch \(reference.totalNorm)")
        for (name, parameter) in [("weight", model.weight), ("bias", model.bias)] {
            guard let expected = reference.clipped[name] else {
                #expect(gradients[parameter] == nil, "\(reference.name): \(name) gained a gradient")
                continue
            }
            let clipped = try #require(gradients[parameter], "\(reference.name): \(name) lost its gradient")
            let comparison = agreement(clipped, Tensor(shape: parameter.shape, scalars: expected))
            #expect(comparison.passed, "\(reference.name) \(name): \(comparison)")
        }
    }

    @Test(arguments: try OptimizerFixtures.load().schedules)
    func scheduleMatchesPyTorch(_ reference: LearningRateScheduleCase) throws {
        let schedule = try reference.schedule()
        let rates = reference.learningRates.indices.map { schedule.learningRate(at: $0) }
        let comparison = agreement(Tensor(rates), Tensor(reference.learningRates))
        #expect(comparison.passed, "\(reference.name): \(comparison)")
    }

    @Test(arguments: OptimizerKind.allCases)
    func parameterWithoutGradientIsSkippedAndBufferNeverTouched(_ kind: OptimizerKind) throws {
        let model = try TwoTensors(OptimizerFixtures.load())
        let (weight, bias, buffer) = (model.weight.value.scalars, model.bias.value.scalars, model.buffer.value.scalars)
        let optimizer = kind.make()
        for _ in 0..<3 {
            var gradients = model.gradients(["weight": [1, -2, 3, -4, 5, -6]])
            gradients[model.buffer] = .full(model.buffer.shape, value: 100)
            optimizer.update(model, along: gradients)
        }
        // Bitwise: a skipped parameter gets no weight decay and no momentum step either, as in PyTorch.
        #expect(model.bias.value.scalars == bias, "\(kind) moved a parameter that had no gradient")
        #expect(model.buffer.value.scalars == buffer, "\(kind) moved a buffer")
        #expect(model.weight.value.scalars != weight, "\(kind) did not move a parameter that had a gradient")
    }

    /// Masked updates: with Adam, the entries a mask holds at 0 keep their values bit for bit over several
    /// steps, and every other entry (and the unmasked bias) moves exactly as an unmasked Adam moves it,
    /// Adam being element by element.
    @Test func maskedUpdatesMoveOnlyTheMarkedEntries() throws {
        let (masked, free) = (try TwoTensors(OptimizerFixtures.load()), try TwoTensors(OptimizerFixtures.load()))
        let mask: [Float] = [1, 0, 0, 1, 1, 0]
        let before = masked.weight.value.scalars
        let optimizer = MaskedUpdates(Adam(learningRate: 0.1),
                                      masks: [ObjectIdentifier(masked.weight): Tensor(shape: masked.weight.shape, scalars: mask)])
        let reference = Adam(learningRate: 0.1)
        for step in 1 ... 4 {
            let values: [String: [Float]] = ["weight": [1, -2, 3, -4, 5, -6].map { $0 * Float(step) }, "bias": [1, -1, Float(step)]]
            optimizer.update(masked, along: masked.gradients(values))
            reference.update(free, along: free.gradients(values))
        }
        for i in mask.indices {
            #expect(masked.weight.value.scalars[i] == (mask[i] == 1 ? free.weight.value.scalars[i] : before[i]), "weight[\(i)]")
        }
        #expect(masked.bias.value.scalars == free.bias.value.scalars)
        #expect(masked.weight.value.scalars != before)
    }

    /// The chosen parameter moves as an Adam of its own at `scale` times the rate, the others as one at
    /// the rate, bit for bit, through a change of rate between updates (a schedule's).
    @Test func scaledLearningRateGivesTheChosenParametersAGroupOfTheirOwn() throws {
        let (scaled, fast, slow) = (try TwoTensors(OptimizerFixtures.load()), try TwoTensors(OptimizerFixtures.load()),
                                    try TwoTensors(OptimizerFixtures.load()))
        let optimizer = ScaledLearningRate(of: [scaled.weight], by: 3, learningRate: 0.1) { Adam(learningRate: $0) }
        let (weightReference, biasReference) = (Adam(learningRate: 0.1 * 3), Adam(learningRate: 0.1))
        for step in 1 ... 4 {
            if step == 3 {
                optimizer.learningRate = 0.05
                (weightReference.learningRate, biasReference.learningRate) = (0.05 * 3, 0.05)
            }
            let values: [String: [Float]] = ["weight": [1, -2, 3, -4, 5, -6].map { $0 * Float(step) }, "bias": [1, -1, Float(step)]]
            optimizer.update(scaled, along: scaled.gradients(values))
            weightReference.update(fast, along: fast.gradients(values))
            biasReference.update(slow, along: slow.gradients(values))
        }
        #expect(optimizer.learningRate == 0.05)
        #expect(scaled.weight.value.scalars == fast.weight.value.scalars)
        #expect(scaled.bias.value.scalars == slow.bias.value.scalars)
        #expect(fast.weight.value.scalars != slow.weight.value.scalars)
    }

    @Test func stepCountsAdvanceOnlyWithAGradient() throws {
        let model = try TwoTensors(OptimizerFixtures.load())
        let (adam, sgd) = (Adam(), SGD(learningRate: 0.1, momentum: 0.9))
        for gradients in [["weight": [Float](repeating: 1, count: 6)], ["weight": [1, 1, 1, 1, 1, 1], "bias": [1, 1, 1]]] {
            adam.update(model, along: model.gradients(gradients))
            sgd.update(model, along: model.gradients(gradients))
        }
        #expect(adam.stepCount(of: model.weight) == 2 && adam.stepCount(of: model.bias) == 1)
        #expect(sgd.stepCount(of: model.weight) == 2 && sgd.stepCount(of: model.bias) == 1)
        #expect(adam.stepCount(of: model.buffer) == 0 && sgd.stepCount(of: model.buffer) == 0)
    }

    /// Adam's state survives export, serialisation and import into a fresh optimizer: the next updates
    /// match an uninterrupted optimizer bit for bit. The first step leaves `bias` without a gradient, so
    /// the two parameters' step counts differ (2 and 1) when the state is exported.
    @Test(arguments: [OptimizerKind.adam, .adamAMSGrad, .adamW])
    func adamStateRoundTripContinuesExactly(_ kind: OptimizerKind) throws {
        let fixtures = try OptimizerFixtures.load()
        let sequence = [["weight": [Float](repeating: 0.5, count: 6)]]
            + (try #require(fixtures.gradientSequences["dense"])).prefix(3)
        let (uninterrupted, reference) = (try TwoTensors(fixtures), try #require(kind.make() as? Adam))
        for gradients in sequence { reference.update(uninterrupted, along: uninterrupted.gradients(gradients)) }

        let (model, first) = (try TwoTensors(fixtures), try #require(kind.make() as? Adam))
        for gradients in sequence.prefix(2) { first.update(model, along: model.gradients(gradients)) }
        let exported = first.state(for: model)
        #expect(exported.metadata == ["weight.step": "2", "bias.step": "1"])
        #expect(exported.names == ["weight.exp_avg", "weight.exp_avg_sq"]
                + (kind == .adamAMSGrad ? ["weight.max_exp_avg_sq"] : [])
                + ["bias.exp_avg", "bias.exp_avg_sq"] + (kind == .adamAMSGrad ? ["bias.max_exp_avg_sq"] : []))
        let second = try #require(kind.make() as? Adam)
        try second.loadState(SafeTensors(data: exported.serialized()), for: model)
        #expect(second.stepCount(of: model.weight) == 2 && second.stepCount(of: model.bias) == 1)
        for gradients in sequence.dropFirst(2) { second.update(model, along: model.gradients(gradients)) }

        for (name, parameter) in [("weight", model.weight), ("bias", model.bias)] {
            let expected = name == "weight" ? uninterrupted.weight : uninterrupted.bias
            #expect(parameter.value.scalars.map(\.bitPattern) == expected.value.scalars.map(\.bitPattern),
                    "\(kind) \(name) differs after the round trip")
        }
    }

    @Test func adamStateOfAnotherShapeOrKindIsRejectedWholesale() throws {
        let fixtures = try OptimizerFixtures.load()
        let model = try TwoTensors(fixtures)
        let amsgrad = Adam(amsgrad: true)
        amsgrad.update(model, along: model.gradients(["weight": [1, 2, 3, 4, 5, 6], "bias": [1, 2, 3]]))
        let plain = Adam()
        #expect(throws: CheckpointError(file: nil, problem: .stateMismatch(
            missing: [], unexpected: ["weight.max_exp_avg_sq", "bias.max_exp_avg_sq"], misshaped: []))) {
            try plain.loadState(amsgrad.state(for: model), for: model)
        }
        var misshaped = amsgrad.state(for: model).tensors
        misshaped[0].tensor = .zeros([6])
        #expect(throws: CheckpointError(file: nil, problem: .stateMismatch(
            missing: [], unexpected: [], misshaped: [.init(name: "weight.exp_avg", modelShape: [2, 3], fileShape: [6])]))) {
            try Adam(amsgrad: true).loadState(SafeTensors(misshaped, metadata: amsgrad.state(for: model).metadata), for: model)
        }
        #expect(throws: CheckpointError(file: nil, problem: .invalidMetadata(key: "bias.step", reason: "is missing"))) {
            try Adam(amsgrad: true).loadState(SafeTensors(amsgrad.state(for: model).tensors, metadata: ["weight.step": "1"]),
                                              for: model)
        }
        #expect(plain.stepCount(of: model.weight) == 0, "a rejected state was partly loaded")
    }

    @Test(arguments: OptimizerKind.allCases)
    func updatesWriteParametersInPlace(_ kind: OptimizerKind) throws {
        let model = try TwoTensors(OptimizerFixtures.load())
        let optimizer = kind.make()
        let gradients = model.gradients(["weight": [1, 2, 3, 4, 5, 6], "bias": [1, 2, 3]])
        optimizer.update(model, along: gradients)   // the first update may allocate state
        let address = model.weight.value.withUnsafeBufferPointer(\.baseAddress)
        optimizer.update(model, along: gradients)
        #expect(model.weight.value.withUnsafeBufferPointer(\.baseAddress) == address,
                "\(kind) reallocated a parameter it owns alone")
    }

    /// The dense fixture's first gradients have global norm ≈ 2.131: any larger `maxNorm` leaves them bitwise.
    @Test(arguments: [Float(2.2), 10, 1e6, .infinity])
    func clippingNeverScalesUp(maxNorm: Float) throws {
        let fixtures = try OptimizerFixtures.load()
        let model = try TwoTensors(fixtures)
        let first = try #require(fixtures.gradientSequences["dense"]?.first)
        var gradients = model.gradients(first)
        let total = gradients.clipByGlobalNorm(maxNorm: maxNorm, of: model)
        #expect(Swift.abs(total - 2.1309617) < 1e-6)
        #expect(gradients[model.weight]?.scalars == first["weight"] && gradients[model.bias]?.scalars == first["bias"])
    }

    @Test(arguments: [Float(0), 1e-3, 0.5, 2])
    func clippedNormEqualsMaxNorm(maxNorm: Float) throws {
        let fixtures = try OptimizerFixtures.load()
        let model = try TwoTensors(fixtures)
        var gradients = model.gradients(try #require(fixtures.gradientSequences["dense"]?[1]))
        let before = gradients.globalNorm(of: model)
        #expect(gradients.clipByGlobalNorm(maxNorm: maxNorm, of: model) == before)
        // maxNorm up to Float32 rounding: (‖g‖ + 1e-6) rounds to ‖g‖ here, so it may land an ulp above.
        let after = gradients.globalNorm(of: model)
        #expect(Swift.abs(after - maxNorm) <= 2e-7 * maxNorm, "norm \(after) after clipping to \(maxNorm)")
    }

    @Test func cosineScheduleBoundaries() {
        let schedule = LearningRateSchedule.cosineWithWarmup(peak: 0.2, warmupSteps: 4, totalSteps: 12, minimum: 0.02)
        #expect(schedule.learningRate(at: 0) == 0 && schedule.learningRate(at: 2) == 0.1)
        #expect(schedule.learningRate(at: 4) == 0.2)
        #expect(Swift.abs(schedule.learningRate(at: 8) - 0.11) < 1e-7)   // halfway: (peak + minimum)/2
        #expect(schedule.learningRate(at: 12) == 0.02 && schedule.learningRate(at: 1_000) == 0.02)
        #expect(LearningRateSchedule.constant(0.3).learningRate(at: 7) == 0.3)
    }
}

/// `|a − e| ≤ 1e-6 + 2e-6·|e|` element-wise; the suite's comment justifies the numbers.
private func agreement(_ actual: Tensor, _ expected: Tensor) -> Closeness {
    closeness(actual, expected, absoluteTolerance: 1e-6, relativeTolerance: 2e-6)
}

/// A model with the fixture's two trainable tensors and a buffer that no optimizer may touch.
private final class TwoTensors: Module {
    static let bufferValues: [Float] = [3, -1]
    let weight: Parameter, bias: Parameter
    let buffer = Parameter(Tensor(TwoTensors.bufferValues), isTrainable: false)

    init(_ fixtures: OptimizerFixtures) throws {
        let (w, b) = try (#require(fixtures.parameters["weight"]), #require(fixtures.parameters["bias"]))
        weight = Parameter(Tensor(shape: w.shape, scalars: w.values))
        bias = Parameter(Tensor(shape: b.shape, scalars: b.values))
    }

    override var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("running", buffer)]
    }

    /// Gradients holding exactly `values` by name; a name that is absent has no gradient (`.grad = None`).
    /// Built through the public API: `valueWithGradient` gives every trainable parameter a gradient,
    /// which the subscript then replaces or removes.
    func gradients(_ values: [String: [Float]]) -> ParameterGradients {
        var gradients = valueWithGradient(at: self) { $0.weight.value.sum() + $0.bias.value.sum() }.gradients
        gradients[weight] = values["weight"].map { Tensor(shape: weight.shape, scalars: $0) }
        gradients[bias] = values["bias"].map { Tensor(shape: bias.shape, scalars: $0) }
        return gradients
    }
}

/// One optimizer of each kind, with momentum where it has state, for the rules every optimizer obeys.
enum OptimizerKind: String, CaseIterable, Sendable {
    case sgd, sgdNesterov, adam, adamAMSGrad, adamW

    func make() -> any Optimizer {
        switch self {
        case .sgd: SGD(learningRate: 0.1)
        case .sgdNesterov: SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        case .adam: Adam(learningRate: 0.01)
        case .adamAMSGrad: Adam(learningRate: 0.01, amsgrad: true)
        case .adamW: AdamW(learningRate: 0.01, weightDecay: 0.1)
        }
    }
}

/// The optimizer a case describes; a hyperparameter the case leaves out is left to the Swift default, so
/// the defaults (PyTorch's) are checked too.
private func makeOptimizer(_ c: OptimizerCase) throws -> any Optimizer {
    switch c.optimizer {
    case "SGD":
        return SGD(learningRate: try #require(c.learningRate), momentum: c.momentum ?? 0, dampening: c.dampening ?? 0,
                   weightDecay: c.weightDecay ?? 0, nesterov: c.nesterov ?? false)
    case "Adam" where c.usesOnlyLearningRate:
        return c.learningRate.map { Adam(learningRate: $0) } ?? Adam()
    case "Adam":
        return Adam(learningRate: c.learningRate ?? 1e-3, betas: (c.beta1 ?? 0.9, c.beta2 ?? 0.999),
                    epsilon: c.epsilon ?? 1e-8, weightDecay: c.weightDecay ?? 0, amsgrad: c.amsgrad ?? false)
    case "AdamW" where c.usesOnlyLearningRate:
        return c.learningRate.map { AdamW(learningRate: $0) } ?? AdamW()
    case "AdamW":
        return AdamW(learningRate: c.learningRate ?? 1e-3, betas: (c.beta1 ?? 0.9, c.beta2 ?? 0.999),
                     epsilon: c.epsilon ?? 1e-8, weightDecay: c.weightDecay ?? 1e-2, amsgrad: c.amsgrad ?? false)
    case let other:
        throw OptimizerFixtureError("\(c.name): unknown optimizer \(other)")
    }
}

// MARK: - Fixture file

private struct OptimizerFixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `Fixtures/optimizers.json`; the generator's docstring describes every field.
struct OptimizerFixtures: Decodable, Sendable {
    struct Initial: Decodable, Sendable { let shape: [Int]; let values: [Float] }
    let parameters: [String: Initial]
    /// Per sequence name, per step, the gradient of each parameter that has one.
    let gradientSequences: [String: [[String: [Float]]]]
    let optimizers: [OptimizerCase]
    let clipping: [GradientClippingCase]
    let schedules: [LearningRateScheduleCase]

    static func load() throws -> OptimizerFixtures {
        guard let url = Bundle.module.url(forResource: "optimizers", withExtension: "json", subdirectory: "Fixtures") else {
            throw OptimizerFixtureError("optimizers.json is missing; run Tests/NeuralNetworksTests/Fixtures/make_optimizer_fixtures.py")
        }
        return try JSONDecoder().decode(OptimizerFixtures.self, from: Data(contentsOf: url))
    }
}

struct OptimizerCase: Decodable, Sendable, CustomTestStringConvertible {
    let name, optimizer, gradients: String
    let learningRate, momentum, dampening, weightDecay, beta1, beta2, epsilon: Float?
    let nesterov, amsgrad: Bool?
    /// The parameters by name after each step.
    let trajectory: [[String: [Float]]]

    var usesOnlyLearningRate: Bool {
        [momentum, dampening, weightDecay, beta1, beta2, epsilon].allSatisfy { $0 == nil } && nesterov == nil && amsgrad == nil
    }
    var testDescription: String { name }
}

struct GradientClippingCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let maxNorm: Float
    let gradients: [String: [Float]]
    let totalNorm: Float
    let clipped: [String: [Float]]
    var testDescription: String { name }
}

struct LearningRateScheduleCase: Decodable, Sendable, CustomTestStringConvertible {
    let name, kind: String
    let learningRate, initial, factor, peak, minimum: Float?
    let stepSize, warmupSteps, totalSteps: Int?
    let learningRates: [Float]
    var testDescription: String { name }

    func schedule() throws -> LearningRateSchedule {
        switch kind {
        case "constant": return .constant(try #require(learningRate))
        case "step": return .step(initial: try #require(initial), stepSize: try #require(stepSize), factor: try #require(factor))
        case "cosineWithWarmup":
            return .cosineWithWarmup(peak: try #require(peak), warmupSteps: try #require(warmupSteps),
                                     totalSteps: try #require(totalSteps), minimum: try #require(minimum))
        default: throw OptimizerFixtureError("\(name): unknown schedule \(kind)")
        }
    }
}
