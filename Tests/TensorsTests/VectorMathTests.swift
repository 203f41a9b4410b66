import Foundation
import Testing
@testable import Tensors

/// The vectorised exp and erf against the C library, in Double, over their whole useful range.
@Suite("Vectorisable exp and erf")
struct VectorMathTests {
    @Test func expIsWithinThreeUlpOfTheTrueValue() {
        var worst = 0.0
        for i in 0...4_000 {
            let x = Float(-87 + 175.5 * Double(i) / 4_000)
            let exact = Foundation.exp(Double(x))
            let ulp = Double(Float(exact).ulp)
            worst = max(worst, Swift.abs(Double(VectorMath.exp(x)) - exact) / ulp)
        }
        #expect(worst <= 3, "worst error \(worst) ulp")
        #expect(VectorMath.exp(-100) == 0 && VectorMath.exp(100) == .infinity && VectorMath.exp(0) == 1)
        #expect(VectorMath.exp(Float.nan).isNaN)
    }

    @Test func erfIsWithinTheAbramowitzStegunBound() {
        var worst = 0.0
        for i in 0...4_000 {
            let x = Float(-6 + 12 * Double(i) / 4_000)
            worst = max(worst, Swift.abs(Double(VectorMath.erf(x)) - Foundation.erf(Double(x))))
        }
        // 1.5e-7 for the formula, plus Float32 rounding of its steps (measured 4.4e-7).
        #expect(worst < 5e-7, "worst absolute error \(worst)")
        #expect(VectorMath.erf(Float.nan).isNaN)
    }
}
