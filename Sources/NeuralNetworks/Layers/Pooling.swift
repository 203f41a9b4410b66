import Tensors

/// The window shared by the 2-D pooling layers: a square kernel, its stride (PyTorch's default: the
/// kernel size) and zero padding on every side.
public class Pool2d: Module {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int)

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
    }
}

/// 2-D max pooling (PyTorch `nn.MaxPool2d`).
public final class MaxPool2d: Pool2d, Layer {
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
    }
}

/// 2-D average pooling (PyTorch `nn.AvgPool2d`, `count_include_pad=True`).
public final class AvgPool2d: Pool2d, Layer {
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
