import Tensors

/// Equal error rate (EER) of a verification score, in percent: the rate at which the false acceptance
/// rate and the false rejection rate are equal.
///
/// Speaker-verification reading (SPEC §4): a trial claims a class and its score is the softmax
/// probability of the claimed class. *Genuine* scores come from trials whose claim is true, *impostor*
/// scores from trials whose claim is false. A trial is accepted when `score ≥ t`, so
///
///     FAR(t) = #{impostor ≥ t} / #impostor        FRR(t) = #{genuine < t} / #genuine
///
/// The sweep visits every distinct score in ascending order and finally `t = +∞` (everything
/// rejected): `FAR − FRR` falls from `+1` at the lowest score to `−1` at `+∞`. At the first threshold
/// where `FAR − FRR ≤ 0`: if it is exactly 0, EER is that common rate; otherwise the two curves are
/// joined linearly between this threshold and the previous one and EER is where the lines cross:
/// with `d = FAR − FRR`, `α = d₀ / (d₀ − d₁)` and `EER = FAR₀ + α·(FAR₁ − FAR₀)` (= `FRR₀ + α·(FRR₁ − FRR₀)`).
///
/// The result is an error **rate in [0, 100]**, never the threshold at which it occurs (the authors'
/// code sometimes returns the threshold; SPEC §9).
///
/// - Returns: `nil` when either list is empty (one of the two rates is undefined).
/// - Precondition: no score is NaN.
///
/// ```swift
/// equalErrorRate(genuineScores: [0.9, 0.8], impostorScores: [0.2, 0.1])   // 0.0
/// equalErrorRate(genuineScores: [0.5], impostorScores: [0.5])             // 50.0
/// ```
public func equalErrorRate(genuineScores: [Float], impostorScores: [Float]) -> Double? {
    guard !genuineScores.isEmpty, !impostorScores.isEmpty else { return nil }
    checkPrecondition(
        !genuineScores.contains(where: \.isNaN) && !impostorScores.contains(where: \.isNaN),
        "equalErrorRate: scores must not be NaN")
    let genuine = genuineScores.sorted()
    let impostor = impostorScores.sorted()
    let genuineCount = Double(genuine.count), impostorCount = Double(impostor.count)

    // Pointers: genuine[..<g] are < t (rejected), impostor[..<i] are < t (rejected).
    var g = 0, i = 0
    var previous: (far: Double, frr: Double)? = nil
    var thresholds = Array(Set(genuine).union(impostor)).sorted().map(Optional.some)
    thresholds.append(nil)  // +∞: every trial rejected.
    for threshold in thresholds {
        if let t = threshold {
            while g < genuine.count, genuine[g] < t { g += 1 }
            while i < impostor.count, impostor[i] < t { i += 1 }
        } else {
            g = genuine.count
            i = impostor.count
        }
        let far = Double(impostor.count - i) / impostorCount
        let frr = Double(g) / genuineCount
        let difference = far - frr
        if difference <= 0 {
            guard difference < 0, let (far0, frr0) = previous else { return 100 * far }
            let d0 = far0 - frr0
            let alpha = d0 / (d0 - difference)
            return 100 * (far0 + alpha * (far - far0))
        }
        previous = (far, frr)
    }
    fatalError("equalErrorRate: FAR − FRR is −1 at +∞, so the sweep always returns")
}
