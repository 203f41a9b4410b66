import Evaluation
import Foundation
import Tensors

/// The tests that compare a model's outputs on the forgotten classes with the oracles' (protocols 5–7).
/// The KS statistic and the neighbour attack compare two models: the unlearned model (and the original)
/// gets its mean against each oracle, and the band comes from every pair of oracles, so both sides
/// measure the same thing. LiRA needs a pool to fit its Gaussians: each oracle is scored against the
/// others.
extension AuditReport {
    /// The smallest standard deviation LiRA divides by, in φ units: oracles that agree closely on an
    /// example must not turn a tiny difference into a large z.
    static let minimumLiRADeviation = 0.25

    static func distributionRows(original: ModelMeasurement, unlearned: ModelMeasurement, oracles: [ModelMeasurement],
                                 configuration: AuditConfiguration) -> [Row] {
        let coverage = configuration.bandCoverage
        /// A statistic of two models: the unlearned model's (and the original's) mean against each oracle,
        /// and the band from every pair of oracles.
        func pairwise(_ statistic: (ModelMeasurement, ModelMeasurement) -> Double?)
            -> (original: Double?, unlearned: Double?, oracles: [Double?]) {
            func mean(_ model: ModelMeasurement) -> Double? {
                let values = oracles.compactMap { statistic(model, $0) }
                return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
            }
            let pairs = oracles.indices.flatMap { i in (i + 1 ..< oracles.count).map { statistic(oracles[i], oracles[$0]) } }
            return (mean(original), mean(unlearned), pairs)
        }

        let ks = pairwise { kolmogorovSmirnov($0.forgetConfidences, $1.forgetConfidences).statistic }
        var ksRow = Row.judged(test: "forget quality: KS statistic of the confidences φ", level: .outputs, unit: "D",
                               original: ks.original, unlearned: ks.unlearned, oracles: ks.oracles, margin: 0.05,
                               coverage: coverage, upperOnly: true)
        let pooled = kolmogorovSmirnov(unlearned.forgetConfidences, oracles.flatMap(\.forgetConfidences))
        ksRow.note = "mean D against each oracle, band from the oracle pairs; against the pooled oracles D = "
            + "\(String(format: "%.3f", pooled.statistic)), p = \(String(format: "%.3g", pooled.pValue)) (\(pooled.sizes[0]) "
            + "examples against \(pooled.sizes[1]); TOFU's forget quality)"

        let lira = { (model: ModelMeasurement, pool: [ModelMeasurement]) in Self.lira(model, pool: pool) }
        let unlearnedLiRA = lira(unlearned, oracles)
        let leaveOneOut = oracles.indices.map { i in lira(oracles[i], oracles.indices.filter { $0 != i }.map { oracles[$0] }) }
        var liraRow = Row.judged(test: "offline LiRA: training clips with |z| > 2", level: .outputs, unit: "%",
                                 original: lira(original, oracles).share, unlearned: unlearnedLiRA.share,
                                 oracles: leaveOneOut.map(\.share), margin: 5, coverage: coverage, upperOnly: true)
        liraRow.note = "mean z \(String(format: "%.2f", unlearnedLiRA.meanZ)) over \(unlearned.forgetTrainCount) clips; "
            + "each oracle against a Gaussian of the others"

        let attack = pairwise { Self.neighbourAttack($0, $1, configuration: configuration) }
        var attackRow = Row.judged(test: "neighbour-distribution attack accuracy", level: .outputs, unit: "%",
                                   original: attack.original, unlearned: attack.unlearned, oracles: attack.oracles,
                                   margin: 5, coverage: coverage, upperOnly: true, tracesErasure: true)
        attackRow.note = "mean accuracy against each oracle, band from the oracle pairs; 50 = cannot tell the two "
            + "models' view of the forgotten voices apart"
        return [ksRow, liraRow, attackRow]
    }

    /// Offline LiRA over the forgotten classes' training clips: per clip a Gaussian fitted to the pool's
    /// φ (standard deviation at least ``minimumLiRADeviation``), the model's z; the percent with |z| > 2
    /// and the mean z.
    static func lira(_ model: ModelMeasurement, pool: [ModelMeasurement]) -> (share: Double, meanZ: Double) {
        let count = model.forgetTrainCount
        guard count > 0, !pool.isEmpty else { return (0, 0) }
        var outside = 0, zSum = 0.0
        for i in 0 ..< count {
            let values = pool.map { $0.forgetConfidences[i] }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.count > 1
                ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
            let z = (model.forgetConfidences[i] - mean) / Swift.max(variance.squareRoot(), minimumLiRADeviation)
            if Swift.abs(z) > 2 { outside += 1 }
            zSum += z
        }
        return (100 * Double(outside) / Double(count), zSum / Double(count))
    }

    /// Protocol 7: for every forgotten-class example, two models' renormalised probabilities over the
    /// retained classes; a logistic regression (two classes, C = 1, standardised) tells them apart under
    /// cross-validation grouped by example. Returns the held-out accuracy in percent (50 =
    /// indistinguishable).
    static func neighbourAttack(_ model: ModelMeasurement, _ other: ModelMeasurement,
                                configuration: AuditConfiguration) -> Double? {
        let n = model.neighbourDistributions.count
        guard n >= configuration.probeFolds, other.neighbourDistributions.count == n,
              let width = model.neighbourDistributions.first?.count, width > 0 else { return nil }
        var generator = SplitMix64(seed: configuration.seed ^ 0xA77AC)
        var order = Array(0 ..< n)
        generator.shuffleReproducibly(&order)
        var fold = [Int](repeating: 0, count: n)
        for (position, example) in order.enumerated() { fold[example] = position % configuration.probeFolds }
        let rows = standardise(model.neighbourDistributions + other.neighbourDistributions)
        let labels = Array(repeating: 1, count: n) + Array(repeating: 0, count: n)
        var correct = 0
        for heldOut in 0 ..< configuration.probeFolds {
            let training = (0 ..< 2 * n).filter { fold[$0 % n] != heldOut }
            let attack = MultinomialLogisticRegression(features: training.map { rows[$0] },
                                                       labels: training.map { labels[$0] }, classCount: 2,
                                                       tolerance: probeTolerance)
            correct += (0 ..< 2 * n).filter { fold[$0 % n] == heldOut && attack.predict(rows[$0]) == labels[$0] }.count
        }
        return 100 * Double(correct) / Double(2 * n)
    }
}
