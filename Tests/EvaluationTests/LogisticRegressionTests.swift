import Foundation
import Testing
@testable import Evaluation

/// `Fixtures/mia_golden.json`, written by `Fixtures/generate_mia_golden.py` with scikit-learn.
struct MIAGolden: Decodable {
    struct Fit: Decodable {
        let weights: [Double]
        let intercept: Double
        let query_probabilities: [Double]
    }
    struct TwoFeatures: Decodable {
        let features: [[Double]]
        let labels: [Int]
        let queries: [[Double]]
        let plain: Fit, balanced: Fit, c_quarter: Fit
        let default_plain: Fit, default_balanced: Fit
    }
    struct EntropyAttack: Decodable {
        struct Boundary: Decodable { let weight: Double; let intercept: Double; let member_percentage: Double }
        let retain_train_entropies: [Float]
        let test_entropies: [Float]
        let forget_train_entropies: [Float]
        let weight: Double
        let intercept: Double
        let member_percentage: Double
        let multinomial_C2: Boundary
    }
    let sklearn_version: String
    let two_features: TwoFeatures
    let entropy_attack: EntropyAttack

    static func load() throws -> MIAGolden { try loadGolden(MIAGolden.self, name: "mia_golden") }
}


@Suite("LogisticRegression equals scikit-learn")
struct LogisticRegressionTests {
    /// The reference fits are sklearn's objective solved to tol = 1e-12, so both sides are the exact
    /// optimum and agree to 1e-6. sklearn's default fit stops at tol = 1e-4; it agrees to 1e-3.
    @Test(arguments: ["plain", "balanced", "c_quarter"])
    func matchesScikitLearn(_ variant: String) throws {
        let golden = try MIAGolden.load().two_features
        let labels = golden.labels.map { $0 == 1 }
        let (expected, model): (MIAGolden.Fit, LogisticRegression) = switch variant {
        case "plain": (golden.plain, LogisticRegression(features: golden.features, labels: labels))
        case "balanced": (golden.balanced, LogisticRegression(features: golden.features, labels: labels, balanced: true))
        default: (golden.c_quarter, LogisticRegression(features: golden.features, labels: labels, inverseRegularization: 0.25))
        }
        #expect(close(model.weights, expected.weights, tolerance: 1e-6))
        #expect(Swift.abs(model.intercept - expected.intercept) <= 1e-6)
        #expect(close(golden.queries.map(model.probability), expected.query_probabilities, tolerance: 1e-7))
    }

    @Test func agreesWithScikitLearnDefaultsToTheirTolerance() throws {
        let golden = try MIAGolden.load().two_features
        let labels = golden.labels.map { $0 == 1 }
        let plain = LogisticRegression(features: golden.features, labels: labels)
        let balanced = LogisticRegression(features: golden.features, labels: labels, balanced: true)
        #expect(close(plain.weights + [plain.intercept],
                      golden.default_plain.weights + [golden.default_plain.intercept], tolerance: 1e-3))
        #expect(close(balanced.weights + [balanced.intercept],
                      golden.default_balanced.weights + [golden.default_balanced.intercept], tolerance: 1e-3))
    }

    @Test func symmetricDataGiveAProbabilityOfOneHalfAtTheCentre() {
        // Labels flip at 1.5 and the data are symmetric about it, so b = −1.5·w and P(1.5) = ½.
        let model = LogisticRegression(features: [[0], [1], [2], [3]], labels: [false, false, true, true])
        #expect(model.weights[0] > 0)
        #expect(Swift.abs(model.intercept + 1.5 * model.weights[0]) < 1e-12)
        #expect(Swift.abs(model.probability([1.5]) - 0.5) < 1e-12)
        #expect(model.predict([2.5]) && !model.predict([0.5]))
        // Stationarity by hand: ∂J/∂b = Σ (σ(zᵢ) − yᵢ) = 0 and ∂J/∂w = w + Σ (σ(zᵢ) − yᵢ) xᵢ = 0.
        let residuals = zip([0.0, 1, 2, 3], [0.0, 0, 1, 1]).map { model.probability([$0]) - $1 }
        #expect(Swift.abs(residuals.reduce(0, +)) < 1e-12)
        #expect(Swift.abs(model.weights[0] + zip(residuals, [0.0, 1, 2, 3]).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-12)
    }

    @Test func separableDataStayFinite() {
        // Perfectly separated: without the penalty w would run to infinity; with it the fit is finite.
        let model = LogisticRegression(features: [[-3], [-2], [-1], [4], [5], [6]],
                                       labels: [false, false, false, true, true, true])
        #expect(model.weights[0].isFinite && model.intercept.isFinite)
        #expect([-3.0, -2, -1].allSatisfy { !model.predict([$0]) })
        #expect([4.0, 5, 6].allSatisfy { model.predict([$0]) })
    }

    @Test func balancingMovesTheBoundaryTowardsTheMajority() {
        // Nine negatives around 0, one positive at 1: unweighted, the rare class is never predicted;
        // balanced, each class weighs n / (2 n_c) (negatives 10/18, the positive 5) and it is.
        let features = (0 ..< 9).map { [Double($0 - 4) * 0.1] } + [[1.0]]
        let labels = Array(repeating: false, count: 9) + [true]
        let plain = LogisticRegression(features: features, labels: labels)
        let balanced = LogisticRegression(features: features, labels: labels, balanced: true)
        #expect(!plain.predict([1.0]))
        #expect(balanced.predict([1.0]))
        #expect(balanced.intercept > plain.intercept)
    }
}
