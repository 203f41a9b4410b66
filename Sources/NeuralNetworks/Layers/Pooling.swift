import Tensors

/// 2-D max pooling (PyTorch `nn.MaxPool2d`; stride defaults to the kernel size).
public final class MaxPool2d: Module, Layer {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int)

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
    }
}

/// 2-D average pooling (PyTorch `nn.AvgPool2d`, `count_include_pad=True`).
public final class AvgPool2d: Module, Layer {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int)

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.avgPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
    }
}

/// Adaptive average pooling to 1×1 followed by flattening: `[N, C, H, W]` → `[N, C]`
/// (PyTorch `nn.AdaptiveAvgPool2d(1)` + `flatten(1)`, the pooling before every model's head).
public final class GlobalAveragePool2d: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.globalAveragePool2d() }
}
