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
/// ``UnlearningError/nonFiniteLoss(phase:epoch:step:)``; the model keeps the parameters from before
/// that step.
///
/// Defaults from `SPEC.md` §3 and the authors' `negative_gradient_unlearn`: 5 epochs, learning rate
/// 1e-3. The authors take the forget examples out of each shuffled training batch of 32, so they make
/// one small step per training batch; here the forget examples form their own batches of 32.
///
/// ```swift
/// let run = try NegativeGradient().unlearn(model, task: task, progress: nil)   // 5 epochs, Adam 1e-3, batch 32
/// run.examplesSeen == 5 * task.forgetIndices.count                            // true
/// ```
public struct NegativeGradient: UnlearningMethod {
    public struct Configuration: Codable, Equatable, Sendable {
        /// E, epochs over the forget set. Default 5.
        public var epochs = 5
        /// Adam's learning rate. Default 1e-3.
        public var learningRate: Float = 1e-3
        /// Forget examples per step. Default 32.
        public var batchSize = 32

        public init() {}
    }

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var name: String { "Negative gradient" }

    public var settings: [String: String] {
        let c = configuration
        return ["epochs": String(c.epochs), "learningRate": String(c.learningRate), "batchSize": String(c.batchSize)]
    }

    public func unlearn(_ model: any Classifier, task: UnlearningTask,
                        progress: ((TrainingProgress) -> Void)?) throws -> UnlearningRun {
        let c = configuration
        var run = UnlearningRun(method: name, settings: settings)
        try run.phase("negative gradient") { run in
            try fineTune(model, task: task, phase: "negative gradient", epochs: c.epochs, batchSize: c.batchSize,
                         optimizer: Adam(learningRate: c.learningRate), plan: BatchPlan(examples: .forget), run: &run,
                         progress: progress) { logits, batch in
                -crossEntropy(logits: logits, labels: batch.map { task.labels[$0] })
            }
        }
        return run
    }
}
