import Foundation
import Tensors

/// A classifier's outputs on a set of examples, with what every metric needs to read them: the true
/// class of each example and the recording it was cut from.
///
/// `logits` is the row-major `N × K` table of raw scores (`N` examples, `K = classCount` classes),
/// before any softmax. Everything else is derived from it on demand, in `Double` internally and
/// numerically stable for any finite logits (each row is shifted by its maximum first):
///
///     softmax(z)ₖ = exp(zₖ − m) / Σⱼ exp(zⱼ − m),   m = maxⱼ zⱼ
///     loss        = −log softmax(z)_y = LSE(z) − z_y,   LSE(z) = m + log Σⱼ exp(zⱼ − m)
///     entropy     = −Σₖ pₖ log pₖ = LSE(z) − Σₖ pₖ zₖ   (natural log, so at most log K)
///
/// ```swift
/// let predictions = Predictions(
///     classCount: 3, logits: [2, 1, 0,   0, 0, 0], labels: [0, 2], recordingIDs: ["a", "b"])
/// predictions.predictedClasses   // [0, 0]   (row 1 ties: the first maximum wins)
/// predictions.losses()[1]        // log 3 ≈ 1.0986
/// ```
///
/// Subsets, the utterance-level reading (one row per recording) and the unlearning metrics built on
/// these tables live in `Predictions+Subsets.swift`.
public struct Predictions: Sendable, Equatable {
    /// The number of classes `K`.
    public let classCount: Int
    /// Raw classifier scores, row-major `count × classCount`.
    public let logits: [Float]
    /// The true class of each example, in `0 ..< classCount`.
    public let labels: [Int]
    /// The recording each example was cut from (SPEC §5: a long recording gives several examples).
    public let recordingIDs: [String]

    /// Wraps a classifier's logits for `labels.count` examples.
    ///
    /// - Precondition: `classCount > 0`; `logits.count == labels.count · classCount`; one recording
    ///   ID per label; every label lies in `0 ..< classCount`; every logit is finite.
    public init(classCount: Int, logits: [Float], labels: [Int], recordingIDs: [String]) {
        checkPrecondition(classCount > 0, "Predictions: classCount must be positive, got \(classCount)")
        checkPrecondition(
            logits.count == labels.count * classCount,
            "Predictions: \(logits.count) logits for \(labels.count) examples × \(classCount) classes")
        checkPrecondition(
            recordingIDs.count == labels.count,
            "Predictions: \(recordingIDs.count) recording IDs for \(labels.count) examples")
        if let bad = labels.firstIndex(where: { !(0 ..< classCount).contains($0) }) {
            checkPrecondition(false, "Predictions: label \(labels[bad]) of example \(bad) is outside 0..<\(classCount)")
        }
        if let bad = logits.firstIndex(where: { !$0.isFinite }) {
            checkPrecondition(
                false, "Predictions: logit \(logits[bad]) of example \(bad / classCount), class \(bad % classCount) is not finite")
        }
        self.classCount = classCount
        self.logits = logits
        self.labels = labels
        self.recordingIDs = recordingIDs
    }

    /// The number of examples `N`.
    public var count: Int { labels.count }

    /// The logits of example `index` (`classCount` values).
    public func logits(ofExample index: Int) -> ArraySlice<Float> {
        checkPrecondition((0 ..< count).contains(index), "Predictions: example \(index) is outside 0..<\(count)")
        return logits[index * classCount ..< (index + 1) * classCount]
    }

    /// Softmax of each row, row-major `count × classCount`; each row sums to 1.
    public func probabilities() -> [Float] {
        var result = [Float]()
        result.reserveCapacity(logits.count)
        for index in 0 ..< count {
            let row = logits(ofExample: index)
            let lse = Self.logSumExp(row)
            result.append(contentsOf: row.map { Float(Foundation.exp(Double($0) - lse)) })
        }
        return result
    }

    /// The predicted class of each example: the index of its largest logit (the first one on ties,
    /// as `torch.argmax` and `numpy.argmax` do).
    public var predictedClasses: [Int] {
        (0 ..< count).map { index in
            let row = logits(ofExample: index)
            var best = row.startIndex
            for k in row.indices where row[k] > row[best] { best = k }
            return best - row.startIndex
        }
    }

    /// Per-example cross-entropy `−log softmax(z)_y = LSE(z) − z_y` in nats, where `y` is the label;
    /// never negative, and finite for finite logits even when the softmax underflows to 0.
    public func losses() -> [Float] {
        (0 ..< count).map { index in
            let row = logits(ofExample: index)
            return Float(Self.logSumExp(row) - Double(row[row.startIndex + labels[index]]))
        }
    }

    /// Per-example Shannon entropy of the softmax, `−Σₖ pₖ log pₖ = LSE(z) − Σₖ pₖ zₖ`, in nats:
    /// 0 for a certain prediction, `log K` for a uniform one. The feature of the synaptic-dampening
    /// membership-inference attack (``entropyMembershipInference(retainTrainEntropies:testEntropies:forgetTrainEntropies:)``).
    public func entropies() -> [Float] {
        (0 ..< count).map { index in
            let row = logits(ofExample: index)
            let lse = Self.logSumExp(row)
            var expected = 0.0
            for z in row {
                let logit = Double(z)
                expected += Foundation.exp(logit - lse) * logit
            }
            return Float(Swift.max(lse - expected, 0))  // rounding can leave −1e-16 for a certain row
        }
    }

    /// The confusion matrix of `labels` against ``predictedClasses``.
    public func confusionMatrix() -> ConfusionMatrix {
        ConfusionMatrix(classCount: classCount, labels: labels, predictions: predictedClasses)
    }

    /// `m + log Σⱼ exp(zⱼ − m)` with `m = max z`, in `Double`.
    static func logSumExp(_ row: ArraySlice<Float>) -> Double {
        let m = Double(row.max()!)
        let sum = row.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) }
        return m + Foundation.log(sum)
    }
}
