import Foundation
import Tensors
import Testing
@testable import Audit

/// A measurement with every value given, for the band and verdict arithmetic.
func measurement(forgetAccuracy: Double = 0, retainAccuracy: Double = 90, probeRecall: Double = 80, rowNormZ: Double = 0,
                 biasZ: Double = -1,
                 confidences: [Double] = [-4, -5, -6, -3, -4.5, -5.5], distributions: [[Double]]? = nil,
                 relearningArea: Double = 10) -> ModelMeasurement {
    let curve = { (mode: RelearningCurve.Mode) in
        RelearningCurve(mode: mode, shots: 1, steps: [0, 100], forgetAccuracy: [0, 2 * relearningArea])
    }
    return ModelMeasurement(
        key: "", forgetAccuracy: forgetAccuracy, informationLeakage: 1, retainAccuracy: retainAccuracy,
        probeRecall: probeRecall, probeAUROC: 95,
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
    @Test func theBandIsAPredictionIntervalWidenedByTheMargin() {
        let row = AuditReport.Row.judged(test: "t", level: .inside, unit: "%", original: 100, unlearned: 86,
                                         oracles: [78, 82, 80], margin: 5, coverage: 0.95, upperOnly: false)
        // mean 80, s 2: 80 ± t(0.975; 2)·2·√(4/3) (SciPy: 70.0634…89.9366), wider than min − 5 … max + 5.
        #expect(abs(row.band!.lower - 70.06344915299869) < 1e-6 && abs(row.band!.upper - 89.93655084700131) < 1e-6)
        #expect(row.passed == true)
        let wide = AuditReport.Row.judged(test: "t", level: .inside, unit: "%", original: nil, unlearned: 86,
                                          oracles: [70, 90, 80], margin: 1, coverage: 0.95, upperOnly: false)
        #expect(abs(wide.band!.lower - 30.31724576499341) < 1e-6 && abs(wide.band!.upper - 129.6827542350066) < 1e-6)
        let narrow = AuditReport.Row.judged(test: "t", level: .inside, unit: "%", original: nil, unlearned: 86,
                                            oracles: [78, 82, 80], margin: 5, coverage: 0.5, upperOnly: false)
        #expect(narrow.band == AuditReport.Band(lower: 73, upper: 87, upperOnly: false))   // min − 5 … max + 5
        let upper = AuditReport.Row.judged(test: "t", level: .inside, unit: "%", original: nil, unlearned: -50,
                                           oracles: [0, 0, 0], margin: 5, coverage: 0.95, upperOnly: true)
        #expect(upper.passed == true)                                                      // only above fails
        let one = AuditReport.Row.judged(test: "t", level: .inside, unit: "%", original: nil, unlearned: 3,
                                         oracles: [3, nil], margin: 5, coverage: 0.95, upperOnly: false)
        #expect(one.band == nil && one.passed == nil)                                      // no band from one value
        // A band over every possible value cannot fail: no power, even for a test that traces the erasure.
        let everything = AuditReport.Row.judged(test: "t", level: .outputs, unit: "%", original: 88, unlearned: 99,
                                                oracles: [57, 98, 90], margin: 5, coverage: 0.95, upperOnly: true,
                                                tracesErasure: true)
        #expect(everything.band!.upper >= 100 && everything.powerless && everything.passed == nil)
        let statistic = AuditReport.Row.judged(test: "t", level: .outputs, unit: "D", original: 1, unlearned: 0.9,
                                               oracles: [0.2, 0.9, 0.95], margin: 0.05, coverage: 0.95, upperOnly: true)
        #expect(statistic.powerless && statistic.passed == nil)
        let traced = AuditReport.Row.judged(test: "t", level: .outputs, unit: "%", original: 88, unlearned: 99,
                                            oracles: [60, 62, 65], margin: 5, coverage: 0.95, upperOnly: true,
                                            tracesErasure: true)
        // One-sided: t(0.95; 2), upper 70.82 (SciPy); the original's 88 above it does not matter.
        #expect(abs(traced.band!.upper - 70.8186147075719) < 1e-6)
        #expect(!traced.powerless && traced.passed == false)
    }

    /// The band holds one more retrained model's value at least as often as it says, and at 95% as often:
    /// normal values, 3 and 5 oracles, 20,000 seeded draws each, margin 0.
    @Test(arguments: [3, 5], [0.8, 0.95])
    func theBandHoldsItsCoverageOfRetrainedModels(oracleCount: Int, coverage: Double) {
        var generator = SplitMix64(seed: UInt64(oracleCount) * 1000 + UInt64(coverage * 100))
        func normal() -> Double {
            let u = Double.random(in: Double.ulpOfOne ..< 1, using: &generator), v = Double.random(in: 0 ..< 1, using: &generator)
            return 50 + 10 * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let draws = 20_000
        var held = 0, heldBelowTop = 0
        for _ in 0 ..< draws {
            let oracles = (0 ..< oracleCount).map { _ in Optional(normal()) }, next = normal()
            let row = AuditReport.Row.judged(test: "t", level: .inside, unit: "z", original: nil, unlearned: next,
                                             oracles: oracles, margin: 0, coverage: coverage, upperOnly: false)
            let top = AuditReport.Row.judged(test: "t", level: .inside, unit: "z", original: nil, unlearned: next,
                                             oracles: oracles, margin: 0, coverage: coverage, upperOnly: true)
            held += row.passed == true ? 1 : 0
            heldBelowTop += top.passed == true ? 1 : 0
        }
        // Binomial spread at 20,000 draws is under 0.3 points. Widening to the oracles' min–max only adds:
        // a few points for a narrow one-sided band (5 oracles, 80%: 84%), nothing at 95%.
        for (count, limit) in [(held, 0.01), (heldBelowTop, 0.05)] {
            let share = Double(count) / Double(draws)
            #expect(share > coverage - 0.01 && share < coverage + limit, "\(count) of \(draws)")
            if coverage == 0.95 { #expect(abs(share - coverage) < 0.01, "\(count) of \(draws)") }
        }
    }

    @Test func aModelLikeTheOraclesIsIndistinguishable() throws {
        let report = try AuditReport(original: measurement(forgetAccuracy: 100, probeRecall: 100), unlearned: measurement(),
                                     oracles: oracles, forgetClasses: ["a"], configuration: configuration)
        #expect(report.failures.map(\.test) == [])
        #expect(report.verdict == .indistinguishable)
        #expect(report.summary.hasPrefix("Audit of a: indistinguishable from retraining"))
    }

    /// Retained accuracy is reported beside the retrained models' with the gap to their mean, never
    /// judged: a model that forgot perfectly but serves the others worse is still graded on forgetting.
    @Test func retainedAccuracyIsReportedWithItsGapNotJudged() throws {
        let report = try AuditReport(original: measurement(forgetAccuracy: 100, retainAccuracy: 95, probeRecall: 100),
                                     unlearned: measurement(retainAccuracy: 88.5),
                                     oracles: zip(oracles, [91, 90, 89.5]).map { oracle, accuracy in
                                         var measured = oracle
                                         measured.retainAccuracy = accuracy
                                         return measured
                                     }, forgetClasses: ["a"], configuration: configuration)
        let row = try #require(report.rows.first { $0.test == "retain accuracy" })
        #expect(row.unlearned == 88.5 && row.original == 95 && row.oracles == [91, 90, 89.5])
        #expect(row.band == nil && row.passed == nil)
        #expect(row.note?.hasSuffix("-1.7 points against the retrained models' mean of 90.2") == true, "\(row.note ?? "")")
        #expect(report.verdict == .indistinguishable)
        #expect(report.markdown.contains("retain accuracy: reported, not judged"))
    }

    /// An original no band leaves out (it never knew the class better than a retrained model) cannot
    /// show that anything was forgotten: every test passes, and the verdict says that proves nothing.
    @Test func bandsThatHoldTheOriginalAreInconclusive() throws {
        let report = try AuditReport(original: measurement(), unlearned: measurement(), oracles: oracles,
                                     forgetClasses: ["a"], configuration: configuration)
        #expect(report.failures.isEmpty)
        #expect(report.verdict == .inconclusive)
        #expect(report.originalVerdict == .inconclusive)
        #expect(report.summary.contains("but the original would pass them too"))
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

    /// Each oracle is judged against the others: the one whose probe recall lies far from the rest (60
    /// against 78–82: the others' band is 73…87, their min − 5 … max + 5 being wider than 80.25 ±
    /// t(0.975; 3)·1.708·√(5/4) = 74.2…86.3) is the only one set apart; with it among the others, every
    /// band is wide enough for the rest.
    @Test func eachRetrainedModelIsJudgedAgainstTheOthers() throws {
        let original = measurement(forgetAccuracy: 100, probeRecall: 100)
        let five = [78, 82, 80, 81, 60].map { measurement(probeRecall: $0) }
        let report = try AuditReport(original: original, unlearned: measurement(probeRecall: 80), oracles: five,
                                     forgetClasses: ["a"], configuration: configuration)
        #expect(report.retrainedFailures == [[], [], [], [], ["embedding probe recall"]])
        #expect(report.markdown.contains("each against the other 4: 1 of 5 set apart (oracle 5: embedding probe recall)"))
        // The same outlier among four: judged against the other three (75…87) it is still set apart.
        let four = try AuditReport(original: original, unlearned: measurement(probeRecall: 80), oracles: Array(five.suffix(4)),
                                   forgetClasses: ["a"], configuration: configuration)
        #expect(four.retrainedFailures == [[], [], [], ["embedding probe recall"]])
        // Three would judge each against two, whose bands pass almost anything: not measured, and said so.
        let three = try AuditReport(original: original, unlearned: measurement(), oracles: oracles, forgetClasses: ["a"],
                                    configuration: configuration)
        #expect(three.retrainedFailures == nil)
        #expect(three.markdown.contains("is not measured: that needs 4 oracles or more"))
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
