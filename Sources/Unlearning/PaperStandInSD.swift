import Foundation
import NeuralNetworks
import Training

/// "SD (paper code)": the one-step stand-in that the QPAudioEraser authors' scripts run and report as
/// "synaptic dampening". **It is not the published method** (that is ``SelectiveSynapticDampening``;
/// `SPEC.md` §9): it is a single gradient step on the forget set, kept only to reproduce the paper's
/// tables, where it barely erases anything.
///
///     θ ← θ − η·ḡ_f,    ḡ_f = (1/B) Σ_b ∇ CE_b     (η = 0.1)
///
/// `ḡ_f` is the mean over batches of the batch-mean cross-entropy gradient on forget examples, model in
/// evaluation mode (``GradientMoments/meanGradient``). Like the authors' `synaptic_dampening`
/// (`alpha=0.1`), the batches are the forget examples of each batch of one shuffled pass over the
/// training data (``ParameterImportance/forgetShares(of:batchSize:)``, batch 32). Note the sign: a
/// step *down* the forget loss, which if anything makes the forget classes more certain.
///
/// ```swift
/// let run = try PaperStandInSD().unlearn(model, task: task)   // η = 0.1, batch 32
/// ```
public struct PaperStandInSD: UnlearningMethod {
    /// η (the authors' `alpha`) and the batch size.
    public typealias Configuration = ForgetShareStepConfiguration

    public var configuration = Configuration()

    public init() {}

    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        let c = configuration
        ParameterImportance.forgetShareStep(model, task: task, batchSize: c.batchSize, measure: "forget gradient",
                                            observer: observer, run: &run) { θ, gradient, _ in θ - c.stepSize * gradient }
    }
}
