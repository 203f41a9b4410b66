import Datasets
import Evaluation
import Foundation
import Training

/// The accuracy of one class on the test split.
public struct ClassAccuracy: Codable, Sendable, Equatable {
    public var name: String
    public var exampleCount: Int
    /// Percent; `nil` when the class has no test examples.
    public var accuracy: Double?
}

/// The unlearning metrics of SPEC §4 for one set of forget classes, in percent (`nil` = undefined).
public struct ForgetEvaluation: Codable, Sendable, Equatable {
    public var forgetClasses: [String]
    public var forgetSampleCount: Int
    public var retainSampleCount: Int
    /// FA: accuracy on the forget classes' test examples.
    public var forgetAccuracy: Double?
    /// RA: accuracy on the other classes' test examples.
    public var retainAccuracy: Double?
    /// FA and RA per recording: each test recording judged once by the mean logits of its examples
    /// (the same as FA and RA where every recording gives one example).
    public var utteranceForgetAccuracy: Double? = nil
    public var utteranceRetainAccuracy: Double? = nil
    /// IL: mean softmax probability of the true class over the forget test examples.
    public var informationLeakage: Double?
    /// The softmax probability of the true class of each forget test example (IL's inputs), for the
    /// distribution charts.
    public var trueClassProbabilities: [Float]
    /// FAR: share of retain test examples predicted as a forget class.
    public var falseAcceptanceRate: Double?
    /// FRR as the paper's tables print it: 100 − RA.
    public var falseRejectionRate: Double?
    /// 100 − FA (what the paper's text calls FRR).
    public var forgetRejectionRate: Double?
    /// ERB: harmonic mean of 100 − FA and RA.
    public var erasureRetentionBalance: Double?
    /// The "before" model's FA that PER is measured against, when one was stated.
    public var forgetAccuracyBefore: Double?
    /// PER against ``forgetAccuracyBefore``; `nil` without a before model or when FA before was 0.
    public var privacyErasureRate: Double?
    /// Why PER is missing, when it is.
    public var privacyErasureRateNote: String?
    /// EER of verifying the forget classes' speakers (claims of a forget class only); about 50% or more
    /// once they are forgotten.
    public var forgetVerificationEER: Double?
    /// The re-test of classes forgotten by earlier requests: accuracy on each one's test examples
    /// (later updates can revive an earlier speaker). Those classes count neither as forget nor as
    /// retain classes in the metrics above.
    public var earlierForgotten: [ClassAccuracy]
    /// MIA (a): loss-based logistic regression, forget-class training vs test examples, 10-fold CV.
    public var lossAttack: MembershipInferenceResult?
    /// MIA (b): the entropy attack of the synaptic-dampening paper (fitted on retain-class training
    /// examples vs all test examples, as its code does): percent of forget-class training examples the
    /// attack calls members.
    public var entropyAttackMemberRate: Double?
}

/// What a model does on the test split of a dataset: accuracy per example and per recording, per class,
/// the confusion matrix, speaker-verification EER and, for named forget classes, the unlearning metrics.
public struct ModelEvaluation: Codable, Sendable, Equatable {
    public var classNames: [String]
    public var testExampleCount: Int
    public var testRecordingCount: Int
    /// Example-level accuracy in percent.
    public var accuracy: Double?
    /// Recording-level accuracy: the mean of the logits of a recording's examples (SPEC §5).
    public var utteranceAccuracy: Double?
    public var perClass: [ClassAccuracy]
    /// `confusionMatrix[true][predicted]`, in class order.
    public var confusionMatrix: [[Int]]
    /// EER of the verification reading over all classes (score = softmax of the claimed class).
    public var verificationEER: Double?
    public var forget: ForgetEvaluation?
    /// Wall time of the evaluation (inference on test and training examples, attacks).
    public var seconds: Double
}

/// Evaluates `trained` on `data`'s test split; with `forgetClasses`, also the unlearning metrics
/// including both membership-inference attacks (which need the training split's outputs too).
///
/// - Parameters:
///   - earlierForgottenClasses: classes forgotten by earlier requests; left out of the unlearning
///     metrics (neither forget nor retain) and re-tested one by one.
///   - forgetAccuracyBefore: FA of the model before unlearning, for PER.
///   - seed: seeds the attacks' balancing and cross-validation folds.
/// - Throws: ``ExperimentError/nonFiniteOutputs(exampleCount:of:)`` when the model outputs NaN or ±∞.
public func evaluateModel(_ trained: TrainedModel, on data: PreparedData, forgetClasses: [Int] = [],
                          earlierForgottenClasses: [Int] = [], forgetAccuracyBefore: Double? = nil,
                          seed: UInt64 = 0) throws -> ModelEvaluation {
    let start = Date()
    let test = try predictions(of: trained, on: data.test)
    let matrix = test.confusionMatrix()
    let perClass = zip(trained.classNames, matrix.perClassAccuracy).enumerated().map { index, pair in
        ClassAccuracy(name: pair.0, exampleCount: matrix.sampleCount(ofClass: index), accuracy: pair.1)
    }
    var evaluation = ModelEvaluation(
        classNames: trained.classNames, testExampleCount: test.count,
        testRecordingCount: Set(test.recordingIDs).count, accuracy: matrix.accuracy,
        utteranceAccuracy: test.utteranceLevel().confusionMatrix().accuracy, perClass: perClass,
        confusionMatrix: matrix.counts, verificationEER: verificationEqualErrorRate(test), forget: nil, seconds: 0)
    if !forgetClasses.isEmpty {
        let train = try predictions(of: trained, on: data.train)
        let earlier = Set(earlierForgottenClasses)
        evaluation.forget = forgetEvaluation(test: test.subset(excludingClasses: earlier),
                                             train: train.subset(excludingClasses: earlier), forgetClasses: forgetClasses,
                                             classNames: trained.classNames, before: forgetAccuracyBefore, seed: seed)
        evaluation.forget?.earlierForgotten = earlierForgottenClasses.sorted().map { perClass[$0] }
    }
    evaluation.seconds = Date().timeIntervalSince(start)
    return evaluation
}

/// The model's outputs on `examples`, checked to be finite.
func predictions(of trained: TrainedModel, on examples: LabelledExamples) throws -> Predictions {
    let logits = predictLogits(of: trained.model, on: examples.features, normalizedWith: trained.statistics)
    let classCount = trained.classNames.count
    let damaged = stride(from: 0, to: logits.count, by: classCount)
        .filter { row in !logits[row ..< row + classCount].allSatisfy(\.isFinite) }.count
    guard damaged == 0 else { throw ExperimentError.nonFiniteOutputs(exampleCount: damaged, of: examples.count) }
    return Predictions(classCount: classCount, logits: logits, labels: examples.labels,
                       recordingIDs: examples.features.recordingIDs)
}

private func forgetEvaluation(test: Predictions, train: Predictions, forgetClasses: [Int],
                              classNames: [String], before: Double?, seed: UInt64) -> ForgetEvaluation {
    let forget = Set(forgetClasses)
    let probabilities = test.trueClassProbabilities(forgetClasses: forget)
    let metrics = UnlearningMetrics(confusionMatrix: test.confusionMatrix(), forgetClasses: forget,
                                    forgetTrueClassProbabilities: probabilities)
    var result = ForgetEvaluation(
        forgetClasses: forgetClasses.map { classNames[$0] }, forgetSampleCount: metrics.forgetSampleCount,
        retainSampleCount: metrics.retainSampleCount, forgetAccuracy: metrics.forgetAccuracy,
        retainAccuracy: metrics.retainAccuracy, informationLeakage: metrics.informationLeakage,
        trueClassProbabilities: probabilities,
        falseAcceptanceRate: metrics.falseAcceptanceRate, falseRejectionRate: metrics.falseRejectionRate,
        forgetRejectionRate: metrics.forgetRejectionRate, erasureRetentionBalance: metrics.erasureRetentionBalance,
        forgetAccuracyBefore: before, privacyErasureRate: nil, privacyErasureRateNote: nil,
        forgetVerificationEER: verificationEqualErrorRate(test, claimedClasses: forget),
        earlierForgotten: [], lossAttack: nil, entropyAttackMemberRate: nil)
    let utterances = UnlearningMetrics(confusionMatrix: test.utteranceLevel().confusionMatrix(), forgetClasses: forget)
    result.utteranceForgetAccuracy = utterances.forgetAccuracy
    result.utteranceRetainAccuracy = utterances.retainAccuracy
    if let before {
        result.privacyErasureRate = metrics.privacyErasureRate(forgetAccuracyBefore: before)
        if result.privacyErasureRate == nil {
            result.privacyErasureRateNote = before == 0
                ? "undefined: the model before recognised none of the forget test examples (FA before = 0)"
                : "undefined: no forget test examples"
        }
    } else {
        result.privacyErasureRateNote = "not computed: no model before unlearning was given"
    }
    let forgetTrain = train.subset(classes: forget), forgetTest = test.subset(classes: forget)
    result.lossAttack = lossMembershipInference(memberLosses: forgetTrain.losses(),
                                                nonMemberLosses: forgetTest.losses(), seed: seed)
    result.entropyAttackMemberRate = entropyMembershipInference(
        retainTrainEntropies: train.subset(excludingClasses: forget).entropies(),
        testEntropies: test.entropies(),
        forgetTrainEntropies: forgetTrain.entropies())
    return result
}
