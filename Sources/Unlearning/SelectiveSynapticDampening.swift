import Foundation
import NeuralNetworks
import Tensors
import Training

/// Selective synaptic dampening ("SSD", Foster, Schoepf & Brintrup, "Fast Machine Unlearning Without
/// Retraining Through Selective Synaptic Dampening", AAAI 2024): no training, one pass of gradients.
///
/// 1. **Importance.** With the model in evaluation mode, `I_X = (1/B) Σ_b (∇ CE_b)²` element-wise, the
///    mean over batches of the squared batch-mean gradient of cross-entropy
///    (``ParameterImportance/gradientMoments(of:task:batches:)``), for `X` = the full training set
///    `D` (retain and forget examples) and for the forget set `D_f`.
/// 2. **Dampening.** Every parameter element `i` much more important to the forget set than to all
///    data, `I_Df[i] > α·I_D[i]`, is shrunk: `θ_i ← min(λ·I_D[i] / I_Df[i], 1)·θ_i`. All others are
///    left bit for bit as they were.
///
/// Only trainable parameters are dampened (PyTorch `named_parameters()`), never batch norm's running
/// statistics. The batches follow the reference code (`if-loops/selective-synaptic-dampening`,
/// `forget_full_class_main.py`): unshuffled loaders of batch size 64, `D` being the retain examples
/// followed by the forget examples (`ConcatDataset((retain, forget))`), each in the task's stored order.
///
/// ```swift
/// let ssd = SelectiveSynapticDampening()              // α = 10, λ = 1, batch 64
/// let run = try ssd.unlearn(model, task: task)
/// run.phases.map(\.name)                             // ["importance", "dampening"]
/// ```
public struct SelectiveSynapticDampening: UnlearningMethod {
    public struct Configuration: MethodConfiguration {
        /// α, the selection weighting: dampen where `I_Df > α·I_D`. Default 10, the paper's value for
        /// ResNet18 (reference code `selection_weighting = 10 * model_size_scaler`). For ViT full-class
        /// forgetting the paper uses α = 5 (`model_size_scaler = 0.5`); for PinsFaceRecognition α = 50.
        public var alpha: Float = 10
        /// λ, the dampening constant: the factor is `min(λ·I_D/I_Df, 1)`. Default 1 (the paper;
        /// reference code `dampening_constant = 1`; 0.1 for PinsFaceRecognition).
        public var lambda: Float = 1
        /// Examples per importance batch. Default 64, the reference code's `-b` default (its experiment
        /// scripts pass no other value).
        public var batchSize = 64

        public init() {}

        public func validate() throws {
            try Check.nonNegative("alpha", alpha)
            try Check.nonNegative("lambda", lambda)
            try Check.count("batchSize", batchSize, atLeast: 1)
        }
    }

    public var configuration = Configuration()

    public init() {}

    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        let c = configuration
        let (full, forget) = run.phase("importance") { run in
            let full = ParameterImportance.gradientMoments(
                of: model, task: task, batches: consecutiveBatches(of: task.retainIndices + task.forgetIndices, size: c.batchSize),
                phase: "SSD importance (all data)", observer: observer)
            let forget = ParameterImportance.gradientMoments(
                of: model, task: task, batches: consecutiveBatches(of: task.forgetIndices, size: c.batchSize),
                phase: "SSD importance (forget data)", observer: observer)
            run.examplesSeen += full.exampleCount + forget.exampleCount
            return (full, forget)
        }!
        run.phase("dampening") { _ in
            Self.dampen(full.parameters, fullImportance: full.meanSquaredGradient,
                        forgetImportance: forget.meanSquaredGradient, alpha: c.alpha, lambda: c.lambda)
        }
    }

    /// Step 2 on its own: `θ_i ← min(λ·I_D[i] / I_Df[i], 1)·θ_i` wherever `I_Df[i] > α·I_D[i]`.
    /// Arrays are per parameter, flattened, as in ``GradientMoments``. Returns how many elements were
    /// dampened.
    @discardableResult
    public static func dampen(_ parameters: [Parameter], fullImportance: [[Float]], forgetImportance: [[Float]],
                              alpha: Float, lambda: Float) -> Int {
        checkPrecondition(fullImportance.count == parameters.count && forgetImportance.count == parameters.count,
                          "dampen: \(fullImportance.count) and \(forgetImportance.count) importances for \(parameters.count) parameters")
        var dampened = 0
        for (k, parameter) in parameters.enumerated() {
            let full = fullImportance[k], forget = forgetImportance[k]
            var values = parameter.value.scalars
            checkPrecondition(full.count == values.count && forget.count == values.count,
                              "dampen: importances of \(full.count), \(forget.count) elements for a parameter of \(values.count)")
            var changed = false
            for i in values.indices where forget[i] > alpha * full[i] {
                values[i] *= min(lambda * full[i] / forget[i], 1)
                dampened += 1
                changed = true
            }
            if changed { parameter.value = Tensor(shape: parameter.shape, scalars: values) }
        }
        return dampened
    }
}
