import Audit
import Datasets
import Evaluation
import Foundation
import Training
import Unlearning

/// The setting of an approximate method chosen for one trained model: candidate settings tried on
/// calibration classes over several seeds, each run audited against models retrained without those
/// classes (``auditModel(_:original:data:forgetClasses:oracleCount:configuration:observer:log:)``), and
/// the one the audit finds indistinguishable from retraining most often chosen.
///
/// Why per model: the repair's noise that passes the audit moves with the trained model (FSDD's CNN
/// trained on an AMD Zen 4 passes with σ 2 on 3 of 4 seeds; one trained on an Intel Xeon passes with
/// none of 4 at σ 2 and 3 of 4 at σ 1.25), so a fixed preset cannot be privacy-grade for every model,
/// while a setting audited once on this model can be reused for every later request on it and on the
/// models its erasures produce. The record lives in the checkpoint's metadata (``TrainedModel/calibration``),
/// so erasures carry it forward and a sequence of requests keeps using it.
///
/// The evidence is for the calibration classes: on that Xeon-trained CNN the σ 1.25 that passed for george
/// on 3 of 4 seeds failed for jackson on both seeds tried (his voice came back from one clip through the
/// head alone slower than in a retrained model, and from 25 faster), while on ResNet18 a setting chosen on
/// george passed for jackson on 3 of 4. So an erasure with the calibrated setting is graded
/// ``ErasureGrade/calibrated``, not indistinguishable, and the exact fallback stays offered until an audit
/// of its own request passes.
public struct Calibration: Codable, Sendable, Equatable {
    /// One candidate run with one seed, and what its audit found.
    public struct Trial: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var verdict: AuditReport.Verdict
        /// The tests outside their band.
        public var failedTests: [String]
        public var retainAccuracy: Double?
        /// The erasure's wall time.
        public var seconds: Double
        /// The retraining it replaces, at the rate of the erasure's own steps (``RetrainingCost``).
        public var retrainingSeconds: Double?

        public init(seed: UInt64, verdict: AuditReport.Verdict, failedTests: [String], retainAccuracy: Double?,
                    seconds: Double, retrainingSeconds: Double?) {
            (self.seed, self.verdict, self.failedTests) = (seed, verdict, failedTests)
            (self.retainAccuracy, self.seconds, self.retrainingSeconds) = (retainAccuracy, seconds, retrainingSeconds)
        }

        public var passed: Bool { verdict == .indistinguishable }
    }

    /// A setting tried: the changes over the base preset, and its runs (fewer than the seeds when the
    /// search stopped early: it could no longer be chosen, or an earlier candidate passed every seed).
    public struct Candidate: Codable, Sendable, Equatable {
        /// The settings it changes, as `qpae forget --setting` and scenario files give them.
        public var changes: JSONValue
        public var trials: [Trial]

        public init(changes: JSONValue, trials: [Trial] = []) {
            (self.changes, self.trials) = (changes, trials)
        }

        public var passes: Int { trials.count(where: \.passed) }
        public var failedTestCount: Int { trials.reduce(0) { $0 + $1.failedTests.count } }
    }

    public var method: MethodName
    /// The preset the candidates change (`nil`: the method's defaults).
    public var preset: String?
    /// The classes the candidates forgot and the audit judged.
    public var classes: [String]
    /// The seeds each candidate is run with.
    public var seeds: [UInt64]
    /// Retrained models each audit compared with.
    public var oracleCount: Int
    /// ``TrainedModel/parameterFingerprint`` of the calibrated model.
    public var modelFingerprint: String
    public var dataFingerprint: String
    public var candidates: [Candidate]
    /// The index of the chosen candidate; `nil` when none passed on most seeds.
    public var chosen: Int?
    /// ISO 8601, UTC.
    public var date: String

    /// The preset name that asks `qpae forget` and the service for the calibrated setting.
    public static let presetName = "calibrated"

    /// The candidate that passes on a majority of `seeds` most often, fewer failed tests breaking ties
    /// and then the earlier candidate; `nil` when none does.
    public static func choice(among candidates: [Candidate], seeds: Int) -> Int? {
        candidates.indices.filter { 2 * candidates[$0].passes > seeds }
            .min { a, b in
                let (x, y) = (candidates[a], candidates[b])
                return (-x.passes, x.failedTestCount, a) < (-y.passes, y.failedTestCount, b)
            }
    }

    /// Runs `trial` for each of `candidates` (by index) and each of `seeds`, in order, and returns each
    /// candidate's trials: it stops at the first candidate that passes every seed, and leaves a candidate
    /// as soon as it can no longer pass on a majority of seeds or match the most passes so far.
    static func search(candidates: Int, seeds: [UInt64], trial: (Int, UInt64) throws -> Trial) rethrows -> [[Trial]] {
        var trials: [[Trial]] = Array(repeating: [], count: candidates), best = 0
        for index in 0 ..< candidates {
            for (number, seed) in seeds.enumerated() {
                let passes = trials[index].count(where: \.passed), left = seeds.count - number
                if 2 * (passes + left) <= seeds.count || passes + left < best { break }
                trials[index].append(try trial(index, seed))
            }
            best = max(best, trials[index].count(where: \.passed))
            if best == seeds.count { break }
        }
        return trials
    }

    /// The chosen candidate's changes, `nil` when none was chosen.
    public var chosenChanges: JSONValue? { chosen.map { candidates[$0].changes } }

    /// What the choice rests on, in one sentence.
    public var evidence: String {
        guard let chosen else {
            return "no candidate was indistinguishable from retraining on most of \(seeds.count) seeds forgetting "
                + "\(classes.joined(separator: ", ")) (\(oracleCount) retrained models)"
        }
        let candidate = candidates[chosen]
        return "\(candidate.changes) over \(preset.map { "preset \($0)" } ?? "the defaults"): indistinguishable from "
            + "retraining on \(candidate.passes) of \(seeds.count) seeds forgetting \(classes.joined(separator: ", ")) "
            + "(\(oracleCount) retrained models, \(date))"
    }

    /// Writes the record to `url` as JSON, atomically.
    public func write(json url: URL) throws { try ReportJSON.write(self, to: url) }

    /// A Markdown table of every trial.
    public var markdown: String {
        var rows: [[String]] = []
        for (index, candidate) in candidates.enumerated() {
            for trial in candidate.trials {
                let share = trial.retrainingSeconds.map { String(format: " (%.0f%%)", 100 * trial.seconds / $0) } ?? ""
                rows.append(["\(index + 1). \(candidate.changes)" + (index == chosen ? " (chosen)" : ""), String(trial.seed),
                             trial.verdict.rawValue, trial.retainAccuracy.map { String(format: "%.1f", $0) } ?? "–",
                             ProgressReporter.formatDuration(trial.seconds) + share,
                             trial.failedTests.isEmpty ? "none" : trial.failedTests.joined(separator: "; ")])
            }
        }
        let header = ["candidate", "seed", "verdict", "retained accuracy", "time (share of a retraining)", "tests outside the band"]
        return MarkdownTable(header: header, rows: rows, rightAligned: [1, 3]).rendered + "\nChoice: " + evidence + ".\n"
    }
}

/// Tries `candidates` (changes over `preset` of `method`) on `original`, forgetting `classes` with each of
/// `seeds`, audits every run against `oracleCount` models retrained without the classes, and chooses
/// (``Calibration/choice(among:seeds:)``).
///
/// The search stops at the first candidate that passes every seed, and leaves a candidate as soon as it
/// can no longer pass on a majority of seeds or match the best so far. Each run starts from `original`'s
/// file, which is not changed; the oracles and the original's measurement are cached beside it.
///
/// - Throws: ``ExperimentError/incompleteCheckpoint(checkpoint:missing:)`` for an original never saved or
///   without a recipe; ``ConfigurationError`` for a candidate the method refuses (before any run); the
///   errors of unlearning, training and the audit.
public func calibrate(_ original: TrainedModel, data: PreparedData, classes: [Int], method: MethodName, preset: String?,
                      candidates: [JSONValue], seeds: [UInt64], oracleCount: Int = 3,
                      audit configuration: AuditConfiguration = AuditConfiguration(), observer: TrainingObserver = .silent,
                      log: (String) -> Void = { _ in }) throws -> Calibration {
    guard let file = original.file else {
        throw ExperimentError.incompleteCheckpoint(checkpoint: original.fileDescription, missing: "file to calibrate from")
    }
    let methods = try candidates.map { try method.makeMethod(preset: preset, changes: $0) }
    var calibration = Calibration(
        method: method, preset: preset, classes: classes.map { data.classes[$0] }, seeds: seeds, oracleCount: oracleCount,
        modelFingerprint: original.parameterFingerprint, dataFingerprint: data.fingerprint,
        candidates: candidates.map { Calibration.Candidate(changes: $0) }, chosen: nil,
        date: ISO8601DateFormatter().string(from: Date()))
    let trials = try Calibration.search(candidates: methods.count, seeds: seeds) { index, seed in
        log("candidate \(index + 1) of \(methods.count) (\(candidates[index])), seed \(seed)")
        let outcome = try forgetClasses(classes, in: try TrainedModel(contentsOf: file), data: data, method: methods[index],
                                        seed: seed, observer: observer)
        let report = try auditModel(outcome.model, original: original, data: data, forgetClasses: classes,
                                    oracleCount: oracleCount, configuration: configuration, observer: observer, log: log)
        let cost = RetrainingCost.estimate(classes: outcome.requestClasses, audit: report, original: original, data: data,
                                           rate: outcome.run.trainingRate)
        let trial = Calibration.Trial(seed: seed, verdict: report.verdict, failedTests: report.failures.map(\.test),
                                      retainAccuracy: outcome.after.forget?.retainAccuracy, seconds: outcome.run.seconds,
                                      retrainingSeconds: cost.seconds)
        log("candidate \(index + 1), seed \(seed): \(trial.verdict.rawValue)"
            + (trial.failedTests.isEmpty ? "" : " (" + trial.failedTests.joined(separator: "; ") + ")"))
        return trial
    }
    for (index, runs) in trials.enumerated() { calibration.candidates[index].trials = runs }
    calibration.chosen = Calibration.choice(among: calibration.candidates, seeds: seeds.count)
    return calibration
}

extension TrainedModel {
    /// The ``Calibration`` recorded in the checkpoint (`calibration` in its metadata), carried by every
    /// erasure made from it; `nil` when none is.
    public var calibration: Calibration? {
        get {
            metadata.additional[Key.calibration].flatMap { try? ReportJSON.decoder.decode(Calibration.self, from: Data($0.utf8)) }
        }
        set {
            metadata.additional[Key.calibration] = newValue.flatMap {
                (try? ReportJSON.compactEncoder.encode($0)).map { String(decoding: $0, as: UTF8.self) }
            }
        }
    }
}

extension MethodName {
    /// The method as a request names it, made for `model`: its defaults or `preset`, changed by
    /// `changes`, and the grade the result may claim.
    ///
    /// `preset` ``Calibration/presetName`` takes the setting ``calibrate(_:data:classes:method:preset:candidates:seeds:oracleCount:audit:observer:log:)``
    /// chose for the model; with no preset and no changes, a model that records a chosen calibration for
    /// this method gets it too: the audited setting is the default. Only the calibrated setting unchanged
    /// is ``ErasureGrade/calibrated``; any change voids the evidence.
    ///
    /// - Throws: ``ConfigurationError`` (field `preset`) when `calibrated` is asked of a model without a
    ///   chosen calibration for this method; the errors of ``makeMethod(preset:changes:)``.
    public func makeMethod(for model: TrainedModel, preset: String?,
                           changes: JSONValue = .object([:])) throws -> (method: any UnlearningMethod, grade: ErasureGrade) {
        let unchanged = changes == .object([:])
        guard preset == Calibration.presetName || preset == nil && unchanged else {
            return (try makeMethod(preset: preset, changes: changes), grade)
        }
        let recorded = model.calibration
        guard let calibration = recorded, calibration.method == self, let chosen = calibration.chosenChanges else {
            if preset == nil { return (try makeMethod(changes: changes), grade) }
            let found = recorded.map { "its calibration " + ($0.method == self ? "chose none: " + $0.evidence
                                                                                : "is for \($0.method.rawValue)") }
            throw ConfigurationError(field: "preset", problem: .invalidValue(
                reason: "no calibrated setting of \(rawValue) for \(model.fileDescription) ("
                    + (found ?? "it records no calibration: run `qpae calibrate` on it first") + ")"))
        }
        return (try makeMethod(preset: calibration.preset, changes: chosen.merging(changes)),
                unchanged ? .calibrated : grade)
    }
}
