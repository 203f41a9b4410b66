import Testing
@testable import Evaluation

/// Compares two optional rates within `tolerance` percentage points (`nil` only matches `nil`).
private func close(_ a: Double?, _ b: Double?, tolerance: Double = 1e-9) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case let (x?, y?): abs(x - y) <= tolerance
    default: false
    }
}

@Suite("ConfusionMatrix")
struct ConfusionMatrixTests {
    @Test func talliesLabelsAgainstPredictions() {
        let matrix = ConfusionMatrix(classCount: 3, labels: [0, 0, 1, 2, 2], predictions: [0, 1, 1, 2, 0])
        #expect(matrix.counts == [[1, 1, 0], [0, 1, 0], [1, 0, 1]])
        #expect(matrix.total == 5)
        #expect(matrix.correctCount == 3)
        #expect(close(matrix.accuracy, 60))                  // 3 / 5
        #expect(matrix.perClassAccuracy.count == 3)
        #expect(close(matrix.perClassAccuracy[0], 50))       // 1 / 2
        #expect(close(matrix.perClassAccuracy[1], 100))      // 1 / 1
        #expect(close(matrix.perClassAccuracy[2], 50))       // 1 / 2
    }

    @Test func classWithoutSamplesHasNoAccuracy() {
        let matrix = ConfusionMatrix(classCount: 3, labels: [0, 1], predictions: [0, 2])
        #expect(matrix.perClassAccuracy[2] == nil)
        #expect(close(matrix.perClassAccuracy[1], 0))
        #expect(matrix.sampleCount(ofClass: 2) == 0)
        #expect(ConfusionMatrix(classCount: 2, labels: [], predictions: []).accuracy == nil)
    }
}

@Suite("UnlearningMetrics")
struct UnlearningMetricsTests {
    /// Rows = true class, columns = prediction.
    ///   true 0: [8, 1, 1]  (10 samples)
    ///   true 1: [1, 7, 2]  (10 samples)
    ///   true 2: [1, 1, 3]  ( 5 samples)
    static let matrix = ConfusionMatrix(counts: [[8, 1, 1], [1, 7, 2], [1, 1, 3]])

    @Test func oneForgetClass() {
        // True-class probabilities of the five class-2 samples: (0.5 + 0.25 + 0.75 + 1 + 0.5) / 5 = 0.6.
        let metrics = UnlearningMetrics(
            confusionMatrix: Self.matrix, forgetClasses: [2],
            forgetTrueClassProbabilities: [0.5, 0.25, 0.75, 1, 0.5])
        #expect(metrics.forgetSampleCount == 5 && metrics.retainSampleCount == 20)
        #expect(close(metrics.forgetAccuracy, 60))          // FA  = 3 / 5
        #expect(close(metrics.retainAccuracy, 75))          // RA  = (8 + 7) / 20
        #expect(close(metrics.informationLeakage, 60))      // IL  = 100 · 0.6
        #expect(close(metrics.falseAcceptanceRate, 15))     // FAR = (1 + 2) / 20 predicted as 2
        #expect(close(metrics.falseRejectionRate, 25))      // FRR = 100 − 75
        #expect(close(metrics.forgetRejectionRate, 40))     // 100 − FA
        // ERB = 2 · 40 · 75 / (40 + 75) = 6000 / 115 = 52.173913…
        #expect(close(metrics.erasureRetentionBalance, 6000.0 / 115.0))
        #expect(close(metrics.erasureRetentionBalance, 52.173913, tolerance: 1e-6))
        // PER = (90 − 60) / 90 · 100 = 33.33…
        #expect(close(metrics.privacyErasureRate(forgetAccuracyBefore: 90), 100.0 / 3.0))
        // FA rose from 50 to 60: (50 − 60) / 50 · 100 = −20 → clipped to 0.
        #expect(close(metrics.privacyErasureRate(forgetAccuracyBefore: 50), 0))
    }

    @Test func twoForgetClasses() {
        let metrics = UnlearningMetrics(confusionMatrix: Self.matrix, forgetClasses: [1, 2])
        #expect(metrics.forgetClasses == [1, 2])
        #expect(close(metrics.forgetAccuracy, 200.0 / 3.0))  // FA  = (7 + 3) / 15: 1→2 is wrong
        #expect(close(metrics.retainAccuracy, 80))           // RA  = 8 / 10
        #expect(close(metrics.falseAcceptanceRate, 20))      // FAR = (1 + 1) / 10
        #expect(metrics.informationLeakage == nil)           // no probabilities given
    }

    @Test func informationLeakageFromProbabilityTables() {
        let labels = [0, 2, 1, 2]
        let rows: [[Float]] = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4], [0.5, 0.1, 0.4]]
        // Forget {2}: samples 1 and 3 → [0.8, 0.4].
        let picked = UnlearningMetrics.trueClassProbabilities(labels: labels, probabilities: rows, forgetClasses: [2])
        #expect(picked == [0.8, 0.4])
        let flat = UnlearningMetrics.trueClassProbabilities(
            labels: labels, probabilities: rows.flatMap { $0 }, classCount: 3, forgetClasses: [2])
        #expect(flat == picked)
        let matrix = ConfusionMatrix(classCount: 3, labels: labels, predictions: [0, 2, 2, 0])
        let metrics = UnlearningMetrics(confusionMatrix: matrix, forgetClasses: [2], forgetTrueClassProbabilities: picked)
        #expect(close(metrics.informationLeakage, 60, tolerance: 1e-5))  // (0.8 + 0.4) / 2
        #expect(close(metrics.forgetAccuracy, 50))                       // 1 of 2
    }

    @Test func perIsUndefinedWhenNothingWasRecognisedBefore() {
        #expect(UnlearningMetrics.privacyErasureRate(forgetAccuracyBefore: 0, after: 0) == nil)
        let metrics = UnlearningMetrics(confusionMatrix: Self.matrix, forgetClasses: [2])
        #expect(metrics.privacyErasureRate(forgetAccuracyBefore: 0) == nil)
        #expect(close(UnlearningMetrics.privacyErasureRate(forgetAccuracyBefore: 80, after: 0), 100))
        #expect(close(UnlearningMetrics.privacyErasureRate(forgetAccuracyBefore: 80, after: 20), 75))  // 60/80
    }

    @Test func noForgetSamples() {
        // Class 2 exists but has no test samples.
        let matrix = ConfusionMatrix(counts: [[4, 1, 0], [0, 5, 0], [0, 0, 0]])
        let metrics = UnlearningMetrics(confusionMatrix: matrix, forgetClasses: [2], forgetTrueClassProbabilities: [])
        #expect(metrics.forgetSampleCount == 0)
        #expect(metrics.forgetAccuracy == nil)
        #expect(metrics.informationLeakage == nil)
        #expect(metrics.forgetRejectionRate == nil)
        #expect(metrics.erasureRetentionBalance == nil)
        #expect(metrics.privacyErasureRate(forgetAccuracyBefore: 90) == nil)
        #expect(close(metrics.retainAccuracy, 90))           // 9 / 10
        #expect(close(metrics.falseAcceptanceRate, 0))
    }

    @Test func oneClassForgotten() {
        let matrix = ConfusionMatrix(classCount: 1, labels: [0, 0, 0], predictions: [0, 0, 0])
        let metrics = UnlearningMetrics(confusionMatrix: matrix, forgetClasses: [0])
        #expect(close(metrics.forgetAccuracy, 100))
        #expect(close(metrics.forgetRejectionRate, 0))
        #expect(metrics.retainAccuracy == nil)
        #expect(metrics.falseAcceptanceRate == nil)
        #expect(metrics.falseRejectionRate == nil)
        #expect(metrics.erasureRetentionBalance == nil)
    }

    @Test func oneClassRetained() {
        let matrix = ConfusionMatrix(classCount: 1, labels: [0, 0], predictions: [0, 0])
        let metrics = UnlearningMetrics(confusionMatrix: matrix, forgetClasses: [Int]())
        #expect(metrics.forgetAccuracy == nil)
        #expect(close(metrics.retainAccuracy, 100))
        #expect(close(metrics.falseAcceptanceRate, 0))
        #expect(close(metrics.falseRejectionRate, 0))
    }

    @Test(arguments: [
        // (FA, RA, ERB): harmonic mean of 100 − FA and RA.
        (0.0, 100.0, 100.0),        // perfect erasure and retention
        (100.0, 100.0, 0.0),        // nothing erased
        (100.0, 0.0, 0.0),          // both zero → defined as 0
        (50.0, 100.0, 200.0 / 3.0), // 2 · 50 · 100 / 150
    ])
    func erasureRetentionBalance(fa: Double, ra: Double, erb: Double) {
        #expect(close(UnlearningMetrics.harmonicMean(100 - fa, ra), erb))
    }

    @Test func erbFromMatrices() {
        // Forget class 1 never recognised (FA 0), class 0 always right (RA 100) → ERB 100.
        let erased = UnlearningMetrics(confusionMatrix: ConfusionMatrix(counts: [[5, 0], [5, 0]]), forgetClasses: [1])
        #expect(close(erased.erasureRetentionBalance, 100))
        // Both always right: FA 100, RA 100 → ERB 0.
        let kept = UnlearningMetrics(confusionMatrix: ConfusionMatrix(counts: [[5, 0], [0, 5]]), forgetClasses: [1])
        #expect(close(kept.erasureRetentionBalance, 0))
    }
}

@Suite("EqualErrorRate")
struct EqualErrorRateTests {
    @Test func perfectlySeparatedScoresGiveZero() {
        #expect(close(equalErrorRate(genuineScores: [0.9, 0.8], impostorScores: [0.2, 0.1]), 0))
    }

    @Test func identicalDistributionsGiveFifty() {
        let scores: [Float] = [0.1, 0.2, 0.3, 0.4]
        // t = 0.3: FAR = 2/4 (0.3, 0.4 accepted), FRR = 2/4 (0.1, 0.2 rejected).
        #expect(close(equalErrorRate(genuineScores: scores, impostorScores: scores), 50))
        // One shared value: t = 0.5 gives (FAR 1, FRR 0), t = +∞ gives (0, 1); lines cross at 50.
        #expect(close(equalErrorRate(genuineScores: [0.5], impostorScores: [0.5]), 50))
    }

    @Test func interpolatesBetweenNeighbouringThresholds() {
        // genuine {0.9, 0.8, 0.7, 0.3}, impostor {0.6, 0.2}; accept when score ≥ t.
        //   t = 0.6: FAR = 1/2, FRR = 1/4 (0.3)   d = +1/4
        //   t = 0.7: FAR = 0,   FRR = 1/4         d = −1/4
        // α = (1/4) / (1/2) = 1/2 → EER = 1/2 + 1/2 · (0 − 1/2) = 1/4 → 25%.
        #expect(close(equalErrorRate(genuineScores: [0.9, 0.8, 0.7, 0.3], impostorScores: [0.6, 0.2]), 25))
        // genuine {0.9, 0.5}, impostor {0.7, 0.3, 0.1}:
        //   t = 0.5: FAR = 1/3, FRR = 0     d = +1/3
        //   t = 0.7: FAR = 1/3, FRR = 1/2   d = −1/6
        // α = (1/3) / (1/2) = 2/3 → EER = 1/3 (FAR flat; FRR = 2/3 · 1/2 = 1/3) → 33.33%.
        #expect(close(equalErrorRate(genuineScores: [0.9, 0.5], impostorScores: [0.7, 0.3, 0.1]), 100.0 / 3.0))
    }

    @Test func isARateInPercentNotAThreshold() {
        // Random overlapping score sets: the answer is always a rate in [0, 100].
        var generator = SplitMix(seed: 7)
        for _ in 0 ..< 50 {
            let genuine = (0 ..< 20).map { _ in Float(generator.unit()) * 0.6 + 0.4 }
            let impostor = (0 ..< 30).map { _ in Float(generator.unit()) * 0.6 }
            let eer = equalErrorRate(genuineScores: genuine, impostorScores: impostor)
            #expect(eer.map { (0 ... 100).contains($0) } == true)
        }
        // Fully inverted scores: every trial is an error at the crossing → 100%.
        #expect(close(equalErrorRate(genuineScores: [0.1, 0.2], impostorScores: [0.8, 0.9]), 100))
    }

    @Test func emptyListsGiveNil() {
        #expect(equalErrorRate(genuineScores: [], impostorScores: [0.5]) == nil)
        #expect(equalErrorRate(genuineScores: [0.5], impostorScores: []) == nil)
    }
}

/// A tiny seeded generator for the property test.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
