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
/// let run = try PaperStandInSD().unlearn(model, task: task, progress: nil)   // η = 0.1, batch 32
/// ```
public struct PaperStandInSD: UnlearningMethod {
    public struct Configuration: Codable, Equatable, Sendable {
        /// η, the step size (the authors' `alpha`). Default 0.1.
        public var stepSize: Float = 0.1
        /// The training batch size whose forget shares are averaged. Default 32 (the authors' loaders).
        public var batchSize = 32

        public init() {}
    }

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var name: String { "SD (paper code)" }

    public var settings: [String: String] {
        ["stepSize": String(configuration.stepSize), "batchSize": String(configuration.batchSize)]
    }

    public func unlearn(_ model: any Classifier, task: UnlearningTask,
                        progress: ((TrainingProgress) -> Void)?) throws -> UnlearningRun {
        let c = configuration
        var run = UnlearningRun(method: name, settings: settings)
        ParameterImportance.forgetShareStep(model, task: task, batchSize: c.batchSize, measure: "forget gradient",
                                            run: &run) { θ, gradient, _ in θ - c.stepSize * gradient }
        return run
    }
}
