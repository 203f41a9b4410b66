import Foundation
import NeuralNetworks
import Training

/// "FF (paper code)": the one-step stand-in that the QPAudioEraser authors' scripts run and report as
/// "Fisher forgetting". **It is not the published method** (that is ``FisherForgetting``, Golatkar et
/// al.; `SPEC.md` §9): it shrinks each weight in proportion to its squared forget-set gradient, once,
/// and is kept only to reproduce the paper's tables, where it barely erases anything.
///
///     θ ← θ − η·F_f ⊙ θ,    F_f = (1/B) Σ_b (∇ CE_b)²     (η = 0.1)
///
/// `F_f` is the mean over batches of the squared batch-mean cross-entropy gradient on forget examples,
/// model in evaluation mode (``GradientMoments/meanSquaredGradient``). Like the authors'
/// `fisher_forgetting_unlearn` (`lambda_fisher=0.1`), the batches are the forget examples of each batch
/// of one shuffled pass over the training data (``ParameterImportance/forgetShares(of:batchSize:)``,
/// batch 32). On a well-trained model `F_f` is tiny, so the weights hardly move.
///
/// ```swift
/// let run = try PaperStandInFF().unlearn(model, task: task)   // η = 0.1, batch 32
/// ```
public struct PaperStandInFF: UnlearningMethod {
    /// η (the authors' `lambda_fisher`) and the batch size.
    public typealias Configuration = ForgetShareStepConfiguration

    public var configuration = Configuration()

    public init() {}

    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        let c = configuration
        ParameterImportance.forgetShareStep(model, task: task, batchSize: c.batchSize, measure: "forget fisher",
                                            observer: observer, run: &run) { θ, _, fisher in θ - c.stepSize * fisher * θ }
    }
}
