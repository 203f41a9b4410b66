import Foundation
import NeuralNetworks
import Tensors
import Training

/// Bad Teacher (Chundawat, Tarun, Mandal & Kankanhalli, "Can Bad Teaching Induce Forgetting? Unlearning
/// in Deep Networks Using an Incompetent Teacher", AAAI 2023; code github.com/vikram2000b/bad-teaching-unlearning):
/// the model, as a student, imitates a randomly initialised network on the forget examples and a frozen
/// copy of itself on the retained ones.
///
/// Two teachers, both in inference mode: the **competent teacher** `f`, a copy of the model taken before
/// any change, and the **incompetent teacher** `u`, a freshly initialised network of the same
/// architecture (both from ``UnlearningTask/makeModel``). For student logits `s` and temperature `T`,
/// each example's target is `p = softmax(u/T)` when it belongs to a forget class and `softmax(f/T)`
/// otherwise, and each step minimises their `UnlearnerLoss`
///
///     L = Σ_batch KL(p ‖ softmax(s/T)) / (N·K)
///
/// over batches of `N` examples and `K` classes: PyTorch's `kl_div(log_softmax(s/T), p)` with its
/// default `reduction="mean"`, which averages over all `N·K` elements, and without the `T²` factor of
/// SCRUB's divergence. Under Adam the `1/K` barely matters; it is kept so losses match theirs.
///
/// The batches mix all forget examples with a seeded sample of 30% of the retained ones, shuffled
/// together (their `UnLearningData` over `forget_train` and `random.sample(retain_train, 0.3·n)`).
/// Their subset is drawn once; ``BatchPlan`` draws one per epoch, the same thing for their one epoch.
///
/// ```swift
/// let run = try BadTeacher().unlearn(model, task: task)   // 1 epoch, Adam 1e-4, batch 256
/// ```
public struct BadTeacher: UnlearningMethod {
    public struct Configuration: MethodConfiguration {
        /// T, the softmax temperature of the student and both teachers (their `KL_temperature`). Default 1.
        public var temperature: Float = 1
        /// Passes over the batches (their `epochs` in the CIFAR-100 notebook). Default 1.
        public var epochs = 1
        /// Adam's learning rate (their `lr`). Default 1e-4.
        public var learningRate: Float = 1e-4
        /// Examples per step (their `batch_size`). Default 256.
        public var batchSize = 256
        /// Which examples each epoch visits. Default: all forget examples and a fresh seeded 30% of the
        /// retained ones, shuffled together (their `retain_train_subset`).
        public var batchPlan = BatchPlan(retainFraction: 0.3)

        public init() {}

        public func validate() throws {
            try Check.positive("temperature", temperature)
            try Check.count("epochs", epochs, atLeast: 0)
            try Check.positive("learningRate", learningRate)
            try Check.count("batchSize", batchSize, atLeast: 1)
            try ConfigurationError.within(prefix: "batchPlan") { try batchPlan.validate() }
        }
    }

    public var configuration = Configuration()

    public init() {}

    /// - Throws: ``UnlearningError/missingModelFactory(method:)`` without a model factory;
    ///   ``TrainingError/nonFiniteLoss(phase:epoch:step:)`` when a loss diverges.
    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        let c = configuration
        let (competent, incompetent) = try run.phase("teachers") { _ in
            (try Distillation.frozenCopy(of: model, task: task, method: name),
             try Distillation.freshModel(task: task, method: name))
        }!
        let forget = Set(task.forgetClasses)
        try run.phase("distillation") { run in
            let schedule = (0 ..< c.epochs).map { c.batchPlan.batches(for: task, epoch: $0 + 1, batchSize: c.batchSize) }
            try trainEpochs(model, task: task, phase: "bad-teacher distillation", schedule: schedule,
                            optimizer: Adam(learningRate: c.learningRate), run: &run, observer: observer) { logits, x, batch in
                Self.unlearnerLoss(logits: logits, competentLogits: Distillation.teacherLogits(competent, for: x),
                                   incompetentLogits: Distillation.teacherLogits(incompetent, for: x),
                                   isForgotten: batch.map { forget.contains(task.labels[$0]) },
                                   temperature: c.temperature)
            }
            run.trainingRate = nil                // each step also runs both teachers: not what a training step costs
        }
    }

    /// Their `UnlearnerLoss`: `Σ_rows KL(p ‖ softmax(s/T)) / (N·K)` with `p = softmax(u/T)` on rows
    /// where `isForgotten` and `softmax(f/T)` elsewhere; all logits `[N, K]`, a scalar.
    static func unlearnerLoss(logits: Tensor, competentLogits: Tensor, incompetentLogits: Tensor,
                              isForgotten: [Bool], temperature: Float) -> Tensor {
        let targets = Distillation.rows(of: competentLogits, or: incompetentLogits, takingSecondWhere: isForgotten)
        let classCount = Float(logits.shape[1])
        // klDivergence is T²·KL averaged over rows: undo T², then average over the K classes too.
        return klDivergence(logits: logits, teacherLogits: targets, temperature: temperature)
            * (1 / (temperature * temperature * classCount))
    }
}
