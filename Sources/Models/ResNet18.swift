import NeuralNetworks
import Tensors

/// torchvision's ResNet basic block: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`, the shortcut a
/// 1×1 strided convolution + batch norm (`downsample.0`, `downsample.1`) when the shape changes.
public final class BasicBlock: Module, Layer {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public let downsample: Sequential?

    public init(inputChannels: Int, outputChannels: Int, stride: Int, using generator: inout some RandomNumberGenerator) {
        conv1 = Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3, stride: stride,
                       padding: 1, bias: false, using: &generator)
        bn1 = BatchNorm2d(featureCount: outputChannels)
        conv2 = Conv2d(inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1,
                       bias: false, using: &generator)
        bn2 = BatchNorm2d(featureCount: outputChannels)
        downsample = stride != 1 || inputChannels != outputChannels
            ? Sequential([Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1,
                                 stride: stride, bias: false, using: &generator),
                          BatchNorm2d(featureCount: outputChannels)])
            : nil
    }

    public override var children: [(name: String, module: Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)] + (downsample.map { [("downsample", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let residual = bn2(conv2(bn1(conv1(input)).relu()))
        return (residual + (downsample?(input) ?? input)).relu()
    }
}

/// torchvision's `resnet18` with a 1-channel stem (`../shared/SPEC.md` §6): 7×7/2 convolution, batch norm,
/// ReLU, 3×3/2 max-pool, four stages of two basic blocks (64, 128, 256, 512 channels; stages 2–4 start
/// with stride 2), global average pooling, `fc`. Parameter names as torchvision (`conv1`, `bn1`,
/// `layer1.0.conv1`, `layer2.0.downsample.0`, `fc`). Convolutions start as torchvision's
/// (`kaiming_normal_`, fan-out, ReLU gain); 1 channel and 10 classes give 11,175,370 parameters.
public final class ResNet18: Module, Classifier {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential, layer4: Sequential
    public let avgpool = GlobalAveragePool2d()
    public let fc: Linear
    /// The stem (`conv1`, `bn1`, ReLU, `maxpool`), `layer1`, `layer2`, `layer3`, and `layer4` with the pooling.
    public let stages: [any Layer]

    public init(classCount: Int, inputChannels: Int = 1, using generator: inout some RandomNumberGenerator) {
        conv1 = Conv2d(inputChannels: inputChannels, outputChannels: 64, kernelSize: 7, stride: 2, padding: 3,
                       bias: false, using: &generator)
        bn1 = BatchNorm2d(featureCount: 64)
        func stage(_ input: Int, _ output: Int, stride: Int) -> Sequential {
            Sequential([BasicBlock(inputChannels: input, outputChannels: output, stride: stride, using: &generator),
                        BasicBlock(inputChannels: output, outputChannels: output, stride: 1, using: &generator)])
        }
        layer1 = stage(64, 64, stride: 1)
        layer2 = stage(64, 128, stride: 2)
        layer3 = stage(128, 256, stride: 2)
        layer4 = stage(256, 512, stride: 2)
        fc = Linear(inputCount: 512, outputCount: classCount, using: &generator)
        stages = [Sequential([conv1, bn1, ReLU(), maxpool]), layer1, layer2, layer3, Sequential([layer4, avgpool])]
        super.init()
        for (name, parameter) in namedParameters() where name.hasSuffix("weight") && parameter.shape.count == 4 {
            parameter.value = Initialization.kaimingNormalFanOut(parameter.shape, using: &generator)
        }
    }

    public var head: Linear { fc }

    public override var children: [(name: String, module: Module)] {
        [("conv1", conv1), ("bn1", bn1), ("layer1", layer1), ("layer2", layer2), ("layer3", layer3),
         ("layer4", layer4), ("fc", fc)]
    }

    /// The globally pooled output of `layer4`, `[N, 512]`.
    public func embedding(_ input: Tensor) -> Tensor {
        checkPrecondition(input.rank == 4, "ResNet18 needs [N, C, H, W], got \(input.shape)")
        return runStages(stages.indices, on: input)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { fc(embedding(input)) }
}
