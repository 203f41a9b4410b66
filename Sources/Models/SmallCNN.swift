import NeuralNetworks
import Tensors

/// The paper's small CNN (`../shared/SPEC.md` §6): four blocks of 3×3 convolution (padding 1) → batch
/// norm → ReLU → 2×2 max-pool with 32, 64, 128 and 128 channels, global average pooling, and a linear
/// head. Any input of at least 16×16.
///
/// PyTorch layout (`scripts/pytorch/models.py`): `features` is an `nn.Sequential` of the sixteen layers
/// (`features.0` the first convolution, `features.1` its batch norm, `features.4` the second
/// convolution, …), then `fc`. With 10 classes it has 242,250 parameters.
public final class SmallCNN: Module, Classifier {
    public let features: Sequential
    public let pool = GlobalAveragePool2d()
    public let fc: Linear
    /// The four blocks (each a view of four layers of ``features``), the global pooling in the last.
    public let stages: [any Layer]

    public static let blockChannels = [32, 64, 128, 128]

    public init(classCount: Int, inputChannels: Int = 1, using generator: inout some RandomNumberGenerator) {
        var layers: [any Layer] = []
        var channels = inputChannels
        for width in Self.blockChannels {
            layers += [Conv2d(inputChannels: channels, outputChannels: width, kernelSize: 3, padding: 1, using: &generator),
                       BatchNorm2d(featureCount: width), ReLU(), MaxPool2d(kernelSize: 2)]
            channels = width
        }
        features = Sequential(layers)
        fc = Linear(inputCount: channels, outputCount: classCount, using: &generator)
        let perBlock = layers.count / Self.blockChannels.count, pool = pool
        stages = Self.blockChannels.indices.map { block in
            let start = block * perBlock
            return Sequential(Array(layers[start ..< start + perBlock]) + (block == Self.blockChannels.count - 1 ? [pool] : []))
        }
    }

    public var head: Linear { fc }

    public override var children: [(name: String, module: Module)] { [("features", features), ("fc", fc)] }

    /// The globally pooled output of the last block, `[N, 128]`.
    public func embedding(_ input: Tensor) -> Tensor {
        checkPrecondition(input.rank == 4 && input.shape[2] >= 16 && input.shape[3] >= 16,
                          "SmallCNN needs [N, C, H, W] with H, W ≥ 16, got \(input.shape)")
        return runStages(stages.indices, on: input)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { fc(embedding(input)) }
}
