import Foundation
import NeuralNetworks
import Tensors
import Training

/// What the retained-renormalised target, the embedding pull and the distillation term read from the model
/// before any phase changes it: how it hears each forget example among the retained speakers, and each
/// retained example.
extension QPAudioEraser {
    struct References {
        /// Per forget example (index into the task), its target over the `K` classes: the model's own
        /// probabilities with the forgotten classes (earlier ones too) removed and the rest renormalised.
        var targets: [Int: [Float]] = [:]
        /// Per forget example, the mean embedding of the retained class it sounds most like.
        var centroids: [Int: [Float]] = [:]
        /// Per teacher example (index into the task), the model's `K` logits with the forgotten classes'
        /// (earlier ones too) set to ``removedLogit``: the distillation term's teacher.
        var teacherLogits: [Int: [Float]] = [:]
    }

    /// A logit that takes a class out of a softmax (its probability underflows to 0) while keeping every
    /// log-probability finite, so that `0·log 0` terms stay 0 instead of becoming NaN.
    static let removedLogit: Float = -1e4

    /// The examples per retained class whose embeddings make a centroid (a seeded subsample: the mean
    /// settles long before all are read).
    static let centroidExamplesPerClass = 64

    /// The references of `task` under `model` as it is now, in inference mode; teacher logits for
    /// `teacherExamples` (indices into the task).
    static func references(of model: any Classifier, task: UnlearningTask, centroids: Bool,
                           teacherExamples: [Int] = []) -> References {
        let retained = task.retainedClasses, k = task.classCount
        var references = References()
        if !teacherExamples.isEmpty {
            let removed = Set(0 ..< k).subtracting(retained)
            let logits = predictLogits(of: model, on: task.features, indices: teacherExamples, normalizedWith: task.statistics)
            for (position, index) in teacherExamples.enumerated() {
                references.teacherLogits[index] = (0 ..< k).map { removed.contains($0) ? removedLogit : logits[position * k + $0] }
            }
        }
        let logits = predictLogits(of: model, on: task.features, indices: task.forgetIndices, normalizedWith: task.statistics)
        var nearest: [Int: Int] = [:]
        for (position, index) in task.forgetIndices.enumerated() {
            let row = logits[position * k ..< (position + 1) * k].map(Double.init)
            let top = retained.map { row[$0] }.max()!
            let weights = retained.map { Foundation.exp(row[$0] - top) }
            let total = weights.reduce(0, +)
            var target = [Float](repeating: 0, count: k)
            for (r, weight) in zip(retained, weights) { target[r] = Float(weight / total) }
            references.targets[index] = target
            nearest[index] = retained.max { target[$0] < target[$1] }
        }
        guard centroids else { return references }
        var generator = SplitMix64(seed: task.seed ^ 0xCE47)
        let chosen = task.retainedSample(perClass: centroidExamplesPerClass, using: &generator)
        let embedded = predictEmbeddings(of: model, on: task.features, indices: chosen, normalizedWith: task.statistics)
        var sums: [Int: [Float]] = [:], counts: [Int: Int] = [:]
        for (position, index) in chosen.enumerated() {
            let row = embedded.embeddings[position * embedded.width ..< (position + 1) * embedded.width]
            sums[task.labels[index]] = zip(sums[task.labels[index]] ?? Array(repeating: 0, count: embedded.width), row).map { $0 + $1 }
            counts[task.labels[index], default: 0] += 1
        }
        for (index, neighbour) in nearest {
            references.centroids[index] = sums[neighbour]!.map { $0 / Float(counts[neighbour]!) }
        }
        return references
    }

    /// Phase 1's alternative: each forgotten row of the head drawn afresh as the architecture draws a new
    /// head (``Classifier/freshHead(using:)``, seeded), its bias one standard deviation below the mean of
    /// the other rows' biases, so that no statistic of the row points at the class and the fine-tune
    /// shapes it as training without the class would have.
    static func reinitialise(rowsOf model: any Classifier, classes: [Int], retained: [Int], seed: UInt64) {
        var generator = SplitMix64(seed: seed ^ 0x2E1A17)
        let head = model.head, width = head.inputCount
        let drawn = model.freshHead(using: &generator).weight.value.scalars
        var weights = head.weight.value.scalars
        for f in classes { weights.replaceSubrange(f * width ..< (f + 1) * width, with: drawn[f * width ..< (f + 1) * width]) }
        head.weight.value = Tensor(shape: head.weight.shape, scalars: weights)
        lowerBiases(of: head, classes: classes, retained: retained)
    }

    /// The biases of `classes` set one sample standard deviation below the mean of the `retained` rows'
    /// biases; nothing without a bias.
    static func lowerBiases(of head: Linear, classes: [Int], retained: [Int]) {
        guard let bias = head.bias else { return }
        var values = bias.value.scalars
        let others = retained.map { Double(values[$0]) }
        let mean = others.reduce(0, +) / Double(others.count)
        let deviation = (others.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(others.count - 1, 1))).squareRoot()
        for f in classes { values[f] = Float(mean - deviation) }
        bias.value = Tensor(shape: bias.shape, scalars: values)
    }

    /// Each row of `classes` scaled to the mean Euclidean length of the `retained` rows, its direction and
    /// its bias kept; a row of zeros stays zero.
    static func matchRowLengths(of head: Linear, classes: [Int], retained: [Int]) {
        let width = head.inputCount
        var weights = head.weight.value.scalars
        func length(_ row: Int) -> Double {
            weights[row * width ..< (row + 1) * width].reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
        let target = retained.map(length).reduce(0, +) / Double(retained.count)
        for f in classes {
            let current = length(f)
            guard current > 0 else { continue }
            let scale = Float(target / current)
            for column in f * width ..< (f + 1) * width { weights[column] *= scale }
        }
        head.weight.value = Tensor(shape: head.weight.shape, scalars: weights)
    }

    /// Phase 1's alternative for the whole head: every row and bias drawn afresh as the architecture draws
    /// a new head (``Classifier/freshHead(using:)``, seeded): where a retraining starts.
    static func replaceHead(of model: any Classifier, seed: UInt64) {
        var generator = SplitMix64(seed: seed ^ 0xF2E5)
        let head = model.head
        let fresh = model.freshHead(using: &generator)
        head.weight.value = fresh.weight.value
        if let bias = head.bias, let drawn = fresh.bias { bias.value = drawn.value }
    }
}
