import Foundation

/// Student's t distribution with ν degrees of freedom: what `(x̄ − μ)/(s/√n)` follows for `n = ν + 1`
/// draws of a normal variable, and so what a prediction interval for one more draw is built from
/// (SciPy's `scipy.stats.t`).
///
/// ```swift
/// StudentT(degreesOfFreedom: 2).quantile(0.975)    // 4.3027
/// StudentT(degreesOfFreedom: 9).cdf(1.0)           // 0.8283
/// ```
public struct StudentT: Sendable, Equatable {
    /// ν, above 0.
    public let degreesOfFreedom: Double

    /// - Precondition: `degreesOfFreedom` finite and above 0.
    public init(degreesOfFreedom: Double) {
        precondition(degreesOfFreedom.isFinite && degreesOfFreedom > 0,
                     "StudentT: degrees of freedom \(degreesOfFreedom) must be finite and above 0")
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// `P(T ≤ t)`: `1 − I_x(ν/2, 1/2)/2` for `t ≥ 0` with `x = ν/(ν + t²)`, by symmetry below 0.
    public func cdf(_ t: Double) -> Double {
        guard t.isFinite else { return t > 0 ? 1 : 0 }
        let tail = Self.regularizedIncompleteBeta(degreesOfFreedom / (degreesOfFreedom + t * t),
                                                  a: degreesOfFreedom / 2, b: 0.5) / 2
        return t >= 0 ? 1 - tail : tail
    }

    /// The `t` with `cdf(t) = p`, by bisection on the cdf to the precision of a `Double`.
    ///
    /// - Precondition: `0 < p < 1`.
    public func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "StudentT.quantile: p = \(p) must lie strictly between 0 and 1")
        if p < 0.5 { return -quantile(1 - p) }
        var low = 0.0, high = 1.0
        while cdf(high) < p { high *= 2 }
        for _ in 0 ..< 200 where high - low > 1e-12 * max(1, high) {
            let middle = (low + high) / 2
            if cdf(middle) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// `I_x(a, b)`, the regularized incomplete beta function, by the continued fraction of Numerical
    /// Recipes (`betacf`, modified Lentz), taken on the side of `x` where it converges fast.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logFront: Double = a * log(x) + b * log(1 - x) - logBeta
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        d = 1 / (abs(d) < tiny ? tiny : d)
        var result = d
        for m in 1 ... 300 {
            let m = Double(m)
            let even: Double = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            let odd: Double = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            for numerator in [even, odd] {
                d = 1 + numerator * d
                d = 1 / (abs(d) < tiny ? tiny : d)
                c = 1 + numerator / c
                if abs(c) < tiny { c = tiny }
                result *= d * c
            }
            if abs(d * c - 1) < 1e-15 { break }
        }
        return result
    }
}
