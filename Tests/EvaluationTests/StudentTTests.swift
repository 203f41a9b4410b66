import Evaluation
import Testing

/// Student's t against SciPy 1.x (`scipy.stats.t.ppf` and `.cdf`), computed independently.
@Suite struct StudentTTests {
    /// (ν, ppf(0.975), ppf(0.9), cdf(1), cdf(−2.5))
    static let scipy: [(Double, Double, Double, Double, Double)] = [
        (0.5, 164.55767348048818, 10.27032441023451, 0.698878389158678, 0.2004852645266466),
        (1, 12.706204736174694, 3.0776835371752544, 0.75, 0.12111894159084341),
        (2, 4.302652729749462, 1.8856180831641272, 0.7886751345948129, 0.06480586011075541),
        (3, 3.1824463052837078, 1.637744353696209, 0.8044988905221148, 0.04385332350403278),
        (4, 2.7764451051977934, 1.533206274058944, 0.8130495168499705, 0.03338327240599407),
        (9, 2.262157162798205, 1.3830287383966329, 0.8282818019310432, 0.016930913841492867),
        (30, 2.0422724563012378, 1.3104150253913955, 0.8373456922869849, 0.009057824534033344),
    ]

    @Test func quantilesAndProbabilitiesMatchSciPy() {
        for (nu, upper, tenth, atOne, atMinus) in Self.scipy {
            let t = StudentT(degreesOfFreedom: nu)
            #expect(abs(t.quantile(0.975) - upper) < 1e-8 * upper, "ν \(nu): \(t.quantile(0.975))")
            #expect(abs(t.quantile(0.9) - tenth) < 1e-8 * tenth, "ν \(nu): \(t.quantile(0.9))")
            #expect(abs(t.quantile(0.025) + upper) < 1e-8 * upper)
            #expect(abs(t.cdf(1) - atOne) < 1e-12, "ν \(nu): \(t.cdf(1))")
            #expect(abs(t.cdf(-2.5) - atMinus) < 1e-12, "ν \(nu): \(t.cdf(-2.5))")
            #expect(t.cdf(0) == 0.5 && t.cdf(.infinity) == 1 && t.cdf(-.infinity) == 0)
        }
    }
}
