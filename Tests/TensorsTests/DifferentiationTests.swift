import Testing
@testable import Tensors
import TestSupport

@Suite("Reverse-mode autodiff semantics")
struct DifferentiationTests {
    @Test func gradientsAccumulateWhenAValueIsUsedTwice() {
        // f(x) = x·x + 3x, f'(2) = 2·2 + 3 = 7.
        let (value, gradient) = valueWithGradient(at: Tensor(2)) { x in x * x + 3 * x }
        #expect(value.item == 10)
        #expect(gradient.item == 7)
    }

    @Test func broadcastingIsUndoneInTheGradient() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = Tensor([10, 20, 30])
        let gradients = valueWithGradient(at: [a, b]) { p in (p[0] * p[1]).sum() }.gradients
        #expect(gradients[0].scalars == [10, 20, 30, 10, 20, 30])
        #expect(gradients[1].shape == [3])
        #expect(gradients[1].scalars == [5, 7, 9])
    }

    @Test func unusedInputsGetZeroGradients() {
        let gradients = valueWithGradient(at: [Tensor([1, 2]), Tensor([3])]) { p in p[0].sum() }.gradients
        #expect(gradients[0].scalars == [1, 1])
        #expect(gradients[1].scalars == [0])
    }

    @Test func inferenceBuildsNoGraph() {
        let x = Tensor([1, 2, 3])
        let y = (x * 2).exp().sum()
        #expect(!y.isRecorded)
        _ = valueWithGradient(at: x) { x in
            let recorded = x * 2
            let inference = withoutGradients { x * 2 }
            #expect(recorded.isRecorded)
            #expect(!inference.isRecorded)
            return recorded.sum()
        }
    }

    @Test func theGraphIsReleasedAfterTheBackwardPass() {
        weak var intermediate: GradientNode?
        let (_, gradient) = valueWithGradient(at: Tensor([1, 2, 3])) { x in
            let y = (x * x).exp()
            intermediate = y.node
            #expect(intermediate != nil)
            return y.sum()
        }
        #expect(intermediate == nil)
        #expect(!gradient.isRecorded)
    }

    @Test func pullbackGivesTheVectorJacobianProduct() {
        // y = [x0·x1, x0 + x1]; Jᵀ·[1, 2] = [x1 + 2, x0 + 2].
        let x = Tensor([3, 5])
        let cotangent = Tensor([1, 2])
        let vjp = pullback(at: x, cotangent: cotangent) { x in
            Tensor.stack([(x.slice(alongAxis: 0, 0..<1) * x.slice(alongAxis: 0, 1..<2)).reshaped(to: []),
                          x.sum()])
        }
        #expect(vjp.scalars == [7, 5])
    }

    @Test func deepChainsDoNotOverflowTheStack() {
        // 20,000 recorded operations: the topological sort is iterative.
        let (_, gradient) = valueWithGradient(at: Tensor(1)) { x in
            var y = x
            for _ in 0..<20_000 { y = y * 1.0001 }
            return y
        }
        #expect(Swift.abs(gradient.item - Float(Foundation.pow(1.0001, 20_000.0))) < 1e-2)
    }

    @Test func resultsAreReproducibleFromASeed() {
        var first = SplitMix64(seed: 42), second = SplitMix64(seed: 42), other = SplitMix64(seed: 43)
        let a = Tensor.randomNormal([100], using: &first)
        #expect(a.scalars == Tensor.randomNormal([100], using: &second).scalars)
        #expect(a.scalars != Tensor.randomNormal([100], using: &other).scalars)
        let mean = a.mean().item, deviation = a.variance(alongAxes: [0]).item.squareRoot()
        #expect(Swift.abs(mean) < 0.3 && Swift.abs(deviation - 1) < 0.3)
        let uniform = Tensor.randomUniform([1000], in: -2..<3, using: &first).scalars
        #expect(uniform.allSatisfy { $0 >= -2 && $0 < 3 })
    }

    @Test func dropoutKeepsTheExpectationAndDrawsFromTheGenerator() {
        var generator = SplitMix64(seed: 1)
        let dropped = Tensor.ones([10_000]).dropout(probability: 0.25, using: &generator).scalars
        let zeros = dropped.filter { $0 == 0 }.count
        #expect(zeros > 2_300 && zeros < 2_700)
        #expect(dropped.allSatisfy { $0 == 0 || Swift.abs($0 - 4.0 / 3.0) < 1e-6 })
    }
}

import Foundation
