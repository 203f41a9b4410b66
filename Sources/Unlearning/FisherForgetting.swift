import Foundation
import NeuralNetworks
import Tensors
import Training

/// Fisher forgetting (Golatkar, Achille & Soatto, "Eternal Sunshine of the Spotless Net: Selective
/// Forgetting in Deep Networks", CVPR 2020): noise that the retained data does not mind, and a reset
/// of the forget classes' outputs. No training.
///
/// 1. **Fisher diagonal on the retain set** `D_r`, model in evaluation mode, one example at a time:
///    `F = (1/N) Σ_x Σ_y p(y|x)·(∇ CE(f(x), y))²` (``ParameterImportance/fisherDiagonal(of:task:indices:)``).
/// 2. **Noise scaled by the inverse Fisher.** For every trainable parameter, element-wise:
///    `v = α · min(1/(F + 10⁻⁸), c)` with `c = 10³`, or `10²` for the head's weight and bias; for a
///    parameter of rank ≥ 2 (`[out, in, …]`), `v` is then averaged over the input axis (axis 1), one
///    variance per output unit and kernel position. Parameters the retained data hardly constrains get
///    the most noise.
/// 3. **Reset of the forget classes.** In the head, row `W[f,:]` and bias `b[f]` of every forget class
///    `f` get mean 0 and variance 10⁻⁴ instead.
/// 4. The head and every rank-1 parameter (biases, batch/layer norm scales and shifts) have `v` × 10.
/// 5. `θ ← μ + √v ⊙ n`, `n ~ N(0, 1)` drawn from `SplitMix64(seed: task.seed)` parameter by parameter
///    in `trainableParameters` order; `μ = θ` except the zeroed forget rows.
///
/// The constants are those of the implementation the unlearning literature runs, `FisherForgetting` in
/// `if-loops/selective-synaptic-dampening` (`forget_full_class_strategies.py`), copied from the
/// authors' `AdityaGolatkar/SelectiveForgetting`: `alpha = 1e-6` in the call (the helper's own default
/// of 3e-6 is overridden), `1e-8` and the clamps `1e3`/`1e2` in `get_mean_var`, `var[forget_class] =
/// 0.0001`, `var *= 10` for the last layer and for 1-D parameters. So the noise has a standard
/// deviation of at most √(10⁻³) ≈ 0.032 on weights and on the head (reset forget rows included) and
/// √(10⁻²) = 0.1 on rank-1 parameters.
///
/// Two deviations, both for correctness on other architectures: the head is ``Classifier/head`` itself,
/// where the reference code takes any parameter whose first dimension equals the class count (which
/// would also catch, say, a convolution with `K` output channels); and batch norm's running statistics
/// are buffers, untouched (as in PyTorch's `model.parameters()`). Rows of classes forgotten by earlier
/// requests are treated like the retained ones.
///
/// ```swift
/// let run = try FisherForgetting().unlearn(model, task: task)   // α = 1e-6, seeded by task.seed
/// ```
public struct FisherForgetting: UnlearningMethod {
    public struct Configuration: MethodConfiguration {
        /// α, the scale of the noise variance `v = α/(F + ε)`. Default 1e-6 (the reference call).
        public var alpha: Float = 1e-6
        /// ε, added to the Fisher before inverting it. Default 1e-8.
        public var fisherEpsilon: Float = 1e-8
        /// The largest inverse Fisher `1/(F + ε)` kept, before α. Default 1e3.
        public var maximumInverseFisher: Float = 1e3
        /// The same bound for the head's weight and bias. Default 1e2.
        public var maximumHeadInverseFisher: Float = 1e2
        /// The variance of the reset forget rows (and biases) of the head, before the scale below.
        /// Default 1e-4.
        public var forgetRowVariance: Float = 1e-4
        /// The factor on the variance of the head and of every rank-1 parameter. Default 10.
        public var headAndVectorVarianceScale: Float = 10

        public init() {}

        public func validate() throws {
            try Check.nonNegative("alpha", alpha)
            try Check.positive("fisherEpsilon", fisherEpsilon)
            try Check.positive("maximumInverseFisher", maximumInverseFisher)
            try Check.positive("maximumHeadInverseFisher", maximumHeadInverseFisher)
            try Check.nonNegative("forgetRowVariance", forgetRowVariance)
            try Check.nonNegative("headAndVectorVarianceScale", headAndVectorVarianceScale)
        }
    }

    public var configuration = Configuration()

    public init() {}

    public func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                        into run: inout UnlearningRun) throws {
        let fisher = run.phase("fisher diagonal") { run in
            run.examplesSeen += task.retainIndices.count
            return ParameterImportance.fisherDiagonal(of: model, task: task, indices: task.retainIndices,
                                                      observer: observer)
        }!
        run.phase("noise") { _ in
            let head = [ObjectIdentifier(model.head.weight)] + (model.head.bias.map { [ObjectIdentifier($0)] } ?? [])
            var generator = SplitMix64(seed: task.seed)
            for (parameter, fisher) in zip(model.trainableParameters, fisher) {
                let isHead = head.contains(ObjectIdentifier(parameter))
                let (mean, variance) = meanAndVariance(of: parameter, fisher: fisher, isHead: isHead,
                                                       forgetClasses: task.forgetClasses)
                var values = mean
                for i in values.indices { values[i] += variance[i].squareRoot() * generator.nextStandardNormal() }
                parameter.value = Tensor(shape: parameter.shape, scalars: values)
            }
        }
    }

    /// Steps 2–4 for one parameter: the mean `μ` and variance `v` its new value is drawn from, flattened
    /// row-major. `fisher` is its Fisher diagonal; `isHead` marks the head's weight or bias, whose rows
    /// (entries) `forgetClasses` are reset.
    public func meanAndVariance(of parameter: Parameter, fisher: [Float], isHead: Bool,
                                forgetClasses: [Int]) -> (mean: [Float], variance: [Float]) {
        let c = configuration
        let shape = parameter.shape
        checkPrecondition(fisher.count == parameter.value.count,
                          "FisherForgetting: a Fisher of \(fisher.count) elements for a parameter \(shape)")
        let bound = isHead ? min(c.maximumInverseFisher, c.maximumHeadInverseFisher) : c.maximumInverseFisher
        var variance = fisher.map { c.alpha * min(1 / ($0 + c.fisherEpsilon), bound) }
        if shape.count > 1 {                                        // var.mean(dim=1, keepdim=True).expand_as(p)
            let outer = shape[0], middle = shape[1], inner = shape.dropFirst(2).reduce(1, *)
            for o in 0 ..< outer {
                for r in 0 ..< inner {
                    var sum: Float = 0
                    for m in 0 ..< middle { sum += variance[(o * middle + m) * inner + r] }
                    let average = sum / Float(middle)
                    for m in 0 ..< middle { variance[(o * middle + m) * inner + r] = average }
                }
            }
        }
        var mean = parameter.value.scalars
        if isHead {
            let rowLength = fisher.count / shape[0]
            for f in forgetClasses {
                for i in f * rowLength ..< (f + 1) * rowLength {
                    mean[i] = 0
                    variance[i] = c.forgetRowVariance
                }
            }
        }
        if isHead || shape.count == 1 {
            for i in variance.indices { variance[i] *= c.headAndVectorVarianceScale }
        }
        return (mean, variance)
    }
}
