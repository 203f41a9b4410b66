import Tensors

/// Layer normalisation over the last axis (PyTorch `nn.LayerNorm(featureCount)`): `weight` (γ) starts
/// at 1, `bias` (β) at 0. timm's ViT uses `epsilon: 1e-6`; PyTorch's default is 1e-5.
public final class LayerNorm: Module, Layer {
    public let weight: Parameter, bias: Parameter
    public let epsilon: Float

    public init(featureCount: Int, epsilon: Float = 1e-5) {
        weight = Parameter(.ones([featureCount]))
        bias = Parameter(.zeros([featureCount]))
        self.epsilon = epsilon
    }

    public override var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias)]
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        Tensor.layerNorm(input, scale: weight.value, offset: bias.value, epsilon: epsilon)
    }
}
