import Tensors

/// An optimizer that moves only chosen entries of chosen parameters: before `base` steps, the gradient of
/// each parameter in `masks` is multiplied element by element by its mask (1 where the entry may move, 0
/// where it stays). With Adam or SGD without weight decay an entry whose gradient is always masked keeps
/// its value exactly (its moments stay 0); parameters without a mask move freely. SalUn's masked
/// updates (Fan et al., ICLR 2024).
///
/// ```swift
/// let optimizer = MaskedUpdates(Adam(learningRate: 1e-3), masks: [ObjectIdentifier(layer.weight): mask])
/// optimizer.update(model, along: gradients)
/// ```
public final class MaskedUpdates: Optimizer {
    public let base: any Optimizer
    public let masks: [ObjectIdentifier: Tensor]

    public init(_ base: any Optimizer, masks: [ObjectIdentifier: Tensor]) {
        self.base = base
        self.masks = masks
    }

    public var learningRate: Float {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    public func update(_ model: Module, along gradients: ParameterGradients) {
        var masked = gradients
        for parameter in model.trainableParameters {
            guard let mask = masks[ObjectIdentifier(parameter)], let gradient = masked[parameter] else { continue }
            checkPrecondition(mask.shape == parameter.shape,
                              "mask of shape \(mask.shape) for a parameter of shape \(parameter.shape)")
            masked[parameter] = gradient * mask
        }
        base.update(model, along: masked)
    }
}
