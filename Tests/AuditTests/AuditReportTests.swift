import Foundation
import Testing
@testable import Audit

/// A measurement with every value given, for the band and verdict arithmetic.
func measurement(forgetAccuracy: Double = 0, probeRecall: Double = 80, rowNormZ: Double = 0, biasZ: Double = -1,
                 confidences: [Double] = [-4, -5, -6, -3, -4.5, -5.5], distributions: [[Double]]? = nil,
                 relearningArea: Double = 10) -> ModelMeasurement {
    let curve = { (mode: RelearningCurve.Mode) in
        RelearningCurve(mode: mode, shots: 1, steps: [0, 100], forgetAccuracy: [0, 2 * relearningArea])
    }
    return ModelMeasurement(
        key: "", forgetAccuracy: forgetAccuracy, informationLeakage: 1, probeRecall: probeRecall, probeAUROC: 95,
        neighbourRecall: 70, headRefitAccuracy: 60, relearning: [curve(.wholeModel), curve(.lastLayer)],
        retainOnlyAccuracy: [0], verificationEER: 20, rowNormZ: rowNormZ, biasZ: biasZ, distanceToOriginal: 0.5,
        forgetConfidences: confidences, forgetTrainCount: 4,
        neighbourDistributions: distributions ?? confidences.indices.map { [-0.1 * Double($0 % 3), -1, -2] },
        seconds: [:])
}

private var configuration: AuditConfiguration {
    var configuration = AuditConfiguration()
    configuration.relearnShots = [1]
    configuration.relearnCheckpoints = [100]
    configuration.retainOnlyLearningRates = [1e-3]
    configuration.probeFolds = 2
    return configuration
}

private let oracles = [measurement(probeRecall: 78, rowNormZ: -0.5), measurement(probeRecall: 82, rowNormZ: 0.4),
                       measurement(probeRecall: 80, rowNormZ: 0.1)]

@Suite struct AuditReportTests {
    @Test func theBandIsTheOracleSpreadWidenedByTheMargin() {
        let row = AuditReport.Row.judged(test: "t", level: .inside, unit: "%", original: 100, unlearned: 86,
                                         oracles: [78, 82, 80], margin: 5, deviations: 2, upperOnly: false)
        // mean 80, σ 2: mean ± 2σ = 76…84, min − 5 = 73, max + 5 = 87.
        #expect(row.band == AuditReport.Band(lower: 73, upper: 87, upperOnly: false))
        #expect(row.passed == true)
        let wide = AuditReport.Row.judged(test: "t", level: .inside, unit: "%", original: nil, unlearned: 86,
                                          oracles: [70, 90, 80], margin: 1, deviations: 2, upperOnly: false)
        #expect(wide.band == AuditReport.Band(lower: 60, upper: 100, upperOnly: false))      // 80 ± 2·10
        let upper = AuditReport.Row.judged(test: "t", level: .inside, unit: "%", original: nil, unlearned: -50,
                                           oracles: [0, 0, 0], margin: 5, deviations: 2, upperOnly: true)
        #expect(upper.passed == true)                                                      // only above fails
        let one = AuditReport.Row.judged(test: "t", level: .inside, unit: "%", original: nil, unlearned: 3,
                                         oracles: [3, nil], margin: 5, deviations: 2, upperOnly: false)
        #expect(one.band == nil && one.passed == nil)                                      // no band from one value
        // A band over every possible value cannot fail: no power, even for a test that traces the erasure.
        let everything = AuditReport.Row.judged(test: "t", level: .outputs, unit: "%", original: 88, unlearned: 99,
                                                oracles: [57, 98, 90], margin: 5, deviations: 2, upperOnly: true,
                                                tracesErasure: true)
        #expect(everything.band!.upper >= 100 && everything.powerless && everything.passed == nil)
        let statistic = AuditReport.Row.judged(test: "t", level: .outputs, unit: "D", original: 1, unlearned: 0.9,
                                               oracles: [0.2, 0.9, 0.95], margin: 0.05, deviations: 2, upperOnly: true)
        #expect(statistic.powerless && statistic.passed == nil)
        let traced = AuditReport.Row.judged(test: "t", level: .outputs, unit: "%", original: 88, unlearned: 99,
                                            oracles: [60, 62, 65], margin: 5, deviations: 2, upperOnly: true,
                                            tracesErasure: true)
        #expect(!traced.powerless && traced.passed == false)                 // 70 at most: the original's 88 does not matter
    }

    @Test func aModelLikeTheOraclesIsIndistinguishable() throws {
        let report = try AuditReport(original: measurement(forgetAccuracy: 100, probeRecall: 100), unlearned: measurement(),
                                     oracles: oracles, forgetClasses: ["a"], configuration: configuration)
        #expect(report.failures.map(\.test) == [])
        #expect(report.verdict == .indistinguishable)
        #expect(report.summary.hasPrefix("Audit of a: indistinguishable from retraining"))
    }

    @Test func anInsideTellWithRetrainedOutputsIsOutputsOnly() throws {
        let report = try AuditReport(original: measurement(forgetAccuracy: 100), unlearned: measurement(rowNormZ: 30),
                                     oracles: oracles, forgetClasses: ["a"], configuration: configuration)
        #expect(report.failures.map(\.test) == ["forgotten row norm (z against other rows)"])
        #expect(report.verdict == .outputsOnly)
        #expect(report.markdown.contains("**fail**"))
    }

    @Test func outputsThatStillKnowTheClassAreNotForgotten() throws {
        let report = try AuditReport(original: measurement(forgetAccuracy: 100), unlearned: measurement(forgetAccuracy: 40),
                                     oracles: oracles, forgetClasses: ["a"], configuration: configuration)
        #expect(report.verdict == .notForgotten)
        #expect(report.rows.first { $0.test == "forget accuracy" }?.passed == false)
    }

    @Test func confidencesUnlikeTheOraclesFailTheDistributionTests() throws {
        let shifted = measurement(confidences: [6, 5, 7, 4, 6.5, 5.5])
        let report = try AuditReport(original: shifted, unlearned: shifted, oracles: oracles, forgetClasses: ["a"],
                                     configuration: configuration)
        let ks = try #require(report.rows.first { $0.test.hasPrefix("forget quality") })
        #expect(ks.unlearned == 1 && ks.oracles == [0, 0, 0] && ks.passed == false)
        let lira = try #require(report.rows.first { $0.test.hasPrefix("offline LiRA") })
        #expect(lira.unlearned == 100 && lira.passed == false)
        #expect(report.verdict == .notForgotten)
    }

    @Test func changingTheOracleBankMovesTheBand() throws {
        let unlearned = measurement(probeRecall: 95), original = measurement(forgetAccuracy: 100, probeRecall: 100)
        let tight = try AuditReport(original: original, unlearned: unlearned, oracles: oracles, forgetClasses: ["a"],
                                    configuration: configuration)
        let other = [measurement(probeRecall: 88), measurement(probeRecall: 92), measurement(probeRecall: 90)]
        let loose = try AuditReport(original: original, unlearned: unlearned, oracles: other, forgetClasses: ["a"],
                                    configuration: configuration)
        let probe = { (report: AuditReport) in report.rows.first { $0.test == "embedding probe recall" }! }
        #expect(probe(tight).passed == false && probe(loose).passed == true)
        #expect(probe(tight).band != probe(loose).band)
        // Oracles that score like the original leave the test without power: reported, not judged.
        let likeTheOriginal = [measurement(probeRecall: 100), measurement(probeRecall: 98), measurement(probeRecall: 99)]
        let weak = try AuditReport(original: original, unlearned: unlearned, oracles: likeTheOriginal,
                                   forgetClasses: ["a"], configuration: configuration)
        #expect(probe(weak).powerless && probe(weak).passed == nil)
        #expect(weak.summary.contains("had no power here"))
        #expect(throws: AuditError.tooFewOracles(1)) {
            try AuditReport(original: unlearned, unlearned: unlearned, oracles: [other[0]], forgetClasses: ["a"],
                            configuration: configuration)
        }
    }

    @Test func liraZScoresUseThePoolAndAFloorOnItsSpread() {
        let model = measurement(confidences: [0, 10, 0, 0, 0, 0])
        let pool = [measurement(confidences: [1, 0, 0, 0, 0, 0]), measurement(confidences: [-1, 0, 0, 0, 0, 0])]
        let result = AuditReport.lira(model, pool: pool)
        // Clip 0: z = 0; clip 1: σ floored at 0.25 → z = 40; clips 2, 3: z = 0 (only the 4 training clips count).
        #expect(result.share == 25)
        #expect(Swift.abs(result.meanZ - 10) < 1e-12)
    }

    @Test func theRelearningAreaIsTheMeanAccuracyOverTheSteps() {
        let curve = RelearningCurve(mode: .wholeModel, shots: 5, steps: [0, 10, 25, 50, 100],
                                    forgetAccuracy: [0, 20, 20, 60, 60])
        // (10·10 + 15·20 + 25·40 + 50·60) / 100 = 44.
        #expect(Swift.abs(curve.area - 44) < 1e-12)
    }
}
