import Datasets
import Evaluation
import Foundation
import Tensors

/// The tolerance of the audit's logistic regressions: far tighter than what moves a recall by one clip.
let probeTolerance = 1e-7

/// The embedding probe (protocol 1): per clip (the mean embedding of its examples), a stratified
/// subsample of at most `probeClipsPerClass` clips per class from the training and test splits,
/// standardised; cross-validated multinomial logistic regression (C = 1) → recall and one-vs-rest AUROC
/// of the forgotten classes; and the k-nearest-neighbour recall under cosine similarity (leave one out).
struct ProbeMeasures {
    var recall: Double?
    var auroc: Double?
    var neighbourRecall: Double?

    init(_ outputs: AuditOutputs, data: AuditData, configuration: AuditConfiguration) {
        let clips = Self.clips(outputs, data: data, configuration: configuration)
        let forget = Set(data.forgetClasses)
        let isForget = clips.labels.map(forget.contains)
        guard isForget.contains(true), isForget.contains(false) else { return }
        let standardised = standardise(clips.embeddings)
        let folds = stratifiedFolds(labels: clips.labels, folds: configuration.probeFolds, seed: configuration.seed)
        var predicted = [Int](repeating: 0, count: clips.labels.count), forgetScore = [Double](repeating: 0, count: clips.labels.count)
        for fold in Set(folds).sorted() {
            let training = clips.labels.indices.filter { folds[$0] != fold }
            let probe = MultinomialLogisticRegression(features: training.map { standardised[$0] },
                                                      labels: training.map { clips.labels[$0] },
                                                      classCount: data.classCount, tolerance: probeTolerance)
            for index in clips.labels.indices where folds[index] == fold {
                let probabilities = probe.probabilities(standardised[index])
                predicted[index] = probe.predict(standardised[index])
                forgetScore[index] = data.forgetClasses.reduce(0) { $0 + probabilities[$1] }
            }
        }
        let forgetClips = clips.labels.indices.filter { isForget[$0] }
        recall = 100 * Double(forgetClips.filter { predicted[$0] == clips.labels[$0] }.count) / Double(forgetClips.count)
        auroc = areaUnderROC(positive: forgetClips.map { forgetScore[$0] },
                             negative: clips.labels.indices.filter { !isForget[$0] }.map { forgetScore[$0] }).map { 100 * $0 }
        neighbourRecall = Self.neighbourRecall(clips, of: forgetClips, k: configuration.neighbours)
    }

    /// The probe's clips: mean embedding and class of each recording, at most `probeClipsPerClass` per
    /// class (a seeded subsample), in a stable order.
    static func clips(_ outputs: AuditOutputs, data: AuditData,
                      configuration: AuditConfiguration) -> (embeddings: [[Double]], labels: [Int]) {
        var sums: [String: (sum: [Double], count: Int, label: Int)] = [:], order: [String] = []
        for (isTrain, examples) in [(true, data.train), (false, data.test)] {
            for index in 0 ..< examples.count {
                let id = examples.features.recordingIDs[index]
                let embedding = outputs.embedding(train: isTrain, index).map(Double.init)
                if let entry = sums[id] {
                    sums[id] = (zip(entry.sum, embedding).map { $0 + $1 }, entry.count + 1, entry.label)
                } else {
                    sums[id] = (embedding, 1, examples.labels[index])
                    order.append(id)
                }
            }
        }
        var generator = SplitMix64(seed: configuration.seed ^ 0xC11B)
        var embeddings: [[Double]] = [], labels: [Int] = []
        for label in 0 ..< data.classCount {
            var members = order.filter { sums[$0]!.label == label }
            if members.count > configuration.probeClipsPerClass {
                generator.shuffleReproducibly(&members)
                members = Array(members.prefix(configuration.probeClipsPerClass)).sorted()
            }
            for id in members {
                let entry = sums[id]!
                embeddings.append(entry.sum.map { $0 / Double(entry.count) })
                labels.append(label)
            }
        }
        return (embeddings, labels)
    }

    /// The share of `queries` whose `k` most cosine-similar other clips vote for the query's class (a tie
    /// goes to the class of the most similar clip among the tied).
    static func neighbourRecall(_ clips: (embeddings: [[Double]], labels: [Int]), of queries: [Int], k: Int) -> Double {
        let normalised = clips.embeddings.map { row -> [Double] in
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? row.map { $0 / norm } : row
        }
        var hits = 0
        for query in queries {
            let similarities = normalised.indices.filter { $0 != query }
                .map { (index: $0, similarity: zip(normalised[$0], normalised[query]).reduce(0) { $0 + $1.0 * $1.1 }) }
                .sorted { $0.similarity > $1.similarity }
                .prefix(k)
            var votes: [Int: Int] = [:]
            for neighbour in similarities { votes[clips.labels[neighbour.index], default: 0] += 1 }
            let most = votes.values.max() ?? 0
            let winner = similarities.first { votes[clips.labels[$0.index]] == most }.map { clips.labels[$0.index] }
            if winner == clips.labels[query] { hits += 1 }
        }
        return 100 * Double(hits) / Double(queries.count)
    }
}

/// Each column scaled to mean 0 and standard deviation 1 over the rows (a constant column stays 0).
func standardise(_ rows: [[Double]]) -> [[Double]] {
    guard let width = rows.first?.count else { return rows }
    var mean = [Double](repeating: 0, count: width), deviation = mean
    for row in rows { for j in 0 ..< width { mean[j] += row[j] } }
    mean = mean.map { $0 / Double(rows.count) }
    for row in rows { for j in 0 ..< width { deviation[j] += (row[j] - mean[j]) * (row[j] - mean[j]) } }
    deviation = deviation.map { ($0 / Double(rows.count)).squareRoot() }
    return rows.map { row in (0 ..< width).map { deviation[$0] > 0 ? (row[$0] - mean[$0]) / deviation[$0] : 0 } }
}

/// Protocol 2: the last layer re-fitted (multinomial logistic regression, C = 1, on standardised frozen
/// embeddings) to every class's training examples, the forgotten ones included; forget accuracy on
/// their test examples.
func measureHeadRefit(_ outputs: AuditOutputs, data: AuditData) -> Double? {
    let train = (0 ..< data.train.count).map { outputs.embedding(train: true, $0).map(Double.init) }
    let test = data.forgetTest.map { outputs.embedding(train: false, $0).map(Double.init) }
    let all = standardise(train + test)
    let head = MultinomialLogisticRegression(features: Array(all.prefix(train.count)), labels: data.train.labels,
                                             classCount: data.classCount, tolerance: probeTolerance)
    let correct = zip(all.suffix(test.count), data.forgetTest).filter { head.predict($0) == data.test.labels[$1] }.count
    return 100 * Double(correct) / Double(test.count)
}

/// Protocol 9: per forgotten class, `enrolmentClips` of its test examples (seeded) enrolled as the mean of
/// their L2-normalised embeddings; its other test examples are genuine trials, every other class's test
/// examples impostor trials, scored by cosine; the EER, averaged over the forgotten classes.
func measureVerification(_ outputs: AuditOutputs, data: AuditData, configuration: AuditConfiguration) -> Double? {
    func normalised(_ index: Int) -> [Double] {
        let row = outputs.embedding(train: false, index).map(Double.init)
        let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? row.map { $0 / norm } : row
    }
    var generator = SplitMix64(seed: configuration.seed ^ 0xE4201)
    var rates: [Double] = []
    for forgotten in data.forgetClasses {
        var own = data.forgetTest.filter { data.test.labels[$0] == forgotten }
        guard own.count > configuration.enrolmentClips else { continue }
        generator.shuffleReproducibly(&own)
        let enrolled = own.prefix(configuration.enrolmentClips).map(normalised)
        var model = (0 ..< enrolled[0].count).map { j in enrolled.reduce(0) { $0 + $1[j] } }
        let norm = model.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { model = model.map { $0 / norm } }
        func score(_ index: Int) -> Float { Float(zip(normalised(index), model).reduce(0) { $0 + $1.0 * $1.1 }) }
        let genuine = own.dropFirst(configuration.enrolmentClips).map(score)
        let impostor = (0 ..< data.test.count).filter { data.test.labels[$0] != forgotten }.map(score)
        if let rate = equalErrorRate(genuineScores: genuine, impostorScores: impostor) { rates.append(rate) }
    }
    return rates.isEmpty ? nil : rates.reduce(0, +) / Double(rates.count)
}
