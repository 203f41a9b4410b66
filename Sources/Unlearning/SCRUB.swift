import Foundation
import NeuralNetworks
import Tensors
import Training

/// SCRUB (Kurmanji, Triantafillou, Hayes & Triantafillou, "Towards Unbounded Machine Unlearning",
/// NeurIPS 2023; code github.com/meghdadk/SCRUB): the model, as a student, is pushed away from a frozen
/// copy of itself (the teacher) on the forget examples and kept close to it on the retained ones.
///
/// With teacher logits `t`, student logits `s`, temperature `T` and
/// `d(x) = T²·KL(softmax(t/T) ‖ softmax(s/T))` (their `DistillKL`), each epoch `e = 1…E` runs
///
/// 1. **max-steps**, for `e ≤ msteps`: one pass over the forget examples in batches, each step
///    minimising `−mean d(x)`, i.e. maximising the divergence from the teacher;
/// 2. **min-steps**, every epoch: one pass over the retained examples, each step minimising
///    `γ·CE(s, y) + α·mean d(x)`.
///
/// One SGD optimizer (momentum, weight decay) serves both kinds of step, as in their code, and its
/// learning rate is multiplied by the decay rate once for every entry of `learningRateDecayEpochs`
/// that `e` exceeds (their `adjust_learning_rate`). The teacher is a copy of the model taken before any
/// change (``UnlearningTask/makeModel`` supplies the network to copy into), in inference mode.
///
/// The defaults are those of their full-class experiment (`large_scale_unlearning.ipynb`: CIFAR-10, one
/// class forgotten), which is this tool's setting: forgetting every example of a speaker. Their
/// small-scale notebook uses other values (Adam, γ = 1, α = 0.5, T = 2, msteps = 3, 10 epochs).
/// Their `β` weighs a feature-level distillation loss that is zero for their `distill = 'kd'`, so it
/// has no field here.
///
/// `epochLosses` holds the mean min-step loss of each epoch; the phases time the max-steps and the
/// min-steps separately (summed over epochs).
///
/// ```swift
/// let run = try SCRUB().unlearn(model, task: task)   // 3 epochs, 2 with max-steps
/// ```
public struct SCRUB: UnlearningMethod {
    public struct Configuration: MethodConfiguration {
        /// E, the epochs (their `sgda_epochs`). Default 3.
        public var epochs = 3
        /// The epochs that begin with max-steps on the forget examples, epochs `1…msteps` (their
        /// `msteps`). Default 2.
        public var maxStepEpochs = 2
        /// γ, the weight of the cross-entropy on retained examples in the min-steps (their `gamma`).
        /// Default 0.99.
        public var gamma: Float = 0.99
        /// α, the weight of the divergence from the teacher on retained examples in the min-steps
        /// (their `alpha`). Default 0.001.
        public var alpha: Float = 0.001
        /// T, the distillation temperature of `d` (their `kd_T`). Default 4.
        public var temperature: Float = 4
        /// SGD's learning rate (their `sgda_learning_rate`). Default 5e-4.
        public var learningRate: Float = 5e-4
        /// SGD's momentum μ (their `sgda_momentum`). Default 0.9.
        public var momentum: Float = 0.9
        /// SGD's L2 weight decay λ (their `sgda_weight_decay`). Default 5e-4.
        public var weightDecay: Float = 5e-4
        /// Epochs after which the learning rate decays (their `lr_decay_epochs`). Default [3, 5, 9]: with
        /// 3 epochs the rate never decays.
        public var learningRateDecayEpochs = [3, 5, 9]
        /// The factor of each decay (their `lr_decay_rate`). Default 0.1.
        public var learningRateDecayRate: Float = 0.1
        /// Forget examples per max-step (their forget loader's `batch_size`). Default 512.
        public var forgetBatchSize = 512
        /// Retained examples per min-step (their retain loader's `batch_size`). Default 256.
        public var retainBatchSize = 256

        public init() {}

        public func validate() throws {
            try Check.count("epochs", epochs, atLeast: 0)
            try Check.count("maxStepEpochs", maxStepEpochs, atLeast: 0)
            try Check.finite("gamma", gamma)
            try Check.finite("alpha", alpha)
            try Check.positive("temperature", temperature)
            try Check.positive("learningRate", learningRate)
            try Check.within("momentum", momentum, 0 ..< 1)
            try Check.nonNegative("weightDecay", weightDecay)
            try Check.that(learningRateDecayEpochs.allSatisfy { $0 >= 0 }, "learningRateDecayEpochs",
                           learningRateDecayEpochs.map(String.init).joined(separator: ","), allowed: "epoch numbers, 0 or more")
            try Check.positive("learningRateDecayRate", learningRateDecayRate)
            try Check.count("forgetBatchSize", forgetBatchSize, atLeast: 1)
            try Check.count("retainBatchSize", retainBatchSize, atLeast: 1)
        }
    }

    public var configuration = Configuration()

    public init() {}

    /// The learning rate of epoch `epoch` (1-based): `lr·rate^(number of decay epochs < epoch)`.
    func learningRate(atEpoch epoch: Int) -> Float {
        let c = configuration
        let decays = c.learningRateDecayEpochs.filter { epoch > $0 }.count
        return c.learningRate * pow(c.learningRateDecayRate, Float(decays))
    }

    /// - Throws: ``UnlearningError/missingModelFactory(method:)`` without a model factory;
    ///   ``TrainingError/nonFiniteLoss(phase:epoch:step:)`` when a loss diverges.
    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        let c = configuration
        let teacher = try run.phase("frozen teacher") { _ in
            try Distillation.frozenCopy(of: model, task: task, method: name)
        }!
        let optimizer = SGD(learningRate: c.learningRate, momentum: c.momentum, weightDecay: c.weightDecay)
        let (T, gamma, alpha) = (c.temperature, c.gamma, c.alpha)
        let schedule = (1 ..< c.epochs + 1).map { epoch in
            (forget: epoch <= c.maxStepEpochs
                ? BatchPlan(examples: .forget).batches(for: task, epoch: epoch, batchSize: c.forgetBatchSize) : [],
             retain: BatchPlan(examples: .retain).batches(for: task, epoch: epoch, batchSize: c.retainBatchSize))
        }
        var clock = ProgressClock(totalSteps: schedule.reduce(0) { $0 + $1.forget.count + $1.retain.count })
        var maxSeconds = 0.0, minSeconds = 0.0
        for (index, batches) in schedule.enumerated() {
            let epoch = index + 1
            optimizer.learningRate = learningRate(atEpoch: epoch)
            if !batches.forget.isEmpty {
                let summary = try task.trainingPass(of: model, phase: "SCRUB max-steps", epoch: epoch, epochs: c.epochs,
                                                    batches: batches.forget, optimizer: optimizer, clock: &clock,
                                                    observer: observer, run: &run) { logits, x, _ in
                    -klDivergence(logits: logits, teacherLogits: Distillation.teacherLogits(teacher, for: x), temperature: T)
                }
                maxSeconds += summary.seconds
                observer.epoch(summary)
            }
            let summary = try task.trainingPass(of: model, phase: "SCRUB min-steps", epoch: epoch, epochs: c.epochs,
                                                batches: batches.retain, optimizer: optimizer, clock: &clock,
                                                observer: observer, run: &run) { logits, x, batch in
                crossEntropy(logits: logits, labels: batch.map { task.labels[$0] }) * gamma
                    + klDivergence(logits: logits, teacherLogits: Distillation.teacherLogits(teacher, for: x),
                                   temperature: T) * alpha
            }
            minSeconds += summary.seconds
            run.epochLosses.append(summary.loss)
            observer.epoch(summary)
        }
        run.trainingRate = nil                    // each step also runs the teacher: not what a training step costs
        run.phases.append(.init(name: "max-steps", ran: c.epochs > 0 && c.maxStepEpochs > 0, seconds: maxSeconds))
        run.phases.append(.init(name: "min-steps", ran: c.epochs > 0, seconds: minSeconds))
    }
}
