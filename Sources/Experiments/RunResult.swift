import Audit
import Foundation
import Unlearning

/// One method on one forget set (or request) with one seed: the metrics of SPEC §4, the comparison
/// with retraining, and what the charts need. Stored as one JSON file per run, so an interrupted
/// experiment resumes without redoing it.
public struct RunResult: Codable, Sendable, Equatable {
    public var scenario: String
    public var seed: UInt64
    /// 1-based index of the forget set (single, multi) or of the request (sequential).
    public var set: Int
    /// The classes of this set or request, by name.
    public var forgetClasses: [String]
    public var method: MethodName
    /// The variant's name, when the method ran as a ``Scenario/Variant``.
    public var variant: String?
    /// What tables print: the method's name, or the variant's.
    public var label: String

    public var forgetAccuracy: Double?
    public var retainAccuracy: Double?
    /// FA and RA per recording (mean logits of its examples).
    public var utteranceForgetAccuracy: Double?
    public var utteranceRetainAccuracy: Double?
    /// Accuracy over all test examples (the classes forgotten earlier included).
    public var testAccuracy: Double?
    public var informationLeakage: Double?
    public var privacyErasureRate: Double?
    public var falseAcceptanceRate: Double?
    public var falseRejectionRate: Double?
    public var erasureRetentionBalance: Double?
    /// MIA (a), loss attack accuracy.
    public var lossAttack: Double?
    /// MIA (b), entropy attack: percent of forget training examples called members.
    public var entropyAttack: Double?
    /// Wall time of the method.
    public var seconds: Double
    /// `seconds` / retraining's seconds on the same set and seed.
    public var timeRatio: Double?
    /// Mean |difference| to the retrained model over FA, RA, test accuracy and the loss attack.
    public var gapToRetrain: Double?

    /// Accuracy per class before (the original, or the previous request's model) and after.
    public var perClassBefore: [Double?]
    public var perClassAfter: [Double?]
    /// P(true class) of each forget test example before and after.
    public var forgetProbabilitiesBefore: [Float]
    public var forgetProbabilitiesAfter: [Float]
    /// Re-test of the classes forgotten by earlier requests.
    public var earlierForgotten: [ClassAccuracy]
    public var run: UnlearningRun
    /// The erasure audit of the run's model, when the scenario asks for one.
    public var audit: AuditReport?

    init(scenario: String, seed: UInt64, set: Int, method: MethodName, variant: Scenario.Variant?,
         outcome: ForgetOutcome) {
        self.scenario = scenario
        self.seed = seed
        self.set = set
        forgetClasses = outcome.requestClasses
        self.method = method
        self.variant = variant?.name
        label = variant?.label ?? method.displayName
        let after = outcome.after.forget!
        forgetAccuracy = after.forgetAccuracy
        retainAccuracy = after.retainAccuracy
        utteranceForgetAccuracy = after.utteranceForgetAccuracy
        utteranceRetainAccuracy = after.utteranceRetainAccuracy
        testAccuracy = outcome.after.accuracy
        informationLeakage = after.informationLeakage
        privacyErasureRate = after.privacyErasureRate
        falseAcceptanceRate = after.falseAcceptanceRate
        falseRejectionRate = after.falseRejectionRate
        erasureRetentionBalance = after.erasureRetentionBalance
        lossAttack = after.lossAttack?.attackAccuracy
        entropyAttack = after.entropyAttackMemberRate
        seconds = outcome.run.seconds
        perClassBefore = outcome.before.perClass.map(\.accuracy)
        perClassAfter = outcome.after.perClass.map(\.accuracy)
        forgetProbabilitiesBefore = outcome.before.forget?.trueClassProbabilities ?? []
        forgetProbabilitiesAfter = after.trueClassProbabilities
        earlierForgotten = after.earlierForgotten
        run = outcome.run
        audit = nil
    }

    /// Fills ``timeRatio`` and ``gapToRetrain`` from the retrained model's run on the same set and seed.
    mutating func compare(with retrain: RunResult) {
        timeRatio = retrain.seconds > 0 ? seconds / retrain.seconds : nil
        let pairs = [(forgetAccuracy, retrain.forgetAccuracy), (retainAccuracy, retrain.retainAccuracy),
                     (testAccuracy, retrain.testAccuracy), (lossAttack, retrain.lossAttack)]
        let differences = pairs.compactMap { pair -> Double? in
            guard let a = pair.0, let b = pair.1 else { return nil }
            return abs(a - b)
        }
        gapToRetrain = differences.isEmpty ? nil : differences.reduce(0, +) / Double(differences.count)
    }
}

/// Mean and sample standard deviation of a metric over seeds.
public struct MeanDeviation: Codable, Sendable, Equatable {
    public var mean: Double
    /// `nil` with fewer than two values.
    public var standardDeviation: Double?
    public var count: Int

    public init?(_ values: [Double?]) {
        let present = values.compactMap { $0 }
        guard !present.isEmpty else { return nil }
        count = present.count
        mean = present.reduce(0, +) / Double(count)
        standardDeviation = count < 2 ? nil
            : (present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)).squareRoot()
    }

    /// `97.3 ± 0.4`, or `97.3` from one value.
    public func formatted(digits: Int = 1) -> String {
        let mean = String(format: "%.\(digits)f", self.mean)
        return standardDeviation.map { mean + " ± " + String(format: "%.\(digits)f", $0) } ?? mean
    }
}
