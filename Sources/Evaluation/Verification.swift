import Tensors

/// Equal error rate of a classifier read as a **speaker verifier**, in percent (SPEC §4, last bullet).
///
/// A trial is an example claiming to be speaker `c`; its score is the softmax probability of `c`.
/// Every example makes one trial per claimed class:
///
///     genuine  = { softmax(zᵢ)_c : c ∈ claimed, labelᵢ = c }
///     impostor = { softmax(zᵢ)_c : c ∈ claimed, labelᵢ ≠ c }
///
/// and the EER of the two lists is ``equalErrorRate(genuineScores:impostorScores:)``'s (accept when
/// `score ≥ t`; the rate where false acceptances and false rejections balance).
///
/// - With `claimedClasses: nil` (every class) this is the verification quality of the whole model.
/// - With `claimedClasses` = the forget classes it asks whether the forgotten speakers can still be
///   verified: a model that remembers them gives a low EER; once they are forgotten their own
///   recordings score no higher than other speakers' claims of their identity, and the EER rises to
///   about 50% (chance) or above (their recordings score *lower* than impostors').
///
/// ```swift
/// // Two speakers; example 0 (speaker 0) and example 1 (speaker 1).
/// let predictions = Predictions(classCount: 2, logits: [3, 0, 0, 3], labels: [0, 1], recordingIDs: ["a", "b"])
/// verificationEqualErrorRate(predictions)                      // 0.0: genuine 0.95 > impostor 0.05
/// verificationEqualErrorRate(predictions, claimedClasses: [1]) // 0.0: one genuine, one impostor trial
/// ```
///
/// - Returns: `nil` when there are no genuine trials (no example of a claimed class) or no impostor
///   trials (every example belongs to the claimed class).
/// - Precondition: every claimed class lies in `0 ..< classCount`.
public func verificationEqualErrorRate(_ predictions: Predictions, claimedClasses: Set<Int>? = nil) -> Double? {
    let k = predictions.classCount
    let claimed = claimedClasses.map { $0.sorted() } ?? Array(0 ..< k)
    for c in claimed {
        checkPrecondition((0 ..< k).contains(c), "verificationEqualErrorRate: claimed class \(c) is outside 0..<\(k)")
    }
    let probabilities = predictions.probabilities()
    var genuine = [Float](), impostor = [Float]()
    for (index, label) in predictions.labels.enumerated() {
        for c in claimed {
            let score = probabilities[index * k + c]
            if label == c { genuine.append(score) } else { impostor.append(score) }
        }
    }
    return equalErrorRate(genuineScores: genuine, impostorScores: impostor)
}
