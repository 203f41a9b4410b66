import Tensors

/// An optimizer whose chosen parameters take a multiple of the learning rate every other parameter takes
/// (PyTorch's `param_groups`, one group with its own `lr`): two optimizers made by `make`, one for the
/// chosen parameters at `scale × learningRate` and one for the rest at `learningRate`, each keeping its
/// own state. A schedule that sets ``learningRate`` moves both groups together.
///
/// ```swift
/// let optimizer = ScaledLearningRate(of: head.trainableParameters, by: 3, learningRate: 1e-3) { Adam(learningRate: $0) }
/// optimizer.update(model, along: gradients)
/// ```
public final class ScaledLearningRate: Optimizer {
    /// The chosen parameters' learning rate over the others'.
    public let scale: Float
    private let chosen: Set<ObjectIdentifier>
    private let group: any Optimizer
    private let rest: any Optimizer

    public init(of parameters: [Parameter], by scale: Float, learningRate: Float, make: (Float) -> any Optimizer) {
        checkPrecondition(scale > 0 && scale.isFinite, "invalid learning-rate scale \(scale)")
        self.scale = scale
        chosen = Set(parameters.map(ObjectIdentifier.init))
        group = make(learningRate * scale)
        rest = make(learningRate)
    }

    public var learningRate: Float {
        get { rest.learningRate }
        set {
            rest.learningRate = newValue
            group.learningRate = newValue * scale
        }
    }

    public func update(_ model: Module, along gradients: ParameterGradients) {
        var inGroup = ParameterGradients(), others = ParameterGradients()
        for parameter in model.trainableParameters {
            guard let gradient = gradients[parameter] else { continue }
            if chosen.contains(ObjectIdentifier(parameter)) {
                inGroup[parameter] = gradient
            } else {
                others[parameter] = gradient
            }
        }
        group.update(model, along: inGroup)
        rest.update(model, along: others)
    }
}
