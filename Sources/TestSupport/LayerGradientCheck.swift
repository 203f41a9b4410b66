import NeuralNetworks
import Tensors

/// Checks the gradients of `layer` with respect to its input and to every trainable parameter against
/// central finite differences (see `checkGradients(at:of:)`). The parameters are restored afterwards.
/// The layer must be deterministic: no dropout in training mode.
public func checkGradients(of layer: some Layer, at input: Tensor, step: Float = 1e-2,
                           absoluteTolerance: Float = 2e-3, relativeTolerance: Float = 1e-2) -> GradientCheck {
    let parameters = layer.trainableParameters
    let originals = parameters.map(\.value)
    defer { for (parameter, original) in zip(parameters, originals) { parameter.value = original } }
    return checkGradients(at: [input] + originals, step: step, absoluteTolerance: absoluteTolerance,
                          relativeTolerance: relativeTolerance) { values in
        for (parameter, value) in zip(parameters, values.dropFirst()) { parameter.value = value }
        return layer(values[0])
    }
}
