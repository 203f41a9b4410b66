import Foundation
import Testing
@testable import Evaluation

/// `Fixtures/audit_golden.json`, written by `Fixtures/generate_audit_golden.py` with scikit-learn and SciPy.
private struct AuditGolden: Decodable {
    struct Fit: Decodable {
        let C: Double
        let weights: [[Double]]
        let intercepts: [Double]
        let query_probabilities: [[Double]]
        let sklearn_query_probabilities: [[Double]]
    }
    struct TwoClasses: Decodable {
        let labels: [Int]
        let binary_C2_weights: [Double]
        let binary_C2_intercept: Double
        let query_probabilities: [Double]
    }
    struct Multinomial: Decodable {
        let features: [[Double]]
        let labels: [Int]
        let queries: [[Double]]
        let c_one: Fit, c_tenth: Fit
        let two_classes: TwoClasses
    }
    struct KSCase: Decodable { let a: [Double]; let b: [Double]; let statistic: Double; let p_value: Double }
    struct AUROC: Decodable { let positive: [Double]; let negative: [Double]; let auroc: Double }
    let multinomial: Multinomial
    let ks: [KSCase]
    let auroc: AUROC

    static func load() throws -> AuditGolden { try loadGolden(AuditGolden.self, name: "audit_golden") }
}


@Suite struct AuditStatisticsTests {
    @Test(arguments: ["c_one", "c_tenth"])
    func multinomialLogisticRegressionEqualsScikitLearn(fit name: String) throws {
        let golden = try AuditGolden.load().multinomial
        let reference = name == "c_one" ? golden.c_one : golden.c_tenth
        let model = MultinomialLogisticRegression(features: golden.features, labels: golden.labels,
                                                  inverseRegularization: reference.C)
        // The exact optimum of scikit-learn's objective (its fit polished by Newton steps) …
        #expect(close(model.weights.flatMap { $0 }, reference.weights.flatMap { $0 }, tolerance: 1e-8))
        #expect(close(model.intercepts, reference.intercepts, tolerance: 1e-8))
        #expect(Swift.abs(model.intercepts.reduce(0, +)) < 1e-8)
        #expect(close(golden.queries.flatMap(model.probabilities), reference.query_probabilities.flatMap { $0 },
                      tolerance: 1e-8))
        // … and scikit-learn's own fit, to the precision its solver stops at.
        #expect(close(golden.queries.flatMap(model.probabilities), reference.sklearn_query_probabilities.flatMap { $0 },
                      tolerance: 2e-7))
    }

    /// Two classes: scikit-learn fits a binary problem; the softmax over two penalised rows is that fit
    /// with C doubled, its row difference the binary weights.
    @Test func twoClassSoftmaxIsTheBinaryFitWithCDoubled() throws {
        let golden = try AuditGolden.load().multinomial
        let model = MultinomialLogisticRegression(features: golden.features, labels: golden.two_classes.labels)
        let difference = zip(model.weights[1], model.weights[0]).map { $0 - $1 }
        #expect(close(difference, golden.two_classes.binary_C2_weights, tolerance: 1e-6))
        #expect(Swift.abs(model.intercepts[1] - model.intercepts[0] - golden.two_classes.binary_C2_intercept) < 1e-6)
        #expect(close(golden.queries.map { model.probabilities($0)[1] }, golden.two_classes.query_probabilities,
                      tolerance: 1e-7))
    }

    @Test func kolmogorovSmirnovEqualsSciPy() throws {
        let cases = try AuditGolden.load().ks
        #expect(cases.count == 7)
        for (number, reference) in cases.enumerated() {
            let result = kolmogorovSmirnov(reference.a, reference.b)
            #expect(Swift.abs(result.statistic - reference.statistic) < 1e-12, "case \(number)")
            #expect(Swift.abs(result.pValue - reference.p_value) <= 1e-9 * Swift.max(1, reference.p_value) + 1e-15,
                    "case \(number): \(result.pValue) vs SciPy \(reference.p_value)")
            #expect(result.sizes == [reference.a.count, reference.b.count])
        }
    }

    @Test func aurocEqualsScikitLearnWithTies() throws {
        let golden = try AuditGolden.load().auroc
        let value = try #require(areaUnderROC(positive: golden.positive, negative: golden.negative))
        #expect(Swift.abs(value - golden.auroc) < 1e-12)
        #expect(areaUnderROC(positive: [1, 2], negative: [0]) == 1)
        #expect(areaUnderROC(positive: [1], negative: [1]) == 0.5)
        #expect(areaUnderROC(positive: [], negative: [1]) == nil)
    }

    @Test func stratifiedFoldsSpreadEveryClass() {
        let labels = Array(repeating: 0, count: 11) + Array(repeating: 1, count: 5)
        let folds = stratifiedFolds(labels: labels, folds: 5, seed: 3)
        for fold in 0 ..< 5 {
            let members = labels.indices.filter { folds[$0] == fold }
            #expect([2, 3].contains(members.filter { labels[$0] == 0 }.count))
            #expect(members.filter { labels[$0] == 1 }.count == 1)
        }
        #expect(folds == stratifiedFolds(labels: labels, folds: 5, seed: 3))
        #expect(folds != stratifiedFolds(labels: labels, folds: 5, seed: 4))
    }
}
