import NeuralNetworks
import Tensors
import TestSupport
import Testing

/// A layer and an input to gradient-check it at (input and all trainable parameters).
struct LayerCase: CustomTestStringConvertible, @unchecked Sendable {
    let name: String
    let make: () -> (any Layer, Tensor)
    var testDescription: String { name }
}

private func normal(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = SplitMix64(seed: seed)
    return .randomNormal(shape, using: &generator)
}

private let layerCases: [LayerCase] = [
    LayerCase(name: "Linear on [2, 3, 4]") {
        var g = SplitMix64(seed: 1)
        return (Linear(inputCount: 4, outputCount: 3, using: &g), normal([2, 3, 4], seed: 2))
    },
    LayerCase(name: "Linear without bias") {
        var g = SplitMix64(seed: 3)
        return (Linear(inputCount: 3, outputCount: 2, bias: false, using: &g), normal([4, 3], seed: 4))
    },
    LayerCase(name: "Conv2d stride 2, padding 1, groups 2") {
        var g = SplitMix64(seed: 5)
        return (Conv2d(inputChannels: 2, outputChannels: 4, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1),
                       groups: 2, using: &g), normal([2, 2, 5, 5], seed: 6))
    },
    LayerCase(name: "BatchNorm2d training") {
        let layer = BatchNorm2d(featureCount: 3)
        layer.weight.value = normal([3], seed: 7)
        layer.bias.value = normal([3], seed: 8)
        return (layer, normal([4, 3, 2, 2], seed: 9))
    },
    LayerCase(name: "BatchNorm2d evaluation") {
        let layer = BatchNorm2d(featureCount: 3)
        layer.weight.value = normal([3], seed: 10)
        layer.runningMean.value = normal([3], seed: 11)
        layer.runningVariance.value = normal([3], seed: 12).abs() + 0.5
        layer.setTraining(false)
        return (layer, normal([2, 3, 2, 2], seed: 13))
    },
    LayerCase(name: "LayerNorm") {
        let layer = LayerNorm(featureCount: 5)
        layer.weight.value = normal([5], seed: 14)
        layer.bias.value = normal([5], seed: 15)
        return (layer, normal([2, 3, 5], seed: 16))
    },
    LayerCase(name: "GELU") { (GELU(), normal([3, 4], seed: 17)) },
    LayerCase(name: "Sequential of Conv2d, GELU, GlobalAveragePool2d") {
        var g = SplitMix64(seed: 18)
        return (Sequential([Conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, using: &g),
                            GELU(), GlobalAveragePool2d()]), normal([2, 1, 4, 6], seed: 19))
    },
    LayerCase(name: "ReLU and MaxPool2d on values 0.1 apart") {
        // Distinct values away from 0: no finite-difference step crosses a kink or a tie.
        var g = SplitMix64(seed: 27)
        let values = (0..<48).map { Float($0 - 24) * 0.1 + 0.05 }.shuffled(using: &g)
        return (Sequential([ReLU(), MaxPool2d(kernelSize: 3, stride: 2, padding: 1)]), Tensor(shape: [2, 2, 3, 4], scalars: values))
    },
    LayerCase(name: "AvgPool2d and Flatten") {
        (Sequential([AvgPool2d(kernelSize: 2, stride: 1), Flatten()]), normal([2, 2, 3, 3], seed: 20))
    },
    LayerCase(name: "MultiHeadAttention 2 heads") {
        var g = SplitMix64(seed: 21)
        return (MultiHeadAttention(dimension: 4, headCount: 2, using: &g), normal([2, 3, 4], seed: 22))
    },
    LayerCase(name: "TransformerBlock") {
        var g = SplitMix64(seed: 23)
        return (TransformerBlock(dimension: 4, headCount: 2, mlpDimension: 8, using: &g), normal([1, 3, 4], seed: 24))
    },
    LayerCase(name: "PatchEmbedding") {
        var g = SplitMix64(seed: 25)
        return (PatchEmbedding(inputChannels: 1, dimension: 3, patchSize: 2, using: &g), normal([2, 1, 4, 6], seed: 26))
    },
]

@Suite("Layer gradients against finite differences")
struct LayerGradientTests {
    @Test(arguments: layerCases)
    func gradientsMatchFiniteDifferences(_ c: LayerCase) {
        let (layer, input) = c.make()
        let check = checkGradients(of: layer, at: input)
        #expect(check.passed, "\(c.name): \(check)")
    }
}
