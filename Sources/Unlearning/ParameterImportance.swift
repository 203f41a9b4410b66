import Datasets
import NeuralNetworks
import Tensors

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
/// mode afterwards. No parameter or buffer changes.
///
/// ```swift
/// let batches = ParameterImportance.consecutiveBatches(of: task.forgetIndices, size: 64)
/// let forget = ParameterImportance.gradientMoments(of: model, task: task, batches: batches)
/// forget.meanSquaredGradient[0][0]      // I_Df of the first element of the first parameter
/// ```
public enum ParameterImportance {
    /// ``GradientMoments`` of `model` over labelled batches, each `input` `[N, …]` with `N` labels.
    /// An empty sequence gives zeros.
    public static func gradientMoments<Batches: Sequence>(of model: some Layer, batches: Batches) -> GradientMoments
        where Batches.Element == (input: Tensor, labels: [Int]) {
        let parameters = model.trainableParameters
        var mean = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        var squares = mean
        var batchCount = 0, exampleCount = 0
        inEvaluationMode(model) {
            for (input, labels) in batches {
                let (_, gradients) = valueWithGradient(at: model) { model in
                    crossEntropy(logits: model(input), labels: labels)
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
            }
        }
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
    public static func gradientMoments(of model: any Classifier, task: UnlearningTask, batches: [[Int]]) -> GradientMoments {
        gradientMoments(of: model, batches: batches.lazy.map { batch in
            (input: task.features.batch(batch, normalizedWith: task.statistics), labels: batch.map { task.labels[$0] })
        })
    }

    /// The diagonal of the Fisher information over single examples `x` (each input `[1, …]`), under the
    /// model's own predictive distribution `p = softmax(f(x))`:
    ///
    ///     F = (1/N) Σ_x Σ_y p(y|x) · (∇ CE(f(x), y))²
    ///
    /// the `hessian` of Golatkar et al.'s Fisher forgetting (batch size 1, every class `y` weighted by its
    /// probability; labels are not used). `K + 1` forward and `K` backward passes per example.
    /// Arrays as in ``GradientMoments``; an empty sequence gives zeros.
    public static func fisherDiagonal<Inputs: Sequence>(of model: some Layer, inputs: Inputs) -> [[Float]]
        where Inputs.Element == Tensor {
        let parameters = model.trainableParameters
        var fisher = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        var count = 0
        inEvaluationMode(model) {
            for input in inputs {
                checkPrecondition(input.shape.first == 1, "fisherDiagonal: one example at a time, got \(input.shape)")
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
            }
        }
        if count > 0 {
            let scale = 1 / Float(count)
            for k in fisher.indices {
                for i in fisher[k].indices { fisher[k][i] *= scale }
            }
        }
        return fisher
    }

    /// ``fisherDiagonal(of:inputs:)`` over `task`'s examples at `indices`, normalised with the task's statistics.
    public static func fisherDiagonal(of model: any Classifier, task: UnlearningTask, indices: [Int]) -> [[Float]] {
        fisherDiagonal(of: model, inputs: indices.lazy.map { task.features.batch([$0], normalizedWith: task.statistics) })
    }

    /// `indices` cut in order into batches of `size` (the last one shorter): a PyTorch `DataLoader`
    /// without shuffling.
    public static func consecutiveBatches(of indices: [Int], size: Int) -> [[Int]] {
        checkPrecondition(size > 0, "consecutiveBatches: size \(size) must be positive")
        return stride(from: 0, to: indices.count, by: size).map { Array(indices[$0 ..< min($0 + size, indices.count)]) }
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
                                run: inout UnlearningRun,
                                update: (_ value: Float, _ gradient: Float, _ squaredGradient: Float) -> Float) {
        let moments = run.phase(measure) { run in
            let moments = gradientMoments(of: model, task: task, batches: forgetShares(of: task, batchSize: batchSize))
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
