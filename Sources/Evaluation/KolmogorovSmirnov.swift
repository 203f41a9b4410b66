import Foundation
import Tensors

/// The two-sample Kolmogorov–Smirnov test (two-sided): SciPy's `ks_2samp(a, b)` with its default method.
public struct KolmogorovSmirnovResult: Codable, Sendable, Equatable {
    /// `D = sup_x |F_a(x) − F_b(x)|` of the two empirical distribution functions (right-continuous, so
    /// ties across the samples count together).
    public var statistic: Double
    /// The probability, under the hypothesis that both samples come from one continuous distribution,
    /// of a `D` at least this large.
    public var pValue: Double
    public var sizes: [Int]
}

/// Tests whether `a` and `b` come from the same continuous distribution.
///
/// The p-value is exact, as SciPy computes it for samples of up to 10,000 values: `h = round(D·lcm(m, n))`
/// and the share of the `binom(m + n, n)` lattice paths from `(0, 0)` to `(m, n)` that leave the band
/// `|x/m − y/n| < h/lcm(m, n)`. For `m = n` the reflection series
/// `2 Σ_{k ≥ 1} (−1)^{k−1} binom(2n, n − kh) / binom(2n, n)` evaluated from the innermost term
/// outwards; otherwise Hodges' "inside" recursion over the columns of the lattice, carried as the
/// probability of having left the band (Viehmann 2021) so that no large binomial is formed. Larger
/// samples, or a recursion that leaves `[0, 1]`, use Kolmogorov's limit with Stephens' correction,
/// `Q((√e + 0.12 + 0.11/√e)·D)` for `e = mn/(m + n)`.
///
/// ```swift
/// kolmogorovSmirnov([1, 2, 3, 4], [5, 6, 7, 8]).statistic   // 1.0
/// kolmogorovSmirnov([1, 2, 3, 4], [5, 6, 7, 8]).pValue      // 0.0286 (= 2/binom(8, 4))
/// ```
///
/// - Precondition: both samples non-empty and finite.
public func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> KolmogorovSmirnovResult {
    checkPrecondition(!a.isEmpty && !b.isEmpty, "kolmogorovSmirnov: both samples must be non-empty")
    checkPrecondition(a.allSatisfy(\.isFinite) && b.allSatisfy(\.isFinite), "kolmogorovSmirnov: values must be finite")
    let (x, y) = (a.sorted(), b.sorted())
    let (m, n) = (x.count, y.count)
    var (i, j, d) = (0, 0, 0.0)
    while i < m || j < n {
        let value = Swift.min(i < m ? x[i] : .infinity, j < n ? y[j] : .infinity)
        while i < m && x[i] <= value { i += 1 }
        while j < n && y[j] <= value { j += 1 }
        d = Swift.max(d, Swift.abs(Double(i) / Double(m) - Double(j) / Double(n)))
    }
    var result = KolmogorovSmirnovResult(statistic: d, pValue: 1, sizes: [m, n])
    let g = greatestCommonDivisor(m, n), lcm = (m / g) * n
    if Swift.max(m, n) <= 10_000 {
        let h = Int((d * Double(lcm)).rounded(.toNearestOrEven))
        result.statistic = Double(h) / Double(lcm)
        guard h > 0 else { return result }
        let p = m == n ? probabilityOutsideSquare(n: n, h: h) : probabilityOutsideBand(m: m, n: n, g: g, h: h)
        if (0 ... 1).contains(p) {
            result.pValue = p
            return result
        }
    }
    let e = Double(m) * Double(n) / Double(m + n)
    result.pValue = Swift.min(Swift.max(kolmogorovSurvival((e.squareRoot() + 0.12 + 0.11 / e.squareRoot()) * d), 0), 1)
    return result
}

private func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int { b == 0 ? a : greatestCommonDivisor(b, a % b) }

/// `P(D_{n,n} ≥ h/n)` by the reflection series, innermost term first: `P = 2·A₁(1 − A₂(1 − A₃(…)))`
/// where `A_k` is `binom(2n, n − kh)/binom(2n, n − (k−1)h)` written as a product of `h` ratios.
private func probabilityOutsideSquare(n: Int, h: Int) -> Double {
    var p = 0.0
    for k in stride(from: n / h, through: 0, by: -1) {
        var term = 1.0
        for j in 0 ..< h { term = Double(n - k * h - j) * term / Double(n + k * h + j + 1) }
        p = term * (1 - p)
    }
    return 2 * p
}

/// The share of lattice paths from `(0, 0)` to `(m, n)` that reach `|x·n/g − y·m/g| ≥ h` somewhere,
/// one column `x` at a time over the window of `y` still inside the band; each entry holds the
/// probability that a path to that point has already left it.
private func probabilityOutsideBand(m: Int, n: Int, g: Int, h: Int) -> Double {
    let (m, n) = m >= n ? (m, n) : (n, m)
    let (mg, ng) = (m / g, n / g)
    func floorDivision(_ a: Int, _ b: Int) -> Int { Int((Double(a) / Double(b)).rounded(.down)) }
    func ceilingDivision(_ a: Int, _ b: Int) -> Int { Int((Double(a) / Double(b)).rounded(.up)) }
    var low = 0, high = Swift.min(ceilingDivision(h, mg), n + 1)
    var length = high - low
    var column = [Double](repeating: 1, count: Swift.min(2 * high + 2, n + 1))
    for y in low ..< high { column[y] = 0 }
    for x in 1 ... m {
        let (lastLow, lastLength) = (low, length)
        low = Swift.min(Swift.max(floorDivision(ng * x - h, mg) + 1, 0), n)
        high = Swift.min(ceilingDivision(ng * x + h, mg), n + 1)
        if high <= low { return 1 }
        var value = low == 0 ? 0.0 : 1.0
        for offset in 0 ..< (high - low) {
            let y = offset + low
            value = (column[offset + low - lastLow] * Double(x) + value * Double(y)) / Double(x + y)
            column[offset] = value
        }
        length = high - low
        if lastLength > length {
            for k in length ..< Swift.min(lastLength, column.count) { column[k] = 1 }
        }
    }
    return column[high - low - 1]
}

/// Kolmogorov's limiting survival function `Q(λ) = 2 Σ_{k ≥ 1} (−1)^{k−1} e^{−2k²λ²}`.
private func kolmogorovSurvival(_ lambda: Double) -> Double {
    guard lambda > 1e-8 else { return 1 }
    var sum = 0.0, sign = 1.0
    for k in 1 ... 100 {
        let term = Foundation.exp(-2 * Double(k * k) * lambda * lambda)
        sum += sign * term
        if term < 1e-16 * Swift.abs(sum) { break }
        sign = -sign
    }
    return 2 * sum
}

/// The area under the ROC curve of scores that should rank `positive` above `negative`: the share of
/// (positive, negative) pairs ordered correctly, ties counting half (the Mann–Whitney U / `mn`;
/// scikit-learn's `roc_auc_score`). `nil` when either list is empty.
public func areaUnderROC(positive: [Double], negative: [Double]) -> Double? {
    guard !positive.isEmpty, !negative.isEmpty else { return nil }
    let sortedNegative = negative.sorted()
    var pairs = 0.0
    for score in positive {
        var below = 0, notAbove = 0                          // negatives < score, negatives ≤ score
        var (lo, hi) = (0, sortedNegative.count)
        while lo < hi { let mid = (lo + hi) / 2; if sortedNegative[mid] < score { lo = mid + 1 } else { hi = mid } }
        below = lo
        (lo, hi) = (below, sortedNegative.count)
        while lo < hi { let mid = (lo + hi) / 2; if sortedNegative[mid] <= score { lo = mid + 1 } else { hi = mid } }
        notAbove = lo
        pairs += Double(below) + 0.5 * Double(notAbove - below)
    }
    return pairs / (Double(positive.count) * Double(negative.count))
}

/// Example indices dealt into `folds` stratified folds: each class's examples shuffled by a generator
/// seeded from `seed` and dealt round-robin, so every fold holds `⌊n_c/k⌋` or `⌈n_c/k⌉` of class `c`
/// (scikit-learn's `StratifiedKFold(shuffle=True)` in spirit, not its exact assignment). Returns the
/// fold of each example.
public func stratifiedFolds(labels: [Int], folds: Int, seed: UInt64) -> [Int] {
    checkPrecondition(folds >= 2, "stratifiedFolds: needs at least 2 folds, got \(folds)")
    var generator = SplitMix64(seed: seed)
    var fold = [Int](repeating: 0, count: labels.count)
    for label in Set(labels).sorted() {
        var members = labels.indices.filter { labels[$0] == label }
        generator.shuffleReproducibly(&members)
        for (position, index) in members.enumerated() { fold[index] = position % folds }
    }
    return fold
}
