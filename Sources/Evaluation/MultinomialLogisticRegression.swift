import Foundation
import Tensors

/// Multinomial (softmax) logistic regression with an L2 penalty on the weights: scikit-learn's
/// `LogisticRegression(C=C)` on `K ≥ 2` classes (its default `lbfgs` solver, multinomial loss), the
/// embedding probe and head re-fit of the erasure audit.
///
/// With rows `xᵢ` (`d` features), labels `yᵢ ∈ 0..<K`, `zᵢ = W xᵢ + b` (`W` is `K × d`) it minimises
///
///     J(W, b) = ½‖W‖²_F + C · Σᵢ [log Σ_k e^{z_ik} − z_{i yᵢ}]
///
/// The intercepts `b` are not penalised. Softmax is unchanged by adding one constant to every class's
/// weights or intercept; the penalty pins `W` (its class-sum is 0 at the optimum) and, as in
/// scikit-learn, starting from zero keeps `Σ_k b_k = 0`, since every gradient step has zero sum over
/// classes. So the fit is unique and equals scikit-learn's to its tolerance
/// (`Tests/EvaluationTests/Fixtures/generate_multinomial_golden.py` compares both).
///
/// Solved by L-BFGS (memory 10, backtracking Armijo line search) in `Double` until the largest
/// gradient entry is below `tolerance · max(1, |J|)` (default 1e-11). Two classes give scikit-learn's *multinomial* fit (a
/// softmax over two penalised weight vectors), which is ``LogisticRegression``'s with `C` doubled.
///
/// ```swift
/// let model = MultinomialLogisticRegression(features: [[0], [1], [5], [6], [10], [11]], labels: [0, 0, 1, 1, 2, 2])
/// model.predict([5.5])          // 1
/// model.probabilities([5.5])    // [≈ 0.0, ≈ 1.0, ≈ 0.0]
/// ```
public struct MultinomialLogisticRegression: Sendable, Equatable {
    /// `K × d` coefficients, row `k` for class `k` (scikit-learn `coef_`).
    public let weights: [[Double]]
    /// `K` intercepts (scikit-learn `intercept_`), summing to 0.
    public let intercepts: [Double]

    /// Fits the model to `features[i]` (every row the same length `d > 0`) with `labels[i] ∈ 0..<classCount`.
    ///
    /// - Parameters:
    ///   - classCount: `K`; by default one more than the largest label. A class without examples gets
    ///     a weight row of zeros and the lowest intercept the data push it to.
    ///   - inverseRegularization: scikit-learn's `C`. Default 1.
    ///   - tolerance: the fit stops once every gradient entry is below `tolerance · max(1, |J|)`. The
    ///     default 1e-11 is the exact optimum for practical purposes; 1e-6 is plenty for a probe.
    /// - Precondition: at least two classes, finite features, labels in range.
    public init(features: [[Double]], labels: [Int], classCount: Int? = nil, inverseRegularization: Double = 1,
                tolerance: Double = 1e-11) {
        let k = classCount ?? ((labels.max() ?? 0) + 1)
        checkPrecondition(features.count == labels.count && !features.isEmpty,
                          "MultinomialLogisticRegression: \(features.count) rows and \(labels.count) labels")
        checkPrecondition(k >= 2, "MultinomialLogisticRegression: needs at least 2 classes, got \(k)")
        checkPrecondition(labels.allSatisfy { (0 ..< k).contains($0) },
                          "MultinomialLogisticRegression: labels outside 0..<\(k)")
        checkPrecondition(inverseRegularization > 0 && inverseRegularization.isFinite,
                          "MultinomialLogisticRegression: C must be positive and finite, got \(inverseRegularization)")
        let d = features[0].count
        checkPrecondition(d > 0 && features.allSatisfy { $0.count == d && $0.allSatisfy(\.isFinite) },
                          "MultinomialLogisticRegression: rows must share one non-zero length and be finite")
        let problem = SoftmaxProblem(rows: features.flatMap { $0 }, labels: labels, featureCount: d, classCount: k,
                                     c: inverseRegularization)
        let theta = minimiseLBFGS(start: [Double](repeating: 0, count: k * (d + 1)), tolerance: tolerance,
                                  objective: problem.evaluate)
        weights = (0 ..< k).map { Array(theta[$0 * d ..< ($0 + 1) * d]) }
        intercepts = Array(theta[k * d ..< k * (d + 1)])
    }

    public var classCount: Int { intercepts.count }

    /// The class scores `W x + b` (scikit-learn `decision_function`).
    public func decisionValues(_ x: [Double]) -> [Double] {
        checkPrecondition(x.count == weights[0].count,
                          "MultinomialLogisticRegression: \(x.count) features, model has \(weights[0].count)")
        return zip(weights, intercepts).map { row, b in zip(row, x).reduce(b) { $0 + $1.0 * $1.1 } }
    }

    /// `softmax(W x + b)` (scikit-learn `predict_proba`).
    public func probabilities(_ x: [Double]) -> [Double] {
        let z = decisionValues(x)
        let top = z.max()!
        let exponentials = z.map { Foundation.exp($0 - top) }
        let sum = exponentials.reduce(0, +)
        return exponentials.map { $0 / sum }
    }

    /// The most probable class (the first on a tie, as scikit-learn's `argmax`).
    public func predict(_ x: [Double]) -> Int {
        let z = decisionValues(x)
        return z.indices.max { z[$0] < z[$1] || (z[$0] == z[$1] && $0 > $1) }!
    }
}

/// ``MultinomialLogisticRegression``'s objective over `θ = [W row-major; b]`.
private struct SoftmaxProblem {
    let rows: [Double]        // n × d, row-major
    let labels: [Int]
    let featureCount: Int     // d
    let classCount: Int       // K
    let c: Double

    /// `J(θ)` and its gradient.
    func evaluate(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
        let (d, k) = (featureCount, classCount)
        var gradient = [Double](repeating: 0, count: theta.count)
        var value = 0.0
        for i in 0 ..< k * d {
            value += 0.5 * theta[i] * theta[i]
            gradient[i] = theta[i]
        }
        var z = [Double](repeating: 0, count: k)
        rows.withUnsafeBufferPointer { x in
            theta.withUnsafeBufferPointer { w in
                gradient.withUnsafeMutableBufferPointer { g in
                    for (i, label) in labels.enumerated() {
                        let row = x.baseAddress! + i * d
                        for kk in 0 ..< k {
                            var sum = w[k * d + kk]
                            let weights = w.baseAddress! + kk * d
                            for j in 0 ..< d { sum += weights[j] * row[j] }
                            z[kk] = sum
                        }
                        let top = z.max()!
                        var total = 0.0
                        for kk in 0 ..< k {
                            z[kk] = Foundation.exp(z[kk] - top)
                            total += z[kk]
                        }
                        value += c * (Foundation.log(total) + top - (Foundation.log(z[label]) + top))
                        for kk in 0 ..< k {
                            let residual = c * (z[kk] / total - (kk == label ? 1 : 0))
                            let weights = g.baseAddress! + kk * d
                            for j in 0 ..< d { weights[j] += residual * row[j] }
                            g[k * d + kk] += residual
                        }
                    }
                }
            }
        }
        return (value, gradient)
    }
}

/// Minimises a smooth convex function by L-BFGS (the last 10 curvature pairs, backtracking line search
/// under the Armijo condition) until the largest gradient entry falls below `tolerance · max(1, |f|)`,
/// no step decreases `f`, or 2000 iterations pass.
func minimiseLBFGS(start: [Double], tolerance: Double,
                   objective: ([Double]) -> (value: Double, gradient: [Double])) -> [Double] {
    var x = start
    var (value, gradient) = objective(x)
    var pairs: [(s: [Double], y: [Double], rho: Double)] = []
    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    for _ in 0 ..< 2000 {
        if gradient.map(Swift.abs).max()! <= tolerance * Swift.max(1, Swift.abs(value)) { break }
        // Two-loop recursion: direction = −H·g.
        var q = gradient
        var alphas: [Double] = []
        for pair in pairs.reversed() {
            let alpha = pair.rho * dot(pair.s, q)
            alphas.append(alpha)
            for i in q.indices { q[i] -= alpha * pair.y[i] }
        }
        if let last = pairs.last {
            let scale = dot(last.s, last.y) / dot(last.y, last.y)
            for i in q.indices { q[i] *= scale }
        }
        for (pair, alpha) in zip(pairs, alphas.reversed()) {
            let beta = pair.rho * dot(pair.y, q)
            for i in q.indices { q[i] += (alpha - beta) * pair.s[i] }
        }
        var direction = q.map { -$0 }
        var slope = dot(direction, gradient)
        if slope >= 0 {                                            // not a descent direction: restart
            pairs.removeAll()
            direction = gradient.map { -$0 }
            slope = dot(direction, gradient)
        }
        var step = pairs.isEmpty ? Swift.min(1, 1 / gradient.map(Swift.abs).max()!) : 1.0
        var candidate = x, next = (value: value, gradient: gradient), accepted = false
        for _ in 0 ..< 60 {
            candidate = zip(x, direction).map { $0 + step * $1 }
            next = objective(candidate)
            if next.value <= value + 1e-4 * step * slope { accepted = true; break }
            step /= 2
        }
        guard accepted else { break }
        let s = zip(candidate, x).map { $0 - $1 }, y = zip(next.gradient, gradient).map { $0 - $1 }
        let curvature = dot(s, y)
        if curvature > 1e-12 * dot(y, y) {
            pairs.append((s, y, 1 / curvature))
            if pairs.count > 10 { pairs.removeFirst() }
        }
        (x, value, gradient) = (candidate, next.value, next.gradient)
    }
    return x
}
