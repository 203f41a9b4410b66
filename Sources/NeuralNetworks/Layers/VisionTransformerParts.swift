import Tensors

/// The two-layer MLP of a transformer block, timm's `Mlp` (names `fc1`, `fc2`; GELU between).
public final class MLP: Module, Layer {
    public let fc1: Linear, fc2: Linear
    public let activation = GELU()

    public init(dimension: Int, hiddenDimension: Int, using generator: inout some RandomNumberGenerator) {
        fc1 = Linear(inputCount: dimension, outputCount: hiddenDimension, using: &generator)
        fc2 = Linear(inputCount: hiddenDimension, outputCount: dimension, using: &generator)
    }

    public override var children: [(name: String, module: Module)] { [("fc1", fc1), ("fc2", fc2)] }

    public func callAsFunction(_ input: Tensor) -> Tensor { fc2(activation(fc1(input))) }
}

/// A pre-norm transformer encoder block, timm's `Block`:
/// `x + attn(norm1(x))`, then `x + mlp(norm2(x))`. Names `norm1`, `attn`, `norm2`, `mlp`.
public final class TransformerBlock: Module, Layer {
    public let norm1: LayerNorm, attn: MultiHeadAttention, norm2: LayerNorm, mlp: MLP

    public init(dimension: Int, headCount: Int, mlpDimension: Int, normEpsilon: Float = 1e-6,
                using generator: inout some RandomNumberGenerator) {
        norm1 = LayerNorm(featureCount: dimension, epsilon: normEpsilon)
        attn = MultiHeadAttention(dimension: dimension, headCount: headCount, using: &generator)
        norm2 = LayerNorm(featureCount: dimension, epsilon: normEpsilon)
        mlp = MLP(dimension: dimension, hiddenDimension: mlpDimension, using: &generator)
    }

    public override var children: [(name: String, module: Module)] {
        [("norm1", norm1), ("attn", attn), ("norm2", norm2), ("mlp", mlp)]
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let x = input + attn(norm1(input))
        return x + mlp(norm2(x))
    }
}

/// Cuts `[B, C, H, W]` into non-overlapping `p×p` patches and embeds each, timm's `PatchEmbed`
/// (a `p×p` stride-`p` convolution named `proj`), giving tokens `[B, (H/p)·(W/p), D]` in row-major
/// patch order.
public final class PatchEmbedding: Module, Layer {
    public let proj: Conv2d
    public let patchSize: Int

    public init(inputChannels: Int, dimension: Int, patchSize: Int, using generator: inout some RandomNumberGenerator) {
        proj = Conv2d(inputChannels: inputChannels, outputChannels: dimension, kernelSize: patchSize,
                      stride: patchSize, using: &generator)
        self.patchSize = patchSize
    }

    public override var children: [(name: String, module: Module)] { [("proj", proj)] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        checkPrecondition(input.rank == 4 && input.shape[2] % patchSize == 0 && input.shape[3] % patchSize == 0,
                          "PatchEmbedding(\(patchSize)×\(patchSize)) needs [B, C, H, W] with H and W multiples of \(patchSize), got \(input.shape)")
        let embedded = proj(input)                                        // [B, D, H/p, W/p]
        return embedded.reshaped(to: [embedded.shape[0], embedded.shape[1], -1]).transposed(1, 2)
    }
}
