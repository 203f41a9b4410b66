import Audit
import Datasets
import Experiments
import Foundation
import Training
import Unlearning

/// How the service carries out and judges erasures; fixed when it starts.
public struct ServiceSettings: Sendable {
    /// When a new version becomes the active one.
    public enum PromotionPolicy: String, Sendable, CaseIterable {
        /// Only when the audit finds it indistinguishable from retraining (or the method is exact).
        case indistinguishable
        /// After every erasure, whatever the audit says (the verdict is still recorded).
        case always
    }

    /// Models retrained without the subjects that each audit compares with.
    public var oracleCount = 3
    public var audit = AuditConfiguration()
    public var promotion = PromotionPolicy.indistinguishable
    /// Time a request has before its legal deadline (GDPR art. 12(3): one month).
    public var deadline: TimeInterval = 30 * 24 * 3600
    /// Jobs for different models that may run at once.
    public var workerCount = 1
    /// The largest request body accepted, in bytes (larger: 413).
    public var maximumBodyBytes = 64 * 1024
    /// How long a worker's claim on a request holds without renewal (it renews every third of it): a
    /// worker that dies leaves its request to another after at most this long.
    public var lease: TimeInterval = 60
    /// How often an idle worker asks the database for a request.
    public var pollInterval: TimeInterval = 0.5

    public init() {}
}

/// What one run of a request came to.
enum JobResult: Sendable {
    /// Make `sha256` the model's next version and record the erasure.
    case promote(sha256: String, forgottenClasses: [String], outcome: RequestOutcome, record: @Sendable (Int) -> LedgerRecord)
    /// The audit did not pass: keep the outcome and offer retraining.
    case needsExactFallback(RequestOutcome)
}

/// One erasure request carried out: load the request's version of the model, forget its subjects with
/// its method, store the result, audit it against retrained models, and decide.
struct ErasureJob: Sendable {
    var request: ErasureRequest
    var model: RegisteredModel
    var base: ModelVersion
    var store: ModelStore
    var featureCache: URL
    var settings: ServiceSettings
    /// Told where the run stands: the state, the phase's name and its share done.
    var report: @Sendable (ErasureRequest.State, String, Double?) -> Void

    func run() throws -> JobResult {
        let name = try ErasureJob.methodName(request.method)
        report(.running, "loading the model and the data", nil)
        let trained = try store.model(base.sha256)
        let (method, grade) = try name.makeMethod(for: trained, preset: request.preset,
                                                  changes: try JSONValue(parsing: request.configuration))
        guard let dataRequest = trained.recordedDataRequest(path: model.dataPath.map { URL(fileURLWithPath: $0) },
                                                            featureCache: featureCache, showsProgress: false) else {
            throw ServiceError.invalidRequest("model \(model.name) records no dataset: register it with a data path")
        }
        let data = try PreparedData(dataRequest)
        let seed = UInt64(bitPattern: request.seed)
        var outcome = try forgetClasses(try data.classIndices(named: request.subjects), in: trained, data: data,
                                        method: method, seed: seed, observer: observer(state: .running, phase: method.name))
        let sha256 = try store.store(&outcome.model)
        var audit: AuditReport?
        if grade != .exact {
            report(.auditing, "audit", nil)
            audit = try auditModel(outcome.model, original: trained, data: data, oracleCount: settings.oracleCount,
                                   configuration: settings.audit, observer: observer(state: .auditing, phase: "audit"),
                                   log: { report(.auditing, $0, nil) })
        }
        let cost = RetrainingCost.estimate(classes: outcome.requestClasses, audit: audit, original: trained, data: data,
                                           rate: outcome.run.trainingRate)
        let fallback = ExactFallback.offer(classes: outcome.requestClasses, grade: grade, audit: audit,
                                           model: store.url(for: base.sha256).path, cost: cost)
        let evidence = audit.map { report in
            AuditEvidence(verdict: report.verdict.rawValue, oracles: report.oracleCount, failedTests: report.failures.map(\.test))
        }
        var metrics = Self.metrics(outcome)
        if grade != .exact, let seconds = cost.seconds { metrics[Self.retrainingSecondsMetric] = seconds }
        let result = RequestOutcome(metrics: metrics, grade: grade.rawValue, settings: method.settings,
                                    audit: evidence, auditReport: audit, candidateSHA256: sha256,
                                    fallback: fallback?.advice(erasureSeconds: outcome.run.seconds))
        if let audit, audit.verdict != .indistinguishable, settings.promotion == .indistinguishable {
            return .needsExactFallback(result)
        }
        let record: @Sendable (Int) -> LedgerRecord = { [request, model, base] version in
            LedgerRecord(request: request.id, reference: request.reference,
                         subjects: zip(request.subjects, request.subjectSalts).map(Self.commitment),
                         model: model.name, before: ModelVersionReference(version: base.version, sha256: base.sha256),
                         after: ModelVersionReference(version: version, sha256: sha256),
                         method: request.method, preset: request.preset, grade: grade.rawValue,
                         configuration: method.settings, seed: seed, metrics: result.metrics, audit: evidence,
                         codeVersion: QPAudioEraserVersion.current,
                         time: ISO8601DateFormatter().string(from: Date()))
        }
        return .promote(sha256: sha256, forgottenClasses: outcome.model.forgottenClasses, outcome: result, record: record)
    }

    /// The method called `text`.
    ///
    /// - Throws: ``ServiceError/invalidRequest(_:)`` naming the methods there are.
    static func methodName(_ text: String) throws -> MethodName {
        guard let name = MethodName(rawValue: text) else {
            throw ServiceError.invalidRequest("unknown method \(text); the methods are "
                                              + MethodName.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return name
    }

    /// An observer that reports each step's share of its run.
    private func observer(state: ErasureRequest.State, phase: String) -> TrainingObserver {
        var last = Date.distantPast
        return TrainingObserver(step: { progress in
            guard Date().timeIntervalSince(last) > 0.5 || progress.step == progress.stepsPerEpoch else { return }
            last = Date()
            let done = (Double(progress.epoch - 1) + Double(progress.step) / Double(max(progress.stepsPerEpoch, 1)))
                / Double(max(progress.epochs, 1))
            report(state, progress.phase.map { "\(phase): \($0)" } ?? phase, min(max(done, 0), 1))
        })
    }

    /// The commitment to `subject` with `salt` (hex): `sha256:` and SHA-256 of the salt's text followed
    /// by the name, both UTF-8. Opening it takes the name and the salt.
    static func commitment(_ subject: String, _ salt: String) -> String {
        "sha256:" + sha256Hex(salt + subject)
    }

    /// The metric that keeps the erasure's own wall time.
    static let erasureSecondsMetric = "erasure seconds"

    /// The metric that keeps the estimated time of retraining without the classes
    /// (``RetrainingCost/seconds``), the yardstick of an approximate erasure's own time; exact erasures,
    /// being the retraining, have none.
    static let retrainingSecondsMetric = "retraining seconds (estimated)"

    /// The before/after figures the ledger keeps, in percent, and the erasure's seconds.
    static func metrics(_ outcome: ForgetOutcome) -> [String: Double] {
        var metrics: [String: Double] = [erasureSecondsMetric: outcome.run.seconds]
        for (prefix, evaluation) in [("before", outcome.before), ("after", outcome.after)] {
            let forget = evaluation.forget
            let values: [String: Double?] = [
                "accuracy": evaluation.accuracy, "FA": forget?.forgetAccuracy, "RA": forget?.retainAccuracy,
                "IL": forget?.informationLeakage, "PER": forget?.privacyErasureRate, "FAR": forget?.falseAcceptanceRate,
                "FRR": forget?.falseRejectionRate, "ERB": forget?.erasureRetentionBalance,
                "MIA": forget?.lossAttack?.attackAccuracy,
            ]
            for case let (name, value?) in values { metrics["\(prefix).\(name)"] = value }
        }
        return metrics
    }
}
