import Foundation
import NeuralNetworks
import Tensors
import Training

/// The four phases as plain functions, each testable on its own.
extension QPAudioEraser {
    /// Phase 1: `W[f,:] ← s·cos φ·W[f,:]`, `b[f] ← cos φ·b[f]` for every `f` in `classes`; nothing else changes.
    public static func interfere(head: Linear, classes: [Int], phase: Double, weightScale: Double) {
        let rowScale = Float(weightScale * cos(phase)), biasScale = Float(cos(phase))
        let width = head.inputCount
        var weights = head.weight.value.scalars
        for f in classes {
            for column in 0 ..< width { weights[f * width + column] *= rowScale }
        }
        head.weight.value = Tensor(shape: head.weight.shape, scalars: weights)
        if let bias = head.bias {
            var values = bias.value.scalars
            for f in classes { values[f] *= biasScale }
            bias.value = Tensor(shape: bias.shape, scalars: values)
        }
    }

    /// Phase 2: the target distribution (length `K`) every forget example of `task` is trained towards.
    public static func superpositionTargets(for task: UnlearningTask, target: ForgetTarget) -> [Float] {
        let k = task.classCount
        switch target {
        case .uniform:
            return [Float](repeating: 1 / Float(k), count: k)
        case .retainedUniform, .retainedRenormalised:
            // retained-renormalised gives each example its own target (QPAudioEraser.references); this
            // is its shape, the spread over the retained classes.
            let retained = Set(task.retainedClasses)
            return (0 ..< k).map { retained.contains($0) ? 1 / Float(retained.count) : 0 }
        }
    }

    /// Phase 3's loss, the batch mean of `CE(p, t) − λ·m·H(p)` with `p = softmax(logits)`, `t` the
    /// target rows, and `m` = 1 for forget examples, 0 for retain examples.
    ///
    /// - Parameters: `logits` and `targets` are `[B, K]`; `forgetMask` has `B` entries of 0 or 1.
    public static func uncertaintyLoss(logits: Tensor, targets: Tensor, forgetMask: [Float], lambda: Float) -> Tensor {
        checkPrecondition(forgetMask.count == logits.shape[0],
                          "uncertaintyLoss: \(forgetMask.count) mask entries for \(logits.shape[0]) examples")
        let crossEntropies = crossEntropy(logits: logits, targetDistributions: targets, reduction: .none)
        guard lambda != 0, forgetMask.contains(where: { $0 != 0 }) else { return crossEntropies.mean() }
        let entropies = entropy(logits: logits, reduction: .none)
        let mask = Tensor(shape: [forgetMask.count], scalars: forgetMask)
        return (crossEntropies - lambda * mask * entropies).mean()
    }

    /// Phase 4's matrix `M` (`K × K`, row-major): the identity with `M[f,j] = M[j,f] = ε` for every
    /// forget class `f` and every partner `j` (the retained classes).
    public static func mixingMatrix(classCount k: Int, forgetClasses: [Int], partners: [Int], epsilon: Float) -> [Float] {
        var matrix = [Float](repeating: 0, count: k * k)
        for i in 0 ..< k { matrix[i * k + i] = 1 }
        for f in forgetClasses {
            for j in partners where j != f {
                matrix[f * k + j] = epsilon
                matrix[j * k + f] = epsilon
            }
        }
        return matrix
    }

    /// Phase 4: `W ← M·W` (and `b ← M·b` when `mixesBias`).
    public static func entangle(head: Linear, matrix: [Float], mixesBias: Bool) {
        let k = head.outputCount
        checkPrecondition(matrix.count == k * k, "entangle: a \(matrix.count)-entry matrix for \(k) classes")
        let m = Tensor(shape: [k, k], scalars: matrix)
        head.weight.value = withoutGradients { m.matmul(head.weight.value) }
        if mixesBias, let bias = head.bias {
            bias.value = withoutGradients { m.matmul(bias.value.reshaped(to: [k, 1])).reshaped(to: [k]) }
        }
    }

    /// Adds to every weight tensor of `model` below its head (rank ≥ 2: kernels, weight matrices,
    /// embeddings) Gaussian noise of standard deviation `scale` × that tensor's own standard deviation,
    /// drawn from `seed`; biases, normalisation parameters and buffers are left as they are. Given
    /// ``LaterStages``, only those stages' weights move. Given `mask` (``salientWeights(of:task:share:)``),
    /// only the entries it marks move: the noise is drawn for every entry, so a seed draws the same noise
    /// whatever the mask; those entries are first multiplied by `salientScale` (0 prunes them).
    static func perturbBackbone(of model: any Classifier, scale: Float, seed: UInt64,
                                mask: [ObjectIdentifier: Tensor]? = nil, salientScale: Float = 1) {
        var generator = SplitMix64(seed: seed ^ 0x5E1F)
        for parameter in backboneWeights(of: model) {
            let values = parameter.value.scalars
            let mean = values.reduce(0, +) / Float(values.count)
            let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)).squareRoot()
            let noise = Tensor.randomNormal(parameter.shape, standardDeviation: scale * spread, using: &generator)
            let marked = mask?[ObjectIdentifier(parameter)]
            if let marked, salientScale != 1 { parameter.value = parameter.value - parameter.value * marked * (1 - salientScale) }
            parameter.value = parameter.value + (marked.map { noise * $0 } ?? noise)
        }
    }

    /// How many examples of each forgotten class ``salientWeights(of:task:share:)`` measures the
    /// gradient on: enough to rank the weights, a small part of the phase-3 budget.
    static let saliencyExamplesPerClass = 128

    /// The weights ``perturbBackbone(of:scale:seed:mask:)`` reaches: every trainable tensor of rank ≥ 2
    /// below the head.
    static func backboneWeights(of model: any Classifier) -> [Parameter] {
        let head = Set(model.head.trainableParameters.map(ObjectIdentifier.init))
        return model.trainableParameters.filter { $0.shape.count >= 2 && !head.contains(ObjectIdentifier($0)) }
    }

    /// A saliency mask in the manner of SalUn (Fan et al., ICLR 2024): for each weight tensor below the
    /// head, 1 on the `share` of its entries where the forget examples' cross-entropy (their own labels,
    /// the trained model in evaluation mode) has the largest mean gradient magnitude — the weights that
    /// carry the forgotten voices — and 0 elsewhere. Ties at the threshold are kept, so at least `share`
    /// of each tensor is marked. The gradient is measured on a seeded sample of up to
    /// ``saliencyExamplesPerClass`` examples of each forgotten class.
    static func salientWeights(of model: any Classifier, task: UnlearningTask, share: Double) -> [ObjectIdentifier: Tensor] {
        var generator = SplitMix64(seed: task.seed ^ 0x5A11E)
        let examples = task.sample(of: task.forgetClasses, perClass: saliencyExamplesPerClass, using: &generator)
        let moments = ParameterImportance.gradientMoments(
            of: model, task: task, batches: consecutiveBatches(of: examples, size: 64), phase: "saliency")
        let positions = Dictionary(uniqueKeysWithValues: moments.parameters.enumerated().map { (ObjectIdentifier($1), $0) })
        var mask: [ObjectIdentifier: Tensor] = [:]
        for parameter in backboneWeights(of: model) {
            guard let position = positions[ObjectIdentifier(parameter)] else { continue }
            let magnitudes = moments.meanGradient[position].map(abs)
            let marked = max(1, Int((share * Double(magnitudes.count)).rounded(.up)))
            let threshold = magnitudes.sorted(by: >)[marked - 1]
            mask[ObjectIdentifier(parameter)] = Tensor(shape: parameter.shape, scalars: magnitudes.map { $0 >= threshold ? 1 : 0 })
        }
        return mask
    }
}
