import Foundation
import Testing
@testable import Evaluation


@Suite("Predictions")
struct PredictionsTests {
    /// Two examples, three classes, worked by hand:
    ///   row 0: logits [0, ln 2, 0] → softmax [¼, ½, ¼], label 1
    ///          loss −ln ½ = ln 2;  entropy −(2 · ¼ ln ¼ + ½ ln ½) = ln 2 + ½ ln 2 = 1.5 ln 2
    ///   row 1: logits [5, 5, 5]    → softmax [⅓, ⅓, ⅓], label 0
    ///          loss ln 3;          entropy ln 3 (the maximum for K = 3)
    static let table = Predictions(
        classCount: 3, logits: [0, Float(log(2.0)), 0, 5, 5, 5], labels: [1, 0], recordingIDs: ["a", "b"])

    @Test func softmaxLossAndEntropyByHand() {
        let predictions = Self.table
        #expect(predictions.count == 2)
        #expect(close(predictions.probabilities(), [0.25, 0.5, 0.25, 1.0 / 3, 1.0 / 3, 1.0 / 3]))
        #expect(close(predictions.losses(), [Float(log(2.0)), Float(log(3.0))]))
        #expect(close(predictions.entropies(), [Float(1.5 * log(2.0)), Float(log(3.0))]))
        #expect(predictions.predictedClasses == [1, 0])  // row 1 ties: the first maximum wins
        #expect(predictions.confusionMatrix().counts == [[1, 0, 0], [0, 1, 0], [0, 0, 0]])
    }

    @Test func extremeLogitsStayFinite() {
        // softmax([1000, 0, −1000]) = [1, e⁻¹⁰⁰⁰, e⁻²⁰⁰⁰]: a naive exp overflows, a naive log(p) is −∞.
        let predictions = Predictions(classCount: 3, logits: [1000, 0, -1000], labels: [2], recordingIDs: ["a"])
        #expect(predictions.probabilities() == [1, 0, 0])
        #expect(predictions.losses() == [2000])      // LSE − z_y = 1000 − (−1000)
        #expect(predictions.entropies() == [0])
        // Shifting every logit of a row changes nothing.
        let shifted = Predictions(classCount: 3, logits: [100, 100 + Float(log(2.0)), 100], labels: [1], recordingIDs: ["a"])
        #expect(close(shifted.probabilities(), [0.25, 0.5, 0.25], tolerance: 1e-5))
        #expect(close(shifted.losses(), [Float(log(2.0))], tolerance: 1e-5))
    }

    @Test func trueClassProbabilitiesAndMetrics() {
        // Forget class 1: only row 0 belongs to it; its true-class probability is ½.
        #expect(close(Self.table.trueClassProbabilities(forgetClasses: [1]), [0.5]))
        let metrics = Self.table.unlearningMetrics(forgetClasses: [1])
        #expect(metrics.forgetAccuracy == 100)                             // row 0 predicted 1
        #expect(metrics.retainAccuracy == 100)                             // row 1 predicted 0
        #expect(Swift.abs(metrics.informationLeakage! - 50) < 1e-4)        // 100 · ½
    }

    /// Five examples from three recordings, two classes.
    ///   example:     0        1        2        3        4
    ///   recording:   "r1"     "r2"     "r1"     "r3"     "r2"
    ///   label:       0        1        0        1        1
    ///   logits:      [2, 0]   [0, 1]   [0, 4]   [1, 1]   [-1, 3]
    static let examples = Predictions(
        classCount: 2, logits: [2, 0, 0, 1, 0, 4, 1, 1, -1, 3],
        labels: [0, 1, 0, 1, 1], recordingIDs: ["r1", "r2", "r1", "r3", "r2"])

    @Test func utteranceLevelAveragesLogitsPerRecording() {
        let utterances = Self.examples.utteranceLevel()
        // r1: ([2, 0] + [0, 4]) / 2 = [1, 2];  r2: ([0, 1] + [−1, 3]) / 2 = [−0.5, 2];  r3: [1, 1].
        #expect(utterances.recordingIDs == ["r1", "r2", "r3"])
        #expect(utterances.labels == [0, 1, 1])
        #expect(utterances.logits == [1, 2, -0.5, 2, 1, 1])
        #expect(utterances.classCount == 2)
        // r1's first example alone is right, its mean is wrong: averaging logits is not majority voting.
        #expect(utterances.predictedClasses == [1, 1, 0])
        // A table of one-example recordings is its own utterance level.
        #expect(Self.table.utteranceLevel() == Self.table)
    }

    @Test func subsetsKeepOrderAndClassCount() {
        let picked = Self.examples.subset([3, 0, 3])
        #expect(picked.labels == [1, 0, 1])
        #expect(picked.recordingIDs == ["r3", "r1", "r3"])
        #expect(picked.logits == [1, 1, 2, 0, 1, 1])

        let forget = Self.examples.subset(classes: [1])
        #expect(forget.labels == [1, 1, 1])
        #expect(forget.recordingIDs == ["r2", "r3", "r2"])
        #expect(forget.classCount == 2)
        let retain = Self.examples.subset(excludingClasses: [1])
        #expect(retain.labels == [0, 0])
        #expect(retain.logits == [2, 0, 0, 4])
        #expect(forget.count + retain.count == Self.examples.count)
        #expect(Self.examples.subset(classes: []).count == 0)
    }
}
