import Tensors

/// A rule that moves a model's trainable parameters along their gradients, one call per training step
/// (PyTorch `optimizer.step()`; MLX `optimizer.update(model:gradients:)`).
///
/// Implementations follow PyTorch's update rules exactly, keep their per-parameter state (momentum,
/// moment estimates, step counts) keyed by the ``Parameter`` object, and write the new values in place.
/// A parameter without a gradient in `gradients` is skipped and its state left untouched, as PyTorch
/// skips a parameter whose `.grad` is `None`; a parameter that is not trainable (a buffer such as batch
/// norm's running mean) is never touched, whatever `gradients` holds for it.
///
/// ```swift
/// let optimizer = AdamW(learningRate: 3e-4)
/// let schedule = LearningRateSchedule.cosineWithWarmup(peak: 3e-4, warmupSteps: 100, totalSteps: 5_000)
/// for step in 0..<5_000 {
///     optimizer.learningRate = schedule.learningRate(at: step)
///     var (loss, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: y) }
///     gradients.clipByGlobalNorm(maxNorm: 1, of: model)
///     optimizer.update(model, along: gradients)
/// }
/// ```
public protocol Optimizer: AnyObject {
    /// The step size of the next update (PyTorch `param_group["lr"]`); a schedule may change it between updates.
    var learningRate: Float { get set }

    /// Applies one update to every trainable parameter of `model` that has a gradient in `gradients`.
    func update(_ model: Module, along gradients: ParameterGradients)
}

/// Calls `body` for each trainable parameter of `model` that has a gradient, in ``Module/namedParameters()``
/// order, after checking that the gradient has the parameter's shape. Each parameter is visited once even
/// when the model shares it between two places (PyTorch de-duplicates shared parameters too).
func forEachTrainableParameter(of model: Module, along gradients: ParameterGradients,
                               _ body: (Parameter, Tensor) -> Void) {
    var visited = Set<ObjectIdentifier>()
    for parameter in model.trainableParameters where visited.insert(ObjectIdentifier(parameter)).inserted {
        guard let gradient = gradients[parameter] else { continue }
        checkPrecondition(gradient.shape == parameter.shape,
                          "gradient of shape \(gradient.shape) for a parameter of shape \(parameter.shape)")
        body(parameter, gradient)
    }
}

/// A tensor of optimizer state, one per parameter, that only its optimizer holds, so that
/// `withUnsafeMutableBufferPointer` writes it in place.
final class ParameterState {
    /// Held strongly so that the `ObjectIdentifier` keying this state cannot be reused by a new parameter.
    let parameter: Parameter
    /// The number of updates this parameter has received (PyTorch `state["step"]`).
    var step = 0
    /// SGD's momentum buffer, or Adam's first moment `m`.
    var first: Tensor
    /// Adam's second moment `v`; empty for SGD.
    var second: Tensor
    /// AMSGrad's running maximum of `v`; empty unless AMSGrad is on.
    var secondMaximum: Tensor

    init(for parameter: Parameter, first: Bool, second: Bool, secondMaximum: Bool) {
        self.parameter = parameter
        func zeros(_ needed: Bool) -> Tensor { .zeros(needed ? parameter.shape : [0]) }
        self.first = zeros(first)
        self.second = zeros(second)
        self.secondMaximum = zeros(secondMaximum)
    }
}
