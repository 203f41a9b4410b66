import Testing
@testable import Tensors
import TestSupport

/// The checks themselves must be able to fail: a deliberately wrong pullback and wrong values are caught.
@Suite("Test support catches wrong answers")
struct TestSupportTests {
    @Test func gradientCheckRejectsAWrongPullback() {
        // y = x², recorded with the pullback of x³ (3x²·g instead of 2x·g).
        let wrongSquare = { (x: Tensor) -> Tensor in
            let input = x.detached
            return Tensor.record(input * input, inputs: [x]) { g in [g * 3 * input * input] }
        }
        let check = checkGradients(at: [Inputs.uniform([4], 0.5, 2, seed: 1)]) { wrongSquare($0[0]) }
        #expect(!check.passed, "a wrong pullback passed: \(check)")
        #expect(checkGradients(at: [Inputs.uniform([4], 0.5, 2, seed: 1)]) { $0[0] * $0[0] }.passed)
    }

    @Test func closenessRejectsWrongValuesAndShapes() {
        let a = Tensor([1, 2, 3])
        #expect(closeness(a, Tensor([1, 2, 3.00001])).passed)
        #expect(!closeness(a, Tensor([1, 2, 3.01])).passed)
        #expect(!closeness(a, Tensor(shape: [3, 1], scalars: [1, 2, 3])).passed)
        #expect(!closeness(Tensor([.nan]), Tensor([1])).passed)
        #expect(!closeness(Tensor([.infinity]), Tensor([1])).passed)
    }
}
