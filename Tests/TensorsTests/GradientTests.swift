import Testing
import Tensors
import TestSupport

// Every differentiable operation, gradient-checked against central finite differences.

private let elementwiseCases: [GradientCase] = [
    .init("add broadcast [2,3,4]+[3,1]", [Inputs.normal([2, 3, 4], seed: 1), Inputs.normal([3, 1], seed: 2)]) { $0[0] + $0[1] },
    .init("subtract broadcast [2,1,4]−[3,4]", [Inputs.normal([2, 1, 4], seed: 3), Inputs.normal([3, 4], seed: 4)]) { $0[0] - $0[1] },
    .init("multiply broadcast [2,3]⊙[3]", [Inputs.normal([2, 3], seed: 5), Inputs.normal([3], seed: 6)]) { $0[0] * $0[1] },
    .init("divide broadcast [2,3]/[2,1]", [Inputs.normal([2, 3], seed: 7), Inputs.uniform([2, 1], 0.5, 2, seed: 8)]) { $0[0] / $0[1] },
    .init("scalar operands", [Inputs.uniform([5], 0.5, 2, seed: 9)]) { x in (2 - x[0]) * 3 + 1 / x[0] - x[0] / 4 },
    .init("negate", [Inputs.normal([4], seed: 10)]) { -$0[0] },
    .init("value used twice", [Inputs.normal([3, 2], seed: 11)]) { x in x[0] * x[0] + x[0] },
    .init("exp", [Inputs.normal([6], seed: 12)]) { $0[0].exp() },
    .init("log", [Inputs.uniform([6], 0.5, 3, seed: 13)]) { $0[0].log() },
    .init("squareRoot", [Inputs.uniform([6], 0.5, 3, seed: 14)]) { $0[0].squareRoot() },
    .init("abs", [Inputs.spread([8], seed: 15)]) { $0[0].abs() },
    .init("squared", [Inputs.normal([6], seed: 16)]) { $0[0].squared() },
    .init("pow 3", [Inputs.normal([6], seed: 17)]) { $0[0].pow(3) },
    .init("pow −0.5", [Inputs.uniform([6], 0.5, 3, seed: 18)]) { $0[0].pow(-0.5) },
    .init("clamped", [Inputs.spread([12], seed: 19)]) { $0[0].clamped(lower: -0.33, upper: 0.27) },
    .init("relu", [Inputs.spread([10], seed: 20)]) { $0[0].relu() },
    .init("tanh", [Inputs.normal([6], seed: 21)]) { $0[0].tanh() },
    .init("sigmoid", [Inputs.normal([6], seed: 22) * 3]) { $0[0].sigmoid() },
    .init("gelu erf", [Inputs.normal([8], seed: 23) * 2]) { $0[0].gelu() },
    .init("gelu tanh", [Inputs.normal([8], seed: 24) * 2]) { $0[0].gelu(approximation: .tanh) },
    .init("where broadcast", [Inputs.normal([2, 3], seed: 25), Inputs.normal([3], seed: 26)]) { x in
        Tensor.where(Tensor(shape: [2, 1], scalars: [1, 0]), x[0], x[1])
    },
    .init("dropout with a fixed mask", [Inputs.normal([4, 5], seed: 27)]) { x in
        var generator = SplitMix64(seed: 99)
        return x[0].dropout(probability: 0.3, using: &generator)
    },
]

private let reductionsCases: [GradientCase] = [
    .init("sum axes [0,2]", [Inputs.normal([2, 3, 4], seed: 30)]) { $0[0].sum(alongAxes: [0, 2]) },
    .init("sum axes [1] keeping", [Inputs.normal([2, 3, 4], seed: 31)]) { $0[0].sum(alongAxes: [1], keepingDimensions: true) },
    .init("sum all", [Inputs.normal([3, 4], seed: 32)]) { $0[0].sum() },
    .init("mean axes [−1]", [Inputs.normal([3, 4], seed: 33)]) { $0[0].mean(alongAxes: [-1]) },
    .init("variance unbiased axes [0,2]", [Inputs.normal([3, 2, 4], seed: 34)]) { $0[0].variance(alongAxes: [0, 2]) },
    .init("variance biased", [Inputs.normal([2, 5], seed: 35)]) { $0[0].variance(alongAxes: [1], correction: 0) },
    .init("max along axis 1", [Inputs.spread([3, 4, 2], seed: 36)]) { $0[0].max(alongAxis: 1).values },
    .init("logSumExp along axis 1", [Inputs.normal([2, 4, 3], seed: 37) * 3]) { $0[0].logSumExp(alongAxis: 1) },
    .init("softmax along axis 0", [Inputs.normal([4, 3], seed: 38)]) { $0[0].softmax(alongAxis: 0) },
    .init("softmax along last axis", [Inputs.normal([2, 5], seed: 39) * 2]) { $0[0].softmax() },
    .init("logSoftmax along axis 1 of 3-D", [Inputs.normal([2, 4, 3], seed: 40)]) { $0[0].logSoftmax(alongAxis: 1) },
]

private let shapesCases: [GradientCase] = [
    .init("reshaped", [Inputs.normal([2, 6], seed: 50)]) { $0[0].reshaped(to: [3, -1]) * Tensor.arange(0, 4) },
    .init("permuted [2,0,1]", [Inputs.normal([2, 3, 4], seed: 51)]) { $0[0].permuted([2, 0, 1]) },
    .init("transposed", [Inputs.normal([3, 4], seed: 52)]) { $0[0].transposed() },
    .init("broadcast to", [Inputs.normal([3, 1], seed: 53)]) { $0[0].broadcast(to: [2, 3, 4]) },
    .init("slice with step", [Inputs.normal([3, 7], seed: 54)]) { $0[0].slice(alongAxis: 1, 1..<7, step: 2) },
    .init("padded", [Inputs.normal([2, 3], seed: 55)]) { $0[0].padded([(1, 0), (2, 1)], value: 0.5) },
    .init("concatenate axis 1", [Inputs.normal([2, 2], seed: 56), Inputs.normal([2, 3], seed: 57)]) {
        Tensor.concatenate([$0[0], $0[1], $0[0]], alongAxis: 1)
    },
    .init("stack", [Inputs.normal([2, 3], seed: 58), Inputs.normal([2, 3], seed: 59)]) { Tensor.stack($0, alongAxis: 1) },
    .init("squeeze and expand", [Inputs.normal([2, 1, 3], seed: 60)]) { $0[0].squeezingShape().expandingShape(at: 0) },
    .init("gather along axis 1", [Inputs.normal([3, 4], seed: 61)]) { $0[0].gather(alongAxis: 1, indices: [3, 0, 0, 2, 1, 1]) },
    .init("indexSelect with repeats", [Inputs.normal([4, 3], seed: 62)]) { $0[0].indexSelect(alongAxis: 0, indices: [2, 0, 2]) },
]

private let productsCases: [GradientCase] = [false, true].flatMap { ta in
    [false, true].map { tb in
        GradientCase("matmul transposeA \(ta) transposeB \(tb)",
                     [Inputs.normal(ta ? [4, 3] : [3, 4], seed: 70), Inputs.normal(tb ? [5, 4] : [4, 5], seed: 71)]) {
            Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
        }
    }
} + [
    .init("batched matmul broadcast [2,1,3,4]·[3,4,5]", [Inputs.normal([2, 1, 3, 4], seed: 72), Inputs.normal([3, 4, 5], seed: 73)]) {
        Tensor.matmul($0[0], $0[1])
    },
    .init("batched matmul transposed [2,4,3]ᵀ·[2,5,4]ᵀ", [Inputs.normal([2, 4, 3], seed: 74), Inputs.normal([2, 5, 4], seed: 75)]) {
        Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true)
    },
    .init("folded matmul [2,3,4]·[5,4]ᵀ", [Inputs.normal([2, 3, 4], seed: 76), Inputs.normal([5, 4], seed: 77)]) {
        $0[0].matmul($0[1], transposeOther: true)
    },
    .init("matrix times batch [3,4]·[2,4,5]", [Inputs.normal([3, 4], seed: 78), Inputs.normal([2, 4, 5], seed: 79)]) {
        Tensor.matmul($0[0], $0[1])
    },
]

private let networkOperationsCases: [GradientCase] = [
    .init("conv2d stride 2 padding 1 with bias", [Inputs.normal([2, 2, 5, 6], seed: 80), Inputs.normal([3, 2, 3, 3], seed: 81), Inputs.normal([3], seed: 82)]) {
        Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 2), padding: (1, 1))
    },
    .init("conv2d dilation 2 groups 2", [Inputs.normal([1, 4, 6, 6], seed: 83), Inputs.normal([4, 2, 2, 3], seed: 84)]) {
        Tensor.conv2d($0[0], weight: $0[1], padding: (1, 0), dilation: (2, 2), groups: 2)
    },
    .init("conv2d pointwise, 3 images (blocked GEMM)", [Inputs.normal([3, 3, 2, 3], seed: 85), Inputs.normal([2, 3, 1, 1], seed: 86)]) {
        Tensor.conv2d($0[0], weight: $0[1])
    },
    .init("maxPool2d 3×3 stride 2 padding 1", [Inputs.spread([1, 2, 5, 6], seed: 87)]) {
        $0[0].maxPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1))
    },
    .init("avgPool2d padding, count including padding", [Inputs.normal([2, 1, 4, 5], seed: 88)]) {
        $0[0].avgPool2d(kernelSize: (3, 2), stride: (1, 2), padding: (1, 1))
    },
    .init("avgPool2d padding, count excluding padding", [Inputs.normal([1, 2, 4, 4], seed: 89)]) {
        $0[0].avgPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), countIncludingPadding: false)
    },
    .init("globalAveragePool2d", [Inputs.normal([2, 3, 2, 4], seed: 90)]) { $0[0].globalAveragePool2d() },
    .init("batchNorm training", [Inputs.normal([3, 2, 2, 3], seed: 91) * 2 + 1, Inputs.normal([2], seed: 92), Inputs.normal([2], seed: 93)]) {
        Tensor.batchNorm($0[0], scale: $0[1], offset: $0[2]).output
    },
    .init("batchNorm [N, C] without affine", [Inputs.normal([5, 3], seed: 94)]) {
        Tensor.batchNorm($0[0], scale: nil, offset: nil).output
    },
    .init("layerNorm last axis", [Inputs.normal([3, 5], seed: 95), Inputs.normal([5], seed: 96), Inputs.normal([5], seed: 97)]) {
        Tensor.layerNorm($0[0], scale: $0[1], offset: $0[2])
    },
    .init("layerNorm last two axes", [Inputs.normal([2, 3, 4], seed: 98), Inputs.normal([3, 4], seed: 99), Inputs.normal([3, 4], seed: 100)]) {
        Tensor.layerNorm($0[0], scale: $0[1], offset: $0[2], normalizedAxisCount: 2)
    },
]

@Suite("Gradients against central finite differences")
struct GradientTests {
    @Test(arguments: elementwiseCases) func elementwise(_ c: GradientCase) { check(c) }
    @Test(arguments: reductionsCases) func reductions(_ c: GradientCase) { check(c) }
    @Test(arguments: shapesCases) func shapes(_ c: GradientCase) { check(c) }
    @Test(arguments: productsCases) func products(_ c: GradientCase) { check(c) }
    @Test(arguments: networkOperationsCases) func networkOperations(_ c: GradientCase) { check(c) }

    private func check(_ c: GradientCase) {
        let result = checkGradients(at: c.inputs, of: c.body)
        #expect(result.passed, "\(c.name): \(result)")
    }
}
