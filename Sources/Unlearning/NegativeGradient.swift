import Foundation
import NeuralNetworks
import Tensors
import Training

/// Negative gradient ("NG"): gradient ascent on the forget examples alone, with nothing to hold the
/// retained classes in place:
///
///     minimise  −(1/|b|) Σ_{(x,y) ∈ b} CE(f(x), y)     over batches b of the forget set D_f
///
/// `E` epochs of Adam. Nothing bounds the objective, so the model is expected to collapse (every input
/// pushed away from the forget classes, often onto one retained class): it is the lower reference among
/// the baselines, as in the paper. A NaN or infinite loss stops the run with
/// ``TrainingError/nonFiniteLoss(phase:epoch:step:)``; the model keeps the parameters from before
/// that step.
///
/// Defaults from `SPEC.md` §3 and the authors' `negative_gradient_unlearn`: 5 epochs, learning rate
/// 1e-3. The authors take the forget examples out of each shuffled training batch of 32, so they make
/// one small step per training batch; here the forget examples form their own batches of 32.
///
/// ```swift
/// let run = try NegativeGradient().unlearn(model, task: task)                  // 5 epochs, Adam 1e-3, batch 32
/// run.examplesSeen == 5 * task.forgetIndices.count                            // true
/// ```
public struct NegativeGradient: UnlearningMethod {
    /// E epochs over the forget set (default 5), Adam 1e-3, batch 32.
    public typealias Configuration = AdamFineTuneConfiguration

    public var configuration = Configuration()

    public init() {}

    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        let c = configuration
        try run.phase("negative gradient") { run in
            try fineTune(model, task: task, phase: "negative gradient", epochs: c.epochs, batchSize: c.batchSize,
                         optimizer: Adam(learningRate: c.learningRate), plan: BatchPlan(examples: .forget), run: &run,
                         observer: observer) { logits, batch in
                -crossEntropy(logits: logits, labels: batch.map { task.labels[$0] })
            }
        }
    }
}
