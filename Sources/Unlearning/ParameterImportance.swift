import Datasets
import Foundation
import NeuralNetworks
import Tensors
import Training

/// The first and second moments of the cross-entropy gradient over a sequence of batches, element by
/// element, for every trainable parameter of a model:
///
///     ḡ = (1/B) Σ_b ∇L_b          (``meanGradient``)
///     I = (1/B) Σ_b (∇L_b)²       (``meanSquaredGradient``, SSD's importance)
///
/// where `L_b` is the mean cross-entropy of batch `b` and `B` the number of batches. Each array is one
/// parameter's values flattened row-major, in the order of ``parameters`` (the model's
/// `trainableParameters`: batch norm's running statistics, being buffers, have none).
public struct GradientMoments {
    public let parameters: [Parameter]
    public var meanGradient: [[Float]]
    public var meanSquaredGradient: [[Float]]
    /// `B`, the number of batches averaged over.
    public var batchCount: Int
    /// The examples in all batches.
    public var exampleCount: Int
}

/// How much each parameter matters to a set of examples, measured from gradients: the statistics that
/// selective synaptic dampening, Fisher forgetting and the paper code's two stand-ins are built on.
///
/// Every function switches the model to evaluation mode for the measurement (batch norm reads its
/// running statistics and updates nothing, as in the reference code's `model.eval()`) and restores the
/// mode afterwards. No parameter or buffer changes. Each pass reports to an observer as one epoch of
/// steps (a batch, or an example for the Fisher), with the running cross-entropy and accuracy of the
/// labels, so that a long pass shows the same progress lines as training.
///
/// ```swift
/// let batches = consecutiveBatches(of: task.forgetIndices, size: 64)
/// let forget = ParameterImportance.gradientMoments(of: model, task: task, batches: batches)
/// forget.meanSquaredGradient[0][0]      // I_Df of the first element of the first parameter
/// ```
public enum ParameterImportance {
    /// ``GradientMoments`` of `model` over labelled batches, each `input` `[N, …]` with `N` labels.
    /// An empty collection gives zeros.
    public static func gradientMoments<Batches: Collection>(of model: some Layer, batches: Batches,
                                                            phase: String = "gradient moments",
                                                            observer: TrainingObserver = .silent) -> GradientMoments
        where Batches.Element == (input: Tensor, labels: [Int]) {
        let parameters = model.trainableParameters
        var mean = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        var squares = mean
        var batchCount = 0, exampleCount = 0
        var meter = PassMeter(phase: phase, epoch: 1, epochs: 1, steps: batches.count)
        var clock = ProgressClock(totalSteps: batches.count)
        inEvaluationMode(model) {
            for (input, labels) in batches {
                var predictions: [Int] = []
                let (loss, gradients) = valueWithGradient(at: model) { model in
                    let logits = model(input)
                    predictions = logits.argmax(alongAxis: 1)
                    return crossEntropy(logits: logits, labels: labels)
                }
                for (k, parameter) in parameters.enumerated() {
                    guard let gradient = gradients[parameter] else { continue }
                    gradient.withUnsafeBufferPointer { g in
                        for i in g.indices {
                            mean[k][i] += g[i]
                            squares[k][i] += g[i] * g[i]
                        }
                    }
                }
                batchCount += 1
                exampleCount += labels.count
                observer.step(meter.record(loss: loss.item, examples: labels.count,
                                           correct: zip(predictions, labels).filter { $0 == $1 }.count, clock: &clock))
            }
        }
        observer.epoch(meter.summary)
        if batchCount > 0 {
            let scale = 1 / Float(batchCount)
            for k in parameters.indices {
                for i in mean[k].indices {
                    mean[k][i] *= scale
                    squares[k][i] *= scale
                }
            }
        }
        return GradientMoments(parameters: parameters, meanGradient: mean, meanSquaredGradient: squares,
                               batchCount: batchCount, exampleCount: exampleCount)
    }

    /// ``GradientMoments`` over batches of `task`'s examples (indices into its features), normalised
    /// with the task's statistics.
    public static func gradientMoments(of model: any Classifier, task: UnlearningTask, batches: [[Int]],
                                       phase: String = "gradient moments",
                                       observer: TrainingObserver = .silent) -> GradientMoments {
        gradientMoments(of: model, batches: batches.lazy.map { task.labelledBatch($0) }, phase: phase, observer: observer)
    }

    /// The diagonal of the Fisher information over single examples `x` (each input `[1, …]`), under the
    /// model's own predictive distribution `p = softmax(f(x))`:
    ///
    ///     F = (1/N) Σ_x Σ_y p(y|x) · (∇ CE(f(x), y))²
    ///
    /// the `hessian` of Golatkar et al.'s Fisher forgetting (batch size 1, every class `y` weighted by its
    /// probability; the labels serve only the progress figures). `K + 1` forward and `K` backward passes
    /// per example. Arrays as in ``GradientMoments``; an empty collection gives zeros.
    public static func fisherDiagonal<Examples: Collection>(of model: some Layer, examples: Examples,
                                                            observer: TrainingObserver = .silent) -> [[Float]]
        where Examples.Element == (input: Tensor, labels: [Int]) {
        let parameters = model.trainableParameters
        var fisher = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        var count = 0
        var meter = PassMeter(phase: "fisher diagonal", epoch: 1, epochs: 1, steps: examples.count)
        var clock = ProgressClock(totalSteps: examples.count)
        inEvaluationMode(model) {
            for (input, labels) in examples {
                checkPrecondition(input.shape.first == 1 && labels.count == 1,
                                  "fisherDiagonal: one example at a time, got \(input.shape) with \(labels.count) labels")
                let probabilities = withoutGradients { model(input).softmax(alongAxis: 1).scalars }
                for (y, probability) in probabilities.enumerated() {
                    let (_, gradients) = valueWithGradient(at: model) { model in
                        crossEntropy(logits: model(input), labels: [y])
                    }
                    for (k, parameter) in parameters.enumerated() {
                        guard let gradient = gradients[parameter] else { continue }
                        gradient.withUnsafeBufferPointer { g in
                            for i in g.indices { fisher[k][i] += probability * g[i] * g[i] }
                        }
                    }
                }
                count += 1
                let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] }
                observer.step(meter.record(loss: -log(max(probabilities[labels[0]], Float.leastNormalMagnitude)), examples: 1,
                                           correct: predicted == labels[0] ? 1 : 0, clock: &clock))
            }
        }
        observer.epoch(meter.summary)
        if count > 0 {
            let scale = 1 / Float(count)
            for k in fisher.indices {
                for i in fisher[k].indices { fisher[k][i] *= scale }
            }
        }
        return fisher
    }

    /// ``fisherDiagonal(of:examples:observer:)`` over `task`'s examples at `indices`, normalised with the
    /// task's statistics.
    public static func fisherDiagonal(of model: any Classifier, task: UnlearningTask, indices: [Int],
                                      observer: TrainingObserver = .silent) -> [[Float]] {
        fisherDiagonal(of: model, examples: indices.lazy.map { task.labelledBatch([$0]) }, observer: observer)
    }

    /// The forget examples of each batch of one shuffled pass over all of `task`'s examples (the
    /// ``BatchPlan`` default, epoch 1), empty ones dropped: the paper code's stand-ins loop over the
    /// training loader and keep the forget examples of each batch (`spectrograms[labels == forget_class]`).
    public static func forgetShares(of task: UnlearningTask, batchSize: Int) -> [[Int]] {
        let forget = Set(task.forgetClasses)
        return BatchPlan().batches(for: task, epoch: 1, batchSize: batchSize)
            .map { $0.filter { forget.contains(task.labels[$0]) } }
            .filter { !$0.isEmpty }
    }

    /// The paper code's one-step stand-ins ("SD", "FF"): the gradient moments of the forget shares of
    /// `batchSize` batches (phase `measure`), then every element `θ` of every trainable parameter set to
    /// `update(θ, ḡ, F)` with its mean gradient `ḡ` and mean squared gradient `F` (phase "step").
    static func forgetShareStep(_ model: any Classifier, task: UnlearningTask, batchSize: Int, measure: String,
                                observer: TrainingObserver, run: inout UnlearningRun,
                                update: (_ value: Float, _ gradient: Float, _ squaredGradient: Float) -> Float) {
        let moments = run.phase(measure) { run in
            let moments = gradientMoments(of: model, task: task, batches: forgetShares(of: task, batchSize: batchSize),
                                          phase: measure, observer: observer)
            run.examplesSeen += moments.exampleCount
            return moments
        }!
        run.phase("step") { run in
            for (index, parameter) in moments.parameters.enumerated() {
                let (gradient, squared) = (moments.meanGradient[index], moments.meanSquaredGradient[index])
                var values = parameter.value.scalars
                for i in values.indices { values[i] = update(values[i], gradient[i], squared[i]) }
                parameter.value = Tensor(shape: parameter.shape, scalars: values)
            }
            run.steps += 1
        }
    }

    private static func inEvaluationMode(_ model: some Layer, _ body: () -> Void) {
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        body()
    }
}

/// The settings of the paper code's one-step stand-ins, ``PaperStandInSD`` and ``PaperStandInFF``.
public struct ForgetShareStepConfiguration: MethodConfiguration {
    /// η, the step size (the authors' `alpha` for "SD", `lambda_fisher` for "FF"). Default 0.1.
    public var stepSize: Float = 0.1
    /// The training batch size whose forget shares are averaged. Default 32 (the authors' loaders).
    public var batchSize = 32

    public init() {}

    public func validate() throws {
        try Check.finite("stepSize", stepSize)
        try Check.count("batchSize", batchSize, atLeast: 1)
    }
}

extension UnlearningTask {
    /// The examples at `indices`, normalised with the task's statistics, with their labels.
    func labelledBatch(_ indices: [Int]) -> (input: Tensor, labels: [Int]) {
        (input: features.batch(indices, normalizedWith: statistics), labels: indices.map { labels[$0] })
    }
}
