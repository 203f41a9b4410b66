import Tensors

/// The gradient of a scalar with respect to each trainable parameter of a model.
public struct ParameterGradients: Sendable {
    private var gradients: [ObjectIdentifier: Tensor]

    init(_ gradients: [ObjectIdentifier: Tensor]) {
        self.gradients = gradients
    }

    /// Gradients given explicitly, for methods that compute them outside autodiff.
    public init(_ pairs: [(parameter: Parameter, gradient: Tensor)] = []) {
        gradients = Dictionary(pairs.map { (ObjectIdentifier($0.parameter), $0.gradient) }, uniquingKeysWith: { $1 })
    }

    /// The gradient of `parameter`, or `nil` for a parameter that was not differentiated.
    public subscript(_ parameter: Parameter) -> Tensor? {
        get { gradients[ObjectIdentifier(parameter)] }
        set { gradients[ObjectIdentifier(parameter)] = newValue }
    }
}

/// Evaluates `body` on `model` and returns its scalar value with the gradient for every trainable
/// parameter of the model (Swift for TensorFlow's `valueWithGradient(at: model) { model in … }`).
///
/// During `body` each trainable parameter holds a recorded copy of its value; afterwards the values are
/// restored, so updates written by the model during the call (batch norm's running statistics, which
/// are buffers) persist while the graph is released.
///
/// ```swift
/// let (loss, gradients) = valueWithGradient(at: model) { model in crossEntropy(logits: model(x), labels: y) }
/// optimizer.update(model, along: gradients)
/// ```
public func valueWithGradient<M: Module>(at model: M, of body: (M) throws -> Tensor) rethrows
    -> (value: Tensor, gradients: ParameterGradients) {
    let parameters = model.trainableParameters
    let originals = parameters.map(\.value)
    defer { for (parameter, original) in zip(parameters, originals) { parameter.value = original } }
    let (value, gradients) = try valueWithGradient(at: originals) { leaves in
        for (parameter, leaf) in zip(parameters, leaves) { parameter.value = leaf }
        return try body(model)
    }
    var byParameter: [ObjectIdentifier: Tensor] = [:]
    for (parameter, gradient) in zip(parameters, gradients) { byParameter[ObjectIdentifier(parameter)] = gradient }
    return (value, ParameterGradients(byParameter))
}
