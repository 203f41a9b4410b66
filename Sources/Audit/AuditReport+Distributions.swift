import Evaluation
import Foundation
import Tensors

/// The tests that compare a model's outputs on the forgotten classes with the oracles' (protocols 5–7).
/// Each is computed for the unlearned model and the original against all oracles, and for each oracle
/// against the other oracles, which gives the band.
extension AuditReport {
    /// The smallest standard deviation LiRA divides by, in φ units: oracles that agree closely on an
    /// example must not turn a tiny difference into a large z.
    static let minimumLiRADeviation = 0.25

    static func distributionRows(original: ModelMeasurement, unlearned: ModelMeasurement, oracles: [ModelMeasurement],
                                 configuration: AuditConfiguration) -> [Row] {
        let k = configuration.bandDeviations
        func leaveOneOut<T>(_ statistic: (ModelMeasurement, [ModelMeasurement]) -> T) -> [T] {
            oracles.indices.map { i in statistic(oracles[i], oracles.indices.filter { $0 != i }.map { oracles[$0] }) }
        }

        let ks = { (model: ModelMeasurement, pool: [ModelMeasurement]) in
            kolmogorovSmirnov(model.forgetConfidences, pool.flatMap(\.forgetConfidences))
        }
        let unlearnedKS = ks(unlearned, oracles)
        var ksRow = Row.judged(test: "forget quality: KS statistic of the confidences φ", level: .outputs, unit: "D",
                               original: ks(original, oracles).statistic, unlearned: unlearnedKS.statistic,
                               oracles: leaveOneOut(ks).map(\.statistic), margin: 0.05, deviations: k, upperOnly: true)
        ksRow.note = "p = \(String(format: "%.3g", unlearnedKS.pValue)) (\(unlearnedKS.sizes[0]) examples against "
            + "\(unlearnedKS.sizes[1]) of the oracles; TOFU's forget quality)"

        let lira = { (model: ModelMeasurement, pool: [ModelMeasurement]) in Self.lira(model, pool: pool) }
        let unlearnedLiRA = lira(unlearned, oracles)
        var liraRow = Row.judged(test: "offline LiRA: training clips with |z| > 2", level: .outputs, unit: "%",
                                 original: lira(original, oracles).share, unlearned: unlearnedLiRA.share,
                                 oracles: leaveOneOut(lira).map(\.share), margin: 5, deviations: k, upperOnly: true)
        liraRow.note = "mean z \(String(format: "%.2f", unlearnedLiRA.meanZ)) over \(unlearned.forgetTrainCount) clips"

        let attack = { (model: ModelMeasurement, pool: [ModelMeasurement]) in
            Self.neighbourAttack(model, pool: pool, configuration: configuration)
        }
        var attackRow = Row.judged(test: "neighbour-distribution attack accuracy", level: .outputs, unit: "%",
                                   original: attack(original, oracles), unlearned: attack(unlearned, oracles),
                                   oracles: leaveOneOut(attack), margin: 5, deviations: k, upperOnly: true)
        attackRow.note = "50 = cannot tell the model's view of the forgotten voices from a retrained model's"
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

    /// Protocol 7: for every forgotten-class example, the model's renormalised probabilities over the
    /// retained classes and those of one pool model (drawn per example, seeded); a logistic regression
    /// (two classes, C = 1, standardised) tells them apart under cross-validation grouped by example.
    /// Returns the held-out accuracy in percent (50 = indistinguishable).
    static func neighbourAttack(_ model: ModelMeasurement, pool: [ModelMeasurement],
                                configuration: AuditConfiguration) -> Double? {
        let n = model.neighbourDistributions.count
        guard n >= configuration.probeFolds, !pool.isEmpty, let width = model.neighbourDistributions.first?.count,
              width > 0 else { return nil }
        var generator = SplitMix64(seed: configuration.seed ^ 0xA77AC)
        let partner = (0 ..< n).map { _ in Int(generator.next() % UInt64(pool.count)) }
        var order = Array(0 ..< n)
        generator.shuffleReproducibly(&order)
        var fold = [Int](repeating: 0, count: n)
        for (position, example) in order.enumerated() { fold[example] = position % configuration.probeFolds }
        let rows = standardise(model.neighbourDistributions + (0 ..< n).map { pool[partner[$0]].neighbourDistributions[$0] })
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
