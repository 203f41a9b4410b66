import Tensors

/// Counts of (true class, predicted class) pairs over a set of classified samples.
///
/// `counts[t][p]` is the number of samples whose true class is `t` and whose predicted class is `p`;
/// rows are true classes, columns predictions, both indexed `0 ..< classCount`. Accuracies are in
/// percent, as every metric of this target is (SPEC §4).
///
/// ```swift
/// let matrix = ConfusionMatrix(classCount: 3, labels: [0, 1, 2, 2], predictions: [0, 2, 2, 1])
/// matrix.counts[2][1]   // 1
/// matrix.accuracy       // 50.0
/// ```
public struct ConfusionMatrix: Sendable, Equatable {
    /// The number of classes `K`; `counts` is `K × K`.
    public let classCount: Int
    /// `counts[trueClass][predictedClass]`.
    public private(set) var counts: [[Int]]

    /// Tallies `labels[i]` against `predictions[i]`.
    ///
    /// - Precondition: `classCount > 0`, `labels.count == predictions.count`, and every label and
    ///   prediction lies in `0 ..< classCount`.
    public init(classCount: Int, labels: [Int], predictions: [Int]) {
        checkPrecondition(classCount > 0, "ConfusionMatrix: classCount must be positive, got \(classCount)")
        checkPrecondition(
            labels.count == predictions.count,
            "ConfusionMatrix: \(labels.count) labels but \(predictions.count) predictions")
        self.classCount = classCount
        var counts = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (index, (label, prediction)) in zip(labels, predictions).enumerated() {
            checkPrecondition(
                (0 ..< classCount).contains(label),
                "ConfusionMatrix: label \(label) at sample \(index) is outside 0..<\(classCount)")
            checkPrecondition(
                (0 ..< classCount).contains(prediction),
                "ConfusionMatrix: prediction \(prediction) at sample \(index) is outside 0..<\(classCount)")
            counts[label][prediction] += 1
        }
        self.counts = counts
    }

    /// Wraps hand-made counts (`counts[true][predicted]`), e.g. for tests and reports read back.
    ///
    /// - Precondition: `counts` is a non-empty square table of non-negative integers.
    public init(counts: [[Int]]) {
        checkPrecondition(!counts.isEmpty, "ConfusionMatrix: counts must have at least one class")
        for (row, values) in counts.enumerated() {
            checkPrecondition(
                values.count == counts.count,
                "ConfusionMatrix: row \(row) has \(values.count) columns, expected \(counts.count)")
            checkPrecondition(
                values.allSatisfy { $0 >= 0 },
                "ConfusionMatrix: row \(row) has a negative count: \(values)")
        }
        self.classCount = counts.count
        self.counts = counts
    }

    /// The number of samples tallied.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }

    /// The number of samples whose true class is `trueClass` (row sum).
    public func sampleCount(ofClass trueClass: Int) -> Int {
        checkPrecondition(
            (0 ..< classCount).contains(trueClass),
            "ConfusionMatrix: class \(trueClass) is outside 0..<\(classCount)")
        return counts[trueClass].reduce(0, +)
    }

    /// The number of correctly classified samples (trace).
    public var correctCount: Int { (0 ..< classCount).reduce(0) { $0 + counts[$1][$1] } }

    /// Accuracy of each class in percent: `100 · counts[c][c] / Σ_p counts[c][p]`;
    /// `nil` for a class with no samples (an accuracy over nothing is undefined, not 0).
    public var perClassAccuracy: [Double?] {
        (0 ..< classCount).map { c in
            let n = counts[c].reduce(0, +)
            return n == 0 ? nil : 100 * Double(counts[c][c]) / Double(n)
        }
    }

    /// Overall accuracy in percent: `100 · trace / total`; `nil` when no samples were tallied.
    public var accuracy: Double? {
        let n = total
        return n == 0 ? nil : 100 * Double(correctCount) / Double(n)
    }
}
