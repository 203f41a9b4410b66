import Foundation
import NeuralNetworks
import Tensors
import Training

/// Fine-tuning on the retained data ("FT"): more epochs of the original objective, cross-entropy, over
/// the retain examples only. The forget examples are never seen; the forget classes fade only as far as
/// training on the others overwrites them (catastrophic forgetting), which on a well-fitted model is
/// often not far.
///
///     minimise  (1/|b|) Σ_{(x,y) ∈ b} CE(f(x), y)     over batches b of the retain set D_r
///
/// The unlearning literature has no single recipe. The defaults keep the SSD reference code's number of
/// epochs (`if-loops/selective-synaptic-dampening`, `finetune`: `fit_one_cycle(5, …)`, there SGD with a
/// one-cycle schedule peaking at 0.02) and take the optimizer, learning rate and batch size of the
/// paper's other fine-tuning baselines (gradient ascent, negative gradient, QPAudioEraser's phase 3:
/// Adam 1e-3, batch 32), so every baseline trains with the same step.
///
/// ```swift
/// let run = try FineTune().unlearn(model, task: task)                    // 5 epochs, Adam 1e-3, batch 32
/// run.examplesSeen == 5 * task.retainIndices.count                       // true
/// ```
public struct FineTune: UnlearningMethod {
    /// E epochs over the retain set (default 5, the SSD reference code's `finetune`), Adam 1e-3, batch 32.
    public typealias Configuration = AdamFineTuneConfiguration

    public var configuration = Configuration()

    public init() {}

    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        let c = configuration
        try run.phase("fine-tune") { run in
            try fineTune(model, task: task, phase: "fine-tune", epochs: c.epochs, batchSize: c.batchSize,
                         optimizer: Adam(learningRate: c.learningRate), plan: BatchPlan(examples: .retain), run: &run,
                         observer: observer) { logits, batch in
                crossEntropy(logits: logits, labels: batch.map { task.labels[$0] })
            }
        }
    }
}
