import Tensors

/// PyTorch's weight initialisations, each taking the generator explicitly.
public enum Initialization {
    /// `U(−bound, bound)` with `bound = 1/√fanIn`: PyTorch's default for `nn.Linear` and `nn.Conv2d`
    /// (`kaiming_uniform_(a=√5)` for the weight, the same bound for the bias).
    public static func pytorchDefault(_ shape: [Int], fanIn: Int,
                                      using generator: inout some RandomNumberGenerator) -> Tensor {
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        return .randomUniform(shape, in: -bound..<bound, using: &generator)
    }

    /// `N(0, 2/fanOut)`: `kaiming_normal_(mode="fan_out", nonlinearity="relu")`, torchvision's ResNet conv init.
    public static func kaimingNormalFanOut(_ shape: [Int], using generator: inout some RandomNumberGenerator) -> Tensor {
        let fanOut = shape[0] * shape.dropFirst(2).reduce(1, *)
        return .randomNormal(shape, standardDeviation: (2 / Float(fanOut)).squareRoot(), using: &generator)
    }

    /// `N(0, σ²)` truncated to `[−2, 2]` (absolute bounds, as `trunc_normal_`'s defaults): timm's ViT init.
    public static func truncatedNormal(_ shape: [Int], standardDeviation: Float,
                                       using generator: inout some RandomNumberGenerator) -> Tensor {
        let values = (0..<shape.elementCount).map { _ in
            var sample: Float
            repeat { sample = standardDeviation * generator.nextStandardNormal() } while sample < -2 || sample > 2
            return sample
        }
        return Tensor(shape: shape, scalars: values)
    }
}
