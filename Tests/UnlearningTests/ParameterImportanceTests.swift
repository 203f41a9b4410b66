import Foundation
import NeuralNetworks
import Tensors
import Testing
import Training
@testable import Unlearning

/// The gradient statistics against a single linear layer, where the cross-entropy gradient is
/// analytic: for `z = W·x + b`, `p = softmax(z)`, one example's `∂CE/∂z = p − e_y`, so
/// `∂CE/∂W = (p − e_y)·xᵀ` and `∂CE/∂b = p − e_y`; a batch's gradient is the mean over its examples.
struct ParameterImportanceTests {
    static let weight: [Double] = [0.5, -1, 0, 1, 1, 0.5]       // [3 classes, 2 inputs]
    static let bias: [Double] = [0, 0.1, -0.2]

    /// A `Linear(2 → 3)` holding ``weight`` and ``bias``.
    static func layer() -> Linear {
        var generator = SplitMix64(seed: 1)
        let layer = Linear(inputCount: 2, outputCount: 3, using: &generator)
        layer.weight.value = Tensor(shape: [3, 2], scalars: weight.map(Float.init))
        layer.bias!.value = Tensor(shape: [3], scalars: bias.map(Float.init))
        return layer
    }

    static func probabilities(_ x: [Double]) -> [Double] {
        let z = (0 ..< 3).map { k in weight[2 * k] * x[0] + weight[2 * k + 1] * x[1] + bias[k] }
        let e = z.map { Foundation.exp($0 - z.max()!) }
        return e.map { $0 / e.reduce(0, +) }
    }

    /// `∂CE(x, y)/∂(W, b)` flattened as `[W (6), b (3)]`.
    static func gradient(_ x: [Double], label y: Int) -> [Double] {
        let dz = probabilities(x).enumerated().map { $1 - ($0 == y ? 1 : 0) }
        return (0 ..< 3).flatMap { k in [dz[k] * x[0], dz[k] * x[1]] } + dz
    }

    /// The mean of `gradient` over a batch.
    static func batchGradient(_ xs: [[Double]], labels: [Int]) -> [Double] {
        let sums = zip(xs, labels).map { gradient($0, label: $1) }.reduce([Double](repeating: 0, count: 9)) {
            zip($0, $1).map { $0 + $1 }
        }
        return sums.map { $0 / Double(xs.count) }
    }

    static func expectClose(_ actual: [[Float]], _ expected: [Double], tolerance: Double = 1e-6) {
        let flat = actual.flatMap { $0 }.map(Double.init)
        #expect(flat.count == expected.count)
        for (a, e) in zip(flat, expected) { #expect(abs(a - e) <= tolerance, "\(a) vs \(e)") }
    }

    @Test func gradientMomentsAreTheMeansOverBatchesOfTheBatchGradientAndItsSquare() {
        let layer = Self.layer()
        let batchA: [[Double]] = [[1, 2], [0, -1]], labelsA = [0, 2]
        let batchB: [[Double]] = [[2, 1]], labelsB = [1]
        let batches = [(batchA, labelsA), (batchB, labelsB)].map { xs, labels in
            (input: Tensor(shape: [xs.count, 2], scalars: xs.flatMap { $0 }.map(Float.init)), labels: labels)
        }
        let moments = ParameterImportance.gradientMoments(of: layer, batches: batches)

        let gA = Self.batchGradient(batchA, labels: labelsA), gB = Self.batchGradient(batchB, labels: labelsB)
        Self.expectClose(moments.meanGradient, zip(gA, gB).map { ($0 + $1) / 2 })
        Self.expectClose(moments.meanSquaredGradient, zip(gA, gB).map { ($0 * $0 + $1 * $1) / 2 })
        #expect(moments.batchCount == 2)
        #expect(moments.exampleCount == 3)
        #expect(moments.parameters.map(ObjectIdentifier.init) == [layer.weight, layer.bias!].map(ObjectIdentifier.init))
        #expect(layer.isTraining)                                            // mode restored
        #expect(layer.weight.value.scalars == Self.weight.map(Float.init))   // nothing moved
    }

    @Test func fisherDiagonalWeighsEveryClassByItsProbability() throws {
        let layer = Self.layer()
        let xs: [[Double]] = [[1, 2], [-0.5, 0.5]]
        var steps: [TrainingProgress] = [], summaries: [EpochSummary] = []
        let fisher = ParameterImportance.fisherDiagonal(
            of: layer, examples: xs.map { (input: Tensor(shape: [1, 2], scalars: $0.map(Float.init)), labels: [0]) },
            observer: TrainingObserver(step: { steps.append($0) }, epoch: { summaries.append($0) }))
        #expect(steps.map(\.step) == [1, 2] && steps.allSatisfy { $0.stepsPerEpoch == 2 && $0.phase == "fisher diagonal" })
        let labelLosses = xs.map { -log(Self.probabilities($0)[0]) }             // the progress shows CE of the labels
        #expect(summaries.count == 1)
        #expect(summaries.allSatisfy { abs($0.loss - (labelLosses[0] + labelLosses[1]) / 2) < 1e-5 })

        var expected = [Double](repeating: 0, count: 9)
        for x in xs {
            for (y, p) in Self.probabilities(x).enumerated() {
                for (i, g) in Self.gradient(x, label: y).enumerated() { expected[i] += p * g * g / Double(xs.count) }
            }
        }
        Self.expectClose(fisher, expected)
    }

    @Test func emptySetsGiveZeros() {
        let layer = Self.layer()
        let moments = ParameterImportance.gradientMoments(of: layer, batches: [(input: Tensor, labels: [Int])]())
        #expect(moments.batchCount == 0)
        #expect(moments.meanSquaredGradient.flatMap { $0 }.allSatisfy { $0 == 0 })
        #expect(ParameterImportance.fisherDiagonal(of: layer, examples: [(input: Tensor, labels: [Int])]()).flatMap { $0 }
                .allSatisfy { $0 == 0 })
    }

    @Test func consecutiveBatchesCutInOrder() {
        #expect(consecutiveBatches(of: [5, 1, 4, 2, 3], size: 2) == [[5, 1], [4, 2], [3]])
        #expect(consecutiveBatches(of: [], size: 4).isEmpty)
    }
}
