import Foundation
import Tensors

/// Binary logistic regression with an L2 penalty on the weights: scikit-learn's
/// `LogisticRegression()` (the attack model of both membership-inference attacks, SPEC §4 MIA).
///
/// With labels `yᵢ ∈ {0, 1}`, sample weights `sᵢ`, `zᵢ = w·xᵢ + b` and `σ(z) = 1 / (1 + e⁻ᶻ)`, it
/// minimises sklearn's objective
///
///     J(w, b) = ½‖w‖² + C · Σᵢ sᵢ · [log(1 + e^{zᵢ}) − yᵢ zᵢ]
///
/// The intercept `b` is not penalised; `C` is `inverseRegularization` (sklearn `C`, default 1.0).
/// Features are used as given: sklearn does not standardise them, and neither does this.
/// `balanced: true` is sklearn's `class_weight="balanced"`: each example of class `c` weighs
/// `n / (2 · n_c)`, so both classes contribute equally; otherwise every `sᵢ = 1`.
///
/// sklearn solves this with L-BFGS to a gradient tolerance of 1e-4; here the problem has a handful of
/// features, so Newton's method (iteratively reweighted least squares) in `Double` finds the exact
/// optimum in a few steps:
///
///     g = [w; 0] + C Σᵢ sᵢ (σ(zᵢ) − yᵢ) x̃ᵢ          x̃ᵢ = [xᵢ; 1]
///     H = diag(1, …, 1, 0) + C Σᵢ sᵢ σ(zᵢ)(1 − σ(zᵢ)) x̃ᵢ x̃ᵢᵀ
///     (w, b) ← (w, b) − t · H⁻¹ g                   t halved until J decreases enough (Armijo)
///
/// J is strictly convex in `w`, and in `b` whenever both classes are present, so the optimum is
/// unique and sklearn's fit agrees with it to sklearn's own tolerance (about 1e-4 on the weights;
/// `Tests/EvaluationTests/Fixtures/generate_mia_golden.py` compares both).
///
/// ```swift
/// let model = LogisticRegression(features: [[0], [1], [2], [3]], labels: [false, false, true, true])
/// model.predict([2.5])       // true
/// model.probability([1.5])   // ≈ 0.5: the data are symmetric about 1.5
/// ```
public struct LogisticRegression: Sendable, Equatable {
    /// The coefficients `w`, one per feature (sklearn `coef_[0]`).
    public let weights: [Double]
    /// The unpenalised bias `b` (sklearn `intercept_[0]`).
    public let intercept: Double

    /// Fits the model to `features[i]` (one row per example, every row the same length) with
    /// `labels[i]` (`true` = class 1, e.g. "member").
    ///
    /// - Parameters:
    ///   - inverseRegularization: sklearn's `C`; larger means a weaker penalty. Default 1.0 as sklearn's.
    ///   - balanced: sklearn's `class_weight="balanced"`; default `false` as sklearn's `None`.
    /// - Precondition: at least one example of each class; rows of equal, non-zero length; finite
    ///   features; `inverseRegularization > 0`.
    public init(features: [[Double]], labels: [Bool], inverseRegularization: Double = 1, balanced: Bool = false) {
        checkPrecondition(
            features.count == labels.count,
            "LogisticRegression: \(features.count) feature rows but \(labels.count) labels")
        checkPrecondition(
            inverseRegularization > 0 && inverseRegularization.isFinite,
            "LogisticRegression: inverseRegularization (C) must be positive and finite, got \(inverseRegularization)")
        let positives = labels.filter { $0 }.count, negatives = labels.count - positives
        checkPrecondition(
            positives > 0 && negatives > 0,
            "LogisticRegression: needs both classes, got \(positives) positive and \(negatives) negative labels")
        let d = features[0].count
        checkPrecondition(d > 0, "LogisticRegression: feature rows must not be empty")
        for (i, row) in features.enumerated() {
            checkPrecondition(row.count == d, "LogisticRegression: row \(i) has \(row.count) features, row 0 has \(d)")
            checkPrecondition(row.allSatisfy(\.isFinite), "LogisticRegression: row \(i) has a non-finite feature: \(row)")
        }

        let n = Double(labels.count)
        let sampleWeights = labels.map { label in
            balanced ? n / (2 * Double(label ? positives : negatives)) : 1
        }
        let problem = Problem(
            rows: features.map { $0 + [1] }, targets: labels.map { $0 ? 1 : 0 },
            weights: sampleWeights.map { $0 * inverseRegularization }, featureCount: d)
        let theta = problem.minimise()
        weights = Array(theta[..<d])
        intercept = theta[d]
    }

    /// The log-odds `w·x + b` of class 1 (sklearn `decision_function`).
    public func decisionValue(_ x: [Double]) -> Double {
        checkPrecondition(x.count == weights.count, "LogisticRegression: \(x.count) features, model has \(weights.count)")
        return zip(weights, x).reduce(intercept) { $0 + $1.0 * $1.1 }
    }

    /// `P(class 1 | x) = σ(w·x + b)` (sklearn `predict_proba(x)[:, 1]`).
    public func probability(_ x: [Double]) -> Double { Self.sigmoid(decisionValue(x)) }

    /// Class 1 exactly when `w·x + b > 0` (sklearn `predict`: a point on the boundary is class 0).
    public func predict(_ x: [Double]) -> Bool { decisionValue(x) > 0 }

    /// `1 / (1 + e⁻ᶻ)`, without overflow for either sign of `z`.
    static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + Foundation.exp(-z)) : Foundation.exp(z) / (1 + Foundation.exp(z))
    }

    /// `log(1 + eᶻ)`, without overflow.
    static func softplus(_ z: Double) -> Double { Swift.max(z, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(z))) }
}

/// The objective of ``LogisticRegression`` over `θ = [w; b]`, with `C` folded into the sample weights.
private struct Problem {
    let rows: [[Double]]       // x̃ᵢ = [xᵢ; 1]
    let targets: [Double]      // yᵢ ∈ {0, 1}
    let weights: [Double]      // C · sᵢ
    let featureCount: Int      // d: θ has d + 1 entries, the last is b (not penalised)

    func objective(_ theta: [Double]) -> Double {
        var value = 0.5 * theta[..<featureCount].reduce(0) { $0 + $1 * $1 }
        for i in rows.indices {
            let z = dot(rows[i], theta)
            value += weights[i] * (LogisticRegression.softplus(z) - targets[i] * z)
        }
        return value
    }

    /// Damped Newton from θ = 0 until the Newton decrement `½ gᵀH⁻¹g` is negligible.
    func minimise() -> [Double] {
        let m = featureCount + 1
        var theta = [Double](repeating: 0, count: m)
        var value = objective(theta)
        for _ in 0 ..< 100 {
            var gradient = [Double](repeating: 0, count: m)
            var hessian = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
            for j in 0 ..< featureCount {
                gradient[j] = theta[j]
                hessian[j][j] = 1
            }
            for i in rows.indices {
                let p = LogisticRegression.sigmoid(dot(rows[i], theta))
                let residual = weights[i] * (p - targets[i]), curvature = weights[i] * p * (1 - p)
                for j in 0 ..< m {
                    gradient[j] += residual * rows[i][j]
                    for k in 0 ... j { hessian[j][k] += curvature * rows[i][j] * rows[i][k] }
                }
            }
            for j in 0 ..< m { for k in 0 ..< j { hessian[k][j] = hessian[j][k] } }
            let step = solveSymmetricPositiveDefinite(hessian, gradient)
            let decrement = dot(gradient, step)  // gᵀH⁻¹g ≥ 0
            if decrement / 2 <= 1e-15 * (1 + Swift.abs(value)) { break }
            var t = 1.0
            while t >= 1e-10 {
                let candidate = zip(theta, step).map { $0 - t * $1 }
                let candidateValue = objective(candidate)
                if candidateValue <= value - 1e-4 * t * decrement { break }
                t /= 2
            }
            if t < 1e-10 { break }  // no decrease left to find: rounding, at the optimum
            theta = zip(theta, step).map { $0 - t * $1 }
            value = objective(theta)
        }
        return theta
    }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}

/// Solves `A x = b` for a small symmetric positive definite `A` by Cholesky (`A = L Lᵀ`). A ridge of
/// 1e-12 · max diagonal keeps the factorisation alive when the intercept's curvature underflows
/// (every example fitted with probability ≈ 1).
private func solveSymmetricPositiveDefinite(_ a: [[Double]], _ b: [Double]) -> [Double] {
    let m = b.count
    let ridge = 1e-12 * Swift.max(a.indices.map { a[$0][$0] }.max() ?? 1, 1)
    var l = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
    for j in 0 ..< m {
        var diagonal = a[j][j] + ridge
        for k in 0 ..< j { diagonal -= l[j][k] * l[j][k] }
        l[j][j] = Swift.max(diagonal, ridge).squareRoot()
        for i in (j + 1) ..< m {
            var value = a[i][j]
            for k in 0 ..< j { value -= l[i][k] * l[j][k] }
            l[i][j] = value / l[j][j]
        }
    }
    var y = [Double](repeating: 0, count: m)  // L y = b
    for i in 0 ..< m {
        y[i] = (b[i] - (0 ..< i).reduce(0) { $0 + l[i][$1] * y[$1] }) / l[i][i]
    }
    var x = [Double](repeating: 0, count: m)  // Lᵀ x = y
    for i in stride(from: m - 1, through: 0, by: -1) {
        x[i] = (y[i] - ((i + 1) ..< m).reduce(0) { $0 + l[$1][i] * x[$1] }) / l[i][i]
    }
    return x
}
