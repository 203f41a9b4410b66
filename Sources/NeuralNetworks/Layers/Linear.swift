import Tensors

/// Applies an affine map to the last axis: `y = x·Wᵀ + b` (PyTorch `nn.Linear`).
///
/// `weight` is `[outputCount, inputCount]`, `bias` is `[outputCount]`; both start uniform in
/// `±1/√inputCount`, as PyTorch does, so checkpoints load without transposing. Input `[…, inputCount]`,
/// output `[…, outputCount]`; one GEMM with the transpose flag, no transposed copy of the weight.
public final class Linear: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter?

    public init(inputCount: Int, outputCount: Int, bias: Bool = true,
                using generator: inout some RandomNumberGenerator) {
        weight = Parameter(Initialization.pytorchDefault([outputCount, inputCount], fanIn: inputCount, using: &generator))
        self.bias = bias ? Parameter(Initialization.pytorchDefault([outputCount], fanIn: inputCount, using: &generator)) : nil
    }

    public var inputCount: Int { weight.shape[1] }
    public var outputCount: Int { weight.shape[0] }

    public override var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        checkPrecondition(input.shape.last == inputCount,
                          "Linear(\(inputCount) → \(outputCount)) got input of shape \(input.shape)")
        let product = input.matmul(weight.value, transposeOther: true)
        return bias.map { product + $0.value } ?? product
    }
}
