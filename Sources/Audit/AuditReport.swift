import Evaluation
import Foundation
import Tensors

/// An erasure audit's result: every test of `../shared/AUDIT.md` for the original, the unlearned model
/// and each oracle, the oracles' band, whether the unlearned model lies inside it, and the verdict.
///
/// A test's band is a prediction interval for one more retrained model, holding the value of
/// ``AuditConfiguration/bandCoverage`` of them: the oracles' mean ± `t·s·√(1 + 1/N)` (Student's t, N − 1
/// degrees of freedom), widened to at least their min–max plus the test's stated margin. Tests that
/// compare models with each other (the distribution tests) take their band from pairs of oracles, so it
/// is what separates one retrained model from another. Some tests are
/// one-sided: relearning on retained data alone, the distribution tests and the attacks fail only
/// above the band.
///
/// A test of what the model knows whose band holds the original model's value has **no power** on this
/// data: it would pass a model that forgot nothing (on a small speaker set every embedding identifies
/// the speaker, the oracles' too). It is reported, not judged. Tests that look for a trace the erasure
/// itself leaves (the forgotten row's statistics, the neighbour distribution) keep their power unless
/// the band holds every value the test can take (retrained models that disagree among themselves as
/// much as the attack can measure), when no model could fail it.
///
/// **Verdict**: `indistinguishable from retraining` when every test passes and at least one of them
/// would have failed the original; `inconclusive` when every test passes but the original would too
/// (the oracles disagree so much, or are so few, that no band leaves the original's value out: with 2
/// oracles each band is the mean ± 15.6 of their standard deviations); `outputs only` when every test
/// on the outputs passes (forget accuracy, leakage, the distribution tests) but one that looks inside
/// the model (embedding, head re-fit, relearning, weights, verification) does not; `not forgotten`
/// otherwise.
public struct AuditReport: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable {
        case indistinguishable = "indistinguishable from retraining"
        case outputsOnly = "outputs only"
        case notForgotten = "not forgotten"
        /// Every test passed, but none could have failed the original model either: the oracles
        /// disagree too much (or are too few) for the bands to say anything.
        case inconclusive = "inconclusive"
    }

    /// Whether a test reads the model's outputs or looks inside it.
    public enum Level: String, Codable, Sendable {
        case outputs, inside
    }

    public struct Band: Codable, Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        /// Only values above ``upper`` fail.
        public var upperOnly: Bool

        public func contains(_ value: Double) -> Bool { value <= upper && (upperOnly || value >= lower) }
    }

    /// One test: its value for each model, the band and the outcome.
    public struct Row: Codable, Sendable, Equatable {
        public var test: String
        public var level: Level
        public var unit: String
        public var original: Double?
        public var unlearned: Double?
        public var oracles: [Double?]
        /// `nil` with fewer than two oracle values, or for a test reported without a band.
        public var band: Band?
        /// `nil` when the test could not be judged, or has no power (``powerless``).
        public var passed: Bool?
        /// The band holds the original's value: the test cannot tell a model that forgot from one that did not.
        public var powerless: Bool
        /// What else the test says (a p-value, a mean z, how many examples it had).
        public var note: String?
    }

    public var forgetClasses: [String]
    public var oracleCount: Int
    public var configuration: AuditConfiguration
    public var rows: [Row]
    public var verdict: Verdict
    /// Relearning curves for the charts: "original", "unlearned", "oracle 1", ….
    public var relearning: [String: [RelearningCurve]]
    /// Seconds each model's measurement took (0 for a measurement read from the cache).
    public var seconds: [String: Double]
    /// The oracles' mean training time, when they recorded one: what the exact erasure (retraining
    /// without the classes) costs, for comparison with the unlearning's time.
    public var retrainingSeconds: Double?
    /// With four oracles or more: each oracle judged as if it were the unlearned model, against the bands
    /// of the others (`[i]` lists the tests that set oracle `i + 1` apart; empty when it passed them all).
    /// A retraining set apart by a test is what a false alarm of this audit looks like here: how often
    /// it happens says how much one failed test weighs. The bands from `N − 1` oracles are wider than the
    /// verdict's from `N`, so this errs on the lenient side. `nil` with fewer than four: two oracles' bands
    /// (the mean ± 15.6 standard deviations) would pass almost any retraining and say nothing.
    public var retrainedFailures: [[String]]?

    /// Compares `unlearned` with the oracles (and reports `original` beside them).
    ///
    /// - Throws: ``AuditError/tooFewOracles(_:)`` with fewer than two oracles.
    public init(original: ModelMeasurement, unlearned: ModelMeasurement, oracles: [ModelMeasurement],
                forgetClasses: [String], configuration: AuditConfiguration, seconds: [String: Double] = [:]) throws {
        try self.init(original: original, unlearned: unlearned, oracles: oracles, forgetClasses: forgetClasses,
                      configuration: configuration, seconds: seconds, judgesRetrainedModels: true)
    }

    private init(original: ModelMeasurement, unlearned: ModelMeasurement, oracles: [ModelMeasurement],
                 forgetClasses: [String], configuration: AuditConfiguration, seconds: [String: Double],
                 judgesRetrainedModels: Bool) throws {
        guard oracles.count >= 2 else { throw AuditError.tooFewOracles(oracles.count) }
        self.forgetClasses = forgetClasses
        oracleCount = oracles.count
        self.configuration = configuration
        self.seconds = seconds
        relearning = ["original": original.relearning, "unlearned": unlearned.relearning]
        for (number, oracle) in oracles.enumerated() { relearning["oracle \(number + 1)"] = oracle.relearning }
        let coverage = configuration.bandCoverage
        func row(_ test: String, _ level: Level, unit: String = "%", margin: Double?, upperOnly: Bool = false,
                 tracesErasure: Bool = false, _ value: (ModelMeasurement) -> Double?) -> Row {
            Row.judged(test: test, level: level, unit: unit, original: value(original), unlearned: value(unlearned),
                       oracles: oracles.map(value), margin: margin, coverage: coverage, upperOnly: upperOnly,
                       tracesErasure: tracesErasure)
        }
        var rows = [
            row("forget accuracy", .outputs, margin: 5) { $0.forgetAccuracy },
            row("information leakage", .outputs, margin: 2) { $0.informationLeakage },
        ]
        var retained = row("retain accuracy", .outputs, margin: nil) { $0.retainAccuracy }
        if let mean = retained.oracleSummary?.mean, let unlearned = retained.unlearned {
            retained.note = "reported, not judged (what the model is still for, not what it forgot): "
                + String(format: "%+.1f points against the retrained models' mean of %.1f", unlearned - mean, mean)
        }
        rows.append(retained)
        rows += Self.distributionRows(original: original, unlearned: unlearned, oracles: oracles, configuration: configuration)
        rows += [
            row("embedding probe recall", .inside, margin: 5) { $0.probeRecall },
            row("embedding probe AUROC", .inside, margin: 2) { $0.probeAUROC },
            row("k-NN recall (cosine, k = \(configuration.neighbours))", .inside, margin: 5) { $0.neighbourRecall },
            row("head re-fit forget accuracy", .inside, margin: 5) { $0.headRefitAccuracy },
        ]
        for mode in RelearningCurve.Mode.allCases {
            for shots in configuration.relearnShots {
                rows.append(row("relearning, \(mode.rawValue), \(shots)-shot (mean FA over \(configuration.relearnCheckpoints.last!) steps)",
                                .inside, margin: 5) { measurement in
                    measurement.relearning.first { $0.mode == mode && $0.shots == shots }?.area
                })
            }
        }
        for (index, rate) in configuration.retainOnlyLearningRates.enumerated() {
            rows.append(row("retain-only epoch at lr \(rate): forget accuracy", .inside, margin: 5, upperOnly: true) {
                index < $0.retainOnlyAccuracy.count ? $0.retainOnlyAccuracy[index] : nil
            })
        }
        rows += [
            row("forgotten row norm (z against other rows)", .inside, unit: "z", margin: 1, tracesErasure: true) { $0.rowNormZ },
            row("forgotten row bias (z against other rows)", .inside, unit: "z", margin: 1, tracesErasure: true) { $0.biasZ },
            row("verification EER (cosine, \(configuration.enrolmentClips) enrolment clips)", .inside, margin: 5) {
                $0.verificationEER
            },
        ]
        var distance = row("distance to the original weights (relative)", .inside, unit: "", margin: nil) {
            $0.distanceToOriginal
        }
        distance.note = "reported, not judged: any method that starts from the original sits far closer than a retraining"
        rows.append(distance)
        self.rows = rows
        verdict = Self.verdict(rows)
        if judgesRetrainedModels && oracles.count >= Self.oraclesToJudgeRetraining {
            retrainedFailures = try oracles.indices.map { i in
                try AuditReport(original: original, unlearned: oracles[i], oracles: oracles.indices.filter { $0 != i }.map { oracles[$0] },
                                forgetClasses: forgetClasses, configuration: configuration, seconds: [:],
                                judgesRetrainedModels: false).failures.map(\.test)
            }
        }
    }

    /// The fewest oracles with which each is judged against the others (``retrainedFailures``).
    public static let oraclesToJudgeRetraining = 4

    /// The verdict the rows give (see the type's documentation).
    static func verdict(_ rows: [Row]) -> Verdict {
        let outputsPass = rows.filter { $0.level == .outputs }.allSatisfy { $0.passed != false }
        guard outputsPass else { return .notForgotten }
        guard rows.allSatisfy({ $0.passed != false }) else { return .outputsOnly }
        let tellsTheOriginalApart = rows.contains { row in
            guard row.passed != nil, let band = row.band, let original = row.original else { return false }
            return !band.contains(original)
        }
        return tellsTheOriginalApart ? .indistinguishable : .inconclusive
    }

    /// The rows that set the unlearned model apart from the oracles.
    public var failures: [Row] { rows.filter { $0.passed == false } }

    /// The verdict the original model gets against the same bands (the tests with power): `not
    /// forgotten`, unless the model never learnt the classes in the first place.
    public var originalVerdict: Verdict {
        Self.verdict(rows.map { row in
            var judged = row
            judged.passed = row.powerless ? nil : row.band.flatMap { band in row.original.map(band.contains) }
            return judged
        })
    }

    /// The tests with no power on this data.
    public var powerless: [Row] { rows.filter(\.powerless) }
}

extension AuditReport.Row {
    /// A row whose band comes from the oracles' values; `margin` `nil` reports without judging.
    /// The band holds `coverage` of retrained models' values if they are normal: `mean ± t·s·√(1 + 1/N)`
    /// for the N oracles' mean and sample deviation, t Student's at `(1 + coverage)/2` with N − 1 degrees
    /// of freedom (at `coverage` for an `upperOnly` test, which fails only above); at least the oracles'
    /// min–max plus `margin`.
    /// `tracesErasure`: the test looks for a trace of the erasure itself, so it keeps its power when the
    /// original lies inside the band. A band that holds every value the test can take (0–100 for a
    /// percentage, 0–1 for a KS statistic) leaves it no power either way.
    static func judged(test: String, level: AuditReport.Level, unit: String, original: Double?, unlearned: Double?,
                       oracles: [Double?], margin: Double?, coverage: Double, upperOnly: Bool,
                       tracesErasure: Bool = false) -> Self {
        let values = oracles.compactMap { $0 }
        var row = Self(test: test, level: level, unit: unit, original: original, unlearned: unlearned, oracles: oracles,
                       band: nil, passed: nil, powerless: false, note: nil)
        // Fewer than two values leave no deviation, and no band.
        guard let margin, let summary = row.oracleSummary, let deviation = summary.standardDeviation else { return row }
        let mean = summary.mean, count = Double(values.count)
        let t = StudentT(degreesOfFreedom: count - 1).quantile(upperOnly ? coverage : (1 + coverage) / 2)
        let halfWidth = t * deviation * (1 + 1 / count).squareRoot()
        let band = AuditReport.Band(lower: Swift.min(mean - halfWidth, values.min()! - margin),
                                    upper: Swift.max(mean + halfWidth, values.max()! + margin),
                                    upperOnly: upperOnly)
        row.band = band
        // A band that holds every value the test can take cannot fail, whatever the test looks for.
        let possible: ClosedRange<Double>? = unit == "%" ? 0 ... 100 : unit == "D" ? 0 ... 1 : nil
        let coversAll = possible.map { band.contains($0.lowerBound) && band.contains($0.upperBound) } ?? false
        if coversAll || (!tracesErasure && original.map(band.contains) == true) {
            row.powerless = true
        } else {
            row.passed = unlearned.map(band.contains)
        }
        return row
    }

    /// The oracles' mean and sample standard deviation (`nil` deviation with one value).
    public var oracleSummary: (mean: Double, standardDeviation: Double?)? {
        let values = oracles.compactMap { $0 }
        guard !values.isEmpty else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, nil) }
        return (mean, (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot())
    }
}
