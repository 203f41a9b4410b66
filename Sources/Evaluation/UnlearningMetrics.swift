import Tensors
/// The unlearning metrics of SPEC §4 for one set of forget classes `F`, all in percent.
///
/// Built from a confusion matrix on the held-out test split (rows = true class). A *forget sample* is
/// a test sample whose true class is in `F`; a *retain sample* is any other. A sample is correct when
/// predicted as its own class, so a forget sample predicted as another class of `F` counts as wrong.
///
/// A metric over an empty set of samples is `nil`, never 0: with no forget samples FA, IL and the
/// forget rejection rate are undefined; with no retain samples (e.g. a one-class model whose only
/// class is forgotten) RA, FAR and FRR are. ERB needs both FA and RA.
///
/// ```swift
/// let matrix = ConfusionMatrix(counts: [[8, 1, 1], [1, 7, 2], [1, 1, 3]])
/// let metrics = UnlearningMetrics(confusionMatrix: matrix, forgetClasses: [2])
/// metrics.forgetAccuracy   // 60.0  (3 of 5)
/// metrics.retainAccuracy   // 75.0  (15 of 20)
/// ```
public struct UnlearningMetrics: Sendable, Equatable {
    /// The forgotten classes `F`, sorted.
    public let forgetClasses: [Int]
    /// Number of test samples whose true class is in `F`.
    public let forgetSampleCount: Int
    /// Number of test samples whose true class is not in `F`.
    public let retainSampleCount: Int

    /// **FA**, forget accuracy: `100 · #{forget samples predicted as their own class} / #forget`.
    /// `nil` when there are no forget samples. Lower is better after unlearning.
    public let forgetAccuracy: Double?

    /// **RA**, retain accuracy: `100 · #{retain samples predicted as their own class} / #retain`.
    /// `nil` when there are no retain samples.
    public let retainAccuracy: Double?

    /// **IL**, information leakage: `100 · mean over forget samples of softmax(x)[true class]`.
    /// `nil` when no probabilities were given or there are no forget samples.
    public let informationLeakage: Double?

    /// **FAR**, false acceptance rate: `100 · #{retain samples predicted as any class of F} / #retain`.
    /// `nil` when there are no retain samples.
    public let falseAcceptanceRate: Double?

    /// **FRR** as the paper's tables print it: `100 − RA` (retained users wrongly rejected).
    /// The paper's text calls FRR "the share of forget samples rejected"; that quantity is
    /// ``forgetRejectionRate``. `nil` when there are no retain samples.
    public var falseRejectionRate: Double? { retainAccuracy.map { 100 - $0 } }

    /// Forget rejection rate: `100 − FA`, the share of forget samples not recognised as their class
    /// (what the paper's text calls FRR). `nil` when there are no forget samples.
    public var forgetRejectionRate: Double? { forgetAccuracy.map { 100 - $0 } }

    /// **ERB**, erasure–retention balance: the harmonic mean of `100 − FA` and `RA`,
    /// `2·(100 − FA)·RA / ((100 − FA) + RA)`, defined as 0 when both are 0.
    ///
    /// Note: the paper's "Original" rows print the harmonic mean of FA and RA instead, and some of its
    /// cells are miscomputed; this is the definition of SPEC §4. `nil` when FA or RA is undefined.
    public var erasureRetentionBalance: Double? {
        guard let erased = forgetRejectionRate, let retained = retainAccuracy else { return nil }
        return Self.harmonicMean(erased, retained)
    }

    /// Computes the metrics of `confusionMatrix` for the forget classes `forgetClasses`.
    ///
    /// - Parameters:
    ///   - forgetTrueClassProbabilities: for IL, the softmax probability of the true class of each
    ///     forget sample (one value per forget sample, in `[0, 1]`); see
    ///     ``trueClassProbabilities(labels:probabilities:forgetClasses:)`` to pick them from a table.
    ///     Omit it and IL is `nil`.
    /// - Precondition: every forget class lies in `0 ..< classCount`; when given, the probabilities
    ///   number exactly the forget samples of the matrix.
    public init(
        confusionMatrix: ConfusionMatrix,
        forgetClasses: some Sequence<Int>,
        forgetTrueClassProbabilities: [Float]? = nil
    ) {
        let k = confusionMatrix.classCount
        let forget = Set(forgetClasses)
        for c in forget {
            checkPrecondition((0 ..< k).contains(c), "UnlearningMetrics: forget class \(c) is outside 0..<\(k)")
        }
        self.forgetClasses = forget.sorted()

        var forgetCount = 0, forgetCorrect = 0
        var retainCount = 0, retainCorrect = 0, retainAcceptedAsForget = 0
        for t in 0 ..< k {
            let row = confusionMatrix.counts[t]
            let n = row.reduce(0, +)
            if forget.contains(t) {
                forgetCount += n
                forgetCorrect += row[t]
            } else {
                retainCount += n
                retainCorrect += row[t]
                retainAcceptedAsForget += forget.reduce(0) { $0 + row[$1] }
            }
        }
        forgetSampleCount = forgetCount
        retainSampleCount = retainCount
        forgetAccuracy = Self.percent(forgetCorrect, of: forgetCount)
        retainAccuracy = Self.percent(retainCorrect, of: retainCount)
        falseAcceptanceRate = Self.percent(retainAcceptedAsForget, of: retainCount)

        if let probabilities = forgetTrueClassProbabilities {
            checkPrecondition(
                probabilities.count == forgetCount,
                "UnlearningMetrics: \(probabilities.count) probabilities for \(forgetCount) forget samples")
            informationLeakage = forgetCount == 0
                ? nil
                : 100 * probabilities.reduce(0.0) { $0 + Double($1) } / Double(forgetCount)
        } else {
            informationLeakage = nil
        }
    }

    /// **PER**, privacy erasure rate, against the forget accuracy of a stated "before" model:
    /// `clip((FA_before − FA_after) / FA_before · 100, 0, 100)`.
    ///
    /// Returns `nil` when `FA_before = 0`: a model that already recognised none of the forget samples
    /// had nothing to erase, so the ratio is undefined (reporting 0 or 100 would both be invented).
    /// Also `nil` when this model's FA is undefined (no forget samples).
    public func privacyErasureRate(forgetAccuracyBefore: Double) -> Double? {
        forgetAccuracy.flatMap { Self.privacyErasureRate(forgetAccuracyBefore: forgetAccuracyBefore, after: $0) }
    }

    /// **PER** from two forget accuracies in percent; see ``privacyErasureRate(forgetAccuracyBefore:)``.
    /// `nil` when `forgetAccuracyBefore == 0`.
    public static func privacyErasureRate(forgetAccuracyBefore before: Double, after: Double) -> Double? {
        guard before != 0 else { return nil }
        return min(max((before - after) / before * 100, 0), 100)
    }

    /// The softmax probability of the true class for each sample whose label is in `forgetClasses`,
    /// in sample order: the input IL needs. `probabilities[i]` is sample `i`'s row of class probabilities.
    ///
    /// - Precondition: one row per label, and each label indexes its row.
    public static func trueClassProbabilities(
        labels: [Int], probabilities: [[Float]], forgetClasses: some Sequence<Int>
    ) -> [Float] {
        checkPrecondition(
            labels.count == probabilities.count,
            "UnlearningMetrics: \(labels.count) labels but \(probabilities.count) probability rows")
        let forget = Set(forgetClasses)
        return zip(labels, probabilities).enumerated().compactMap { index, pair in
            let (label, row) = pair
            guard forget.contains(label) else { return nil }
            checkPrecondition(row.indices.contains(label),
                              "UnlearningMetrics: label \(label) of sample \(index) outside its \(row.count) probabilities")
            return row[label]
        }
    }

    /// As ``trueClassProbabilities(labels:probabilities:forgetClasses:)`` for a flat row-major
    /// `[sampleCount × classCount]` table.
    public static func trueClassProbabilities(
        labels: [Int], probabilities: [Float], classCount: Int, forgetClasses: some Sequence<Int>
    ) -> [Float] {
        checkPrecondition(classCount > 0, "UnlearningMetrics: classCount must be positive, got \(classCount)")
        checkPrecondition(
            probabilities.count == labels.count * classCount,
            "UnlearningMetrics: \(probabilities.count) probabilities for \(labels.count) samples × \(classCount) classes")
        let forget = Set(forgetClasses)
        return labels.enumerated().compactMap { index, label in
            guard forget.contains(label) else { return nil }
            checkPrecondition((0 ..< classCount).contains(label),
                              "UnlearningMetrics: label \(label) of sample \(index) outside 0..<\(classCount)")
            return probabilities[index * classCount + label]
        }
    }

    /// `2ab / (a + b)`, and 0 when `a + b = 0`.
    static func harmonicMean(_ a: Double, _ b: Double) -> Double {
        a + b == 0 ? 0 : 2 * a * b / (a + b)
    }

    private static func percent(_ part: Int, of whole: Int) -> Double? {
        whole == 0 ? nil : 100 * Double(part) / Double(whole)
    }
}
