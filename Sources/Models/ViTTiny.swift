import NeuralNetworks
import Tensors

/// ViT-Tiny over spectrogram patches (`../shared/SPEC.md` §6), timm's `VisionTransformer` layout:
/// 8×8 patches (a 64×96 input gives 8×12 = 96 tokens) plus a class token, learned position embedding,
/// width 192, depth 12, 3 heads, MLP 768, pre-norm blocks with GELU, final `norm`, `head` on the class
/// token. Names as timm: `cls_token`, `pos_embed`, `patch_embed.proj`, `blocks.N.norm1`,
/// `blocks.N.attn.qkv`, `blocks.N.attn.proj`, `blocks.N.mlp.fc1`, `norm`, `head`.
///
/// Initialisation as timm: position embedding truncated normal σ = 0.02, class token normal σ = 1e-6,
/// every linear layer truncated normal σ = 0.02 with zero bias, the patch convolution PyTorch's default.
public final class ViTTiny: Module, Classifier {
    public let patchEmbed: PatchEmbedding
    public let classToken: Parameter, positionEmbedding: Parameter
    public let blocks: Sequential
    public let norm: LayerNorm
    public let fc: Linear
    public let inputSize: (height: Int, width: Int)
    /// The token embedding (patches, class token, position embedding), each of the blocks, and the final
    /// norm with the class token read out.
    public let stages: [any Layer]

    public init(classCount: Int, inputChannels: Int = 1, inputSize: (height: Int, width: Int) = (64, 96),
                patchSize: Int = 8, dimension: Int = 192, depth: Int = 12, headCount: Int = 3, mlpDimension: Int = 768,
                using generator: inout some RandomNumberGenerator) {
        checkPrecondition(inputSize.height % patchSize == 0 && inputSize.width % patchSize == 0,
                          "ViTTiny: input \(inputSize) is not a whole number of \(patchSize)×\(patchSize) patches")
        self.inputSize = inputSize
        patchEmbed = PatchEmbedding(inputChannels: inputChannels, dimension: dimension, patchSize: patchSize, using: &generator)
        let tokenCount = inputSize.height / patchSize * (inputSize.width / patchSize) + 1
        classToken = Parameter(.randomNormal([1, 1, dimension], standardDeviation: 1e-6, using: &generator))
        positionEmbedding = Parameter(Initialization.truncatedNormal([1, tokenCount, dimension], standardDeviation: 0.02,
                                                                     using: &generator))
        blocks = Sequential((0..<depth).map { _ in
            TransformerBlock(dimension: dimension, headCount: headCount, mlpDimension: mlpDimension, using: &generator)
        })
        norm = LayerNorm(featureCount: dimension, epsilon: 1e-6)
        fc = Linear(inputCount: dimension, outputCount: classCount, using: &generator)
        stages = [TokenEmbedding(patches: patchEmbed, classToken: classToken, positionEmbedding: positionEmbedding)]
            + blocks.layers + [Sequential([norm, ClassTokenReadout()])]
        super.init()
        for (name, parameter) in namedParameters() where !name.hasPrefix("patch_embed") && parameter.shape.count == 2 {
            let bias = namedParameters().first { $0.name == name.dropLast("weight".count) + "bias" }?.parameter
            Self.drawAsTimm(weight: parameter, bias: bias, using: &generator)
        }
    }

    /// timm's draw for a linear layer: weights truncated normal σ = 0.02, biases zero.
    private static func drawAsTimm(weight: Parameter, bias: Parameter?, using generator: inout some RandomNumberGenerator) {
        weight.value = Initialization.truncatedNormal(weight.shape, standardDeviation: 0.02, using: &generator)
        if let bias { bias.value = .zeros(bias.shape) }
    }

    public var head: Linear { fc }

    /// A head drawn as the initialiser draws every linear layer but the patch embedding (``drawAsTimm``).
    public func freshHead(using generator: inout some RandomNumberGenerator) -> Linear {
        let fresh = Linear(inputCount: fc.inputCount, outputCount: fc.outputCount, using: &generator)
        Self.drawAsTimm(weight: fresh.weight, bias: fresh.bias, using: &generator)
        return fresh
    }

    public override var localParameters: [(name: String, parameter: Parameter)] {
        [("cls_token", classToken), ("pos_embed", positionEmbedding)]
    }

    public override var children: [(name: String, module: Module)] {
        [("patch_embed", patchEmbed), ("blocks", blocks), ("norm", norm), ("head", fc)]
    }

    /// The class token after the final norm, `[N, 192]`.
    public func embedding(_ input: Tensor) -> Tensor {
        checkPrecondition(input.rank == 4 && input.shape[2] == inputSize.height && input.shape[3] == inputSize.width,
                          "ViTTiny built for \(inputSize.height)×\(inputSize.width) inputs got \(input.shape)")
        return runStages(stages.indices, on: input)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { fc(embedding(input)) }
}

/// ViT-Tiny's first stage: the patches embedded, the class token put before them and the position
/// embedding added, `[B, 1 + N, D]`. It holds the model's own parameters (`cls_token`, `pos_embed`,
/// `patch_embed`), so that the stage owns them.
final class TokenEmbedding: Module, Layer {
    let patches: PatchEmbedding
    let classToken: Parameter, positionEmbedding: Parameter

    init(patches: PatchEmbedding, classToken: Parameter, positionEmbedding: Parameter) {
        (self.patches, self.classToken, self.positionEmbedding) = (patches, classToken, positionEmbedding)
    }

    override var localParameters: [(name: String, parameter: Parameter)] {
        [("cls_token", classToken), ("pos_embed", positionEmbedding)]
    }

    override var children: [(name: String, module: Module)] { [("patch_embed", patches)] }

    func callAsFunction(_ input: Tensor) -> Tensor {
        let patches = patches(input)                                              // [B, N, D]
        let classTokens = classToken.value.broadcast(to: [patches.shape[0], 1, patches.shape[2]])
        return Tensor.concatenate([classTokens, patches], alongAxis: 1) + positionEmbedding.value
    }
}

/// The class token of a `[B, 1 + N, D]` sequence, `[B, D]`.
final class ClassTokenReadout: Module, Layer {
    func callAsFunction(_ input: Tensor) -> Tensor {
        input.slice(alongAxis: 1, 0..<1).squeezingShape(at: [1])
    }
}
