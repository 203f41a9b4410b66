import Tensors

/// 2-D convolution (PyTorch `nn.Conv2d`): `weight` `[outputChannels, inputChannels/groups, kH, kW]`,
/// `bias` `[outputChannels]`, both uniform in `±1/√fanIn` with `fanIn = inputChannels/groups·kH·kW`.
/// Input `[N, C, H, W]`, output `[N, O, OH, OW]`.
public final class Conv2d: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let groups: Int

    public init(inputChannels: Int, outputChannels: Int, kernelSize: (Int, Int),
                stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                groups: Int = 1, bias: Bool = true, using generator: inout some RandomNumberGenerator) {
        checkPrecondition(inputChannels % groups == 0 && outputChannels % groups == 0,
                          "Conv2d: channels \(inputChannels) → \(outputChannels) not divisible by groups \(groups)")
        let shape = [outputChannels, inputChannels / groups, kernelSize.0, kernelSize.1]
        let fanIn = shape[1...].reduce(1, *)
        weight = Parameter(Initialization.pytorchDefault(shape, fanIn: fanIn, using: &generator))
        self.bias = bias ? Parameter(Initialization.pytorchDefault([outputChannels], fanIn: fanIn, using: &generator)) : nil
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    /// A square kernel with equal stride and padding on both axes.
    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Int = 0, bias: Bool = true, using generator: inout some RandomNumberGenerator) {
        self.init(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: (kernelSize, kernelSize),
                  stride: (stride, stride), padding: (padding, padding), bias: bias, using: &generator)
    }

    public override var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        Tensor.conv2d(input, weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                      dilation: dilation, groups: groups)
    }
}
