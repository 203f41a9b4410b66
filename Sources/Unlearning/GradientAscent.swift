import Foundation
import NeuralNetworks
import Tensors
import Training

/// The paper's gradient ascent ("GA"): descend on the retain examples and ascend on the forget examples
/// of the same shuffled batches, so the model keeps the retained classes while it unlearns the others:
///
///     minimise  (1/|b|) Σ_{i ∈ b} s_i · CE(f(x_i), y_i),   s_i = 1 (retain), −λ (forget)
///
/// over `E` epochs of batches that mix all training examples. The authors' code is a per-example sign on
/// the cross-entropy, averaged over the batch (`GradientAscentLoss`: `(1 − m)·ce − m·λ·ce`, `.mean()`,
/// `lambda_param = 1.0`), 5 epochs, learning rate 1e-3, batch 32. Their scripts use Adam in one place and
/// AdamW (weight decay 0.01) with mixed precision in another; this follows `SPEC.md` §3: Adam, full
/// precision.
///
/// The forget term is unbounded below (the cross-entropy of a class can grow without limit), so a long
/// run can diverge; a NaN or infinite loss stops it with ``TrainingError/nonFiniteLoss(phase:epoch:step:)``.
///
/// ```swift
/// let run = try GradientAscent().unlearn(model, task: task)                  // λ = 1, 5 epochs, Adam 1e-3, batch 32
/// ```
public struct GradientAscent: UnlearningMethod {
    public struct Configuration: MethodConfiguration {
        /// λ, the weight of the ascent on forget examples. Default 1 (the authors' `lambda_param`).
        public var lambda: Float = 1
        /// E, epochs over all training examples. Default 5.
        public var epochs = 5
        /// Adam's learning rate. Default 1e-3.
        public var learningRate: Float = 1e-3
        /// Examples per step, forget and retain mixed. Default 32.
        public var batchSize = 32

        public init() {}

        public func validate() throws {
            try Check.finite("lambda", lambda)
            try Check.count("epochs", epochs, atLeast: 0)
            try Check.positive("learningRate", learningRate)
            try Check.count("batchSize", batchSize, atLeast: 1)
        }
    }

    public var configuration = Configuration()

    public init() {}

    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        let c = configuration
        let forget = Set(task.forgetClasses)
        try run.phase("gradient ascent") { run in
            try fineTune(model, task: task, phase: "gradient ascent", epochs: c.epochs, batchSize: c.batchSize,
                         optimizer: Adam(learningRate: c.learningRate), plan: BatchPlan(), run: &run,
                         observer: observer) { logits, batch in
                let labels = batch.map { task.labels[$0] }
                return Self.loss(logits: logits, labels: labels, forgetMask: labels.map { forget.contains($0) },
                                 lambda: c.lambda)
            }
        }
    }

    /// The batch mean of `s_i·CE(logits_i, y_i)` with `s_i = −λ` where `forgetMask[i]`, else 1.
    /// `logits` is `[B, K]`; `labels` and `forgetMask` have `B` entries.
    public static func loss(logits: Tensor, labels: [Int], forgetMask: [Bool], lambda: Float) -> Tensor {
        checkPrecondition(forgetMask.count == labels.count,
                          "GradientAscent.loss: \(forgetMask.count) mask entries for \(labels.count) labels")
        let signs = Tensor(shape: [labels.count], scalars: forgetMask.map { $0 ? -lambda : 1 })
        return (crossEntropy(logits: logits, labels: labels, reduction: .none) * signs).mean()
    }
}
