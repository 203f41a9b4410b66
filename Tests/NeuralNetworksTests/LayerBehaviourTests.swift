import Foundation
import NeuralNetworks
import Tensors
import TestSupport
import Testing

@Suite("Layer behaviour against hand-worked references")
struct LayerBehaviourTests {
    @Test func batchNormTrainingUsesBatchStatisticsAndUpdatesRunningOnes() {
        let layer = BatchNorm2d(featureCount: 2, momentum: 0.1)
        // Channel 0 holds 1, 2, 3, 4 (mean 2.5, biased variance 1.25, unbiased 5/3); channel 1 is constant 7.
        let x = Tensor(shape: [2, 2, 1, 2], scalars: [1, 2, 7, 7, 3, 4, 7, 7])
        let y = layer(x).scalars
        let inverse = 1 / Float(1.25 + 1e-5).squareRoot()
        #expect(Swift.abs(y[0] - (1 - 2.5) * inverse) < 1e-5 && Swift.abs(y[5] - (4 - 2.5) * inverse) < 1e-5)
        #expect(y[2] == 0 && y[3] == 0)
        #expect(closeness(layer.runningMean.value, Tensor([0.25, 0.7])).passed)
        #expect(closeness(layer.runningVariance.value, Tensor([0.9 + 0.1 * 5 / 3, 0.9])).passed)
        #expect(layer.batchesTracked.value.item == 1)
    }

    /// `momentum` `nil` (PyTorch's `None`): the running statistics are the plain mean of every batch's
    /// since the last reset, the variance unbiased per batch; the reset gives a new layer's statistics.
    @Test func batchNormWithoutMomentumAveragesEveryBatchSinceAReset() {
        let layer = BatchNorm2d(featureCount: 1, momentum: nil)
        layer.runningMean.value = Tensor([9])
        layer.resetRunningStatistics()
        #expect(layer.runningMean.value.scalars == [0] && layer.runningVariance.value.scalars == [1])
        #expect(layer.batchesTracked.value.item == 0)
        // Batch means 2, 6 and 1; unbiased variances 2, 8 and 0.
        for values: [Float] in [[1, 3], [4, 8], [1, 1]] {
            _ = layer(Tensor(shape: [2, 1, 1, 1], scalars: values))
        }
        #expect(closeness(layer.runningMean.value, Tensor([3])).passed)
        #expect(closeness(layer.runningVariance.value, Tensor([10 / 3])).passed)
        #expect(layer.batchesTracked.value.item == 3)
    }

    @Test func batchNormEvaluationUsesRunningStatisticsAndLeavesThem() {
        let layer = BatchNorm2d(featureCount: 2)
        layer.runningMean.value = Tensor([1, -1])
        layer.runningVariance.value = Tensor([4, 0.25])
        layer.weight.value = Tensor([2, 1])
        layer.bias.value = Tensor([0.5, 0])
        layer.setTraining(false)
        let y = layer(Tensor(shape: [1, 2, 1, 1], scalars: [3, 0])).scalars
        #expect(Swift.abs(y[0] - (2 * (3 - 1) / Float(4 + 1e-5).squareRoot() + 0.5)) < 1e-5)
        #expect(Swift.abs(y[1] - (0 + 1) / Float(0.25 + 1e-5).squareRoot()) < 1e-5)
        #expect(layer.runningMean.value.scalars == [1, -1] && layer.batchesTracked.value.item == 0)
    }

    @Test func trainAndEvalModesSwitchRecursively() {
        var g = SplitMix64(seed: 1)
        let inner = BatchNorm2d(featureCount: 1)
        let model = Sequential([Conv2d(inputChannels: 1, outputChannels: 1, kernelSize: 1, using: &g),
                                Sequential([inner, Dropout(probability: 0.5, using: &g)])])
        model.setTraining(false)
        #expect(!inner.isTraining)
        model.setTraining(true)
        #expect(inner.isTraining)
    }

    @Test func attentionEqualsANaiveImplementation() {
        var g = SplitMix64(seed: 2)
        let (batch, tokens, width, heads) = (2, 3, 4, 2)
        let attention = MultiHeadAttention(dimension: width, headCount: heads, using: &g)
        let x = Tensor.randomNormal([batch, tokens, width], using: &g)
        let (w, b) = (attention.qkv.weight.value, attention.qkv.bias!.value)
        let (pw, pb) = (attention.proj.weight.value, attention.proj.bias!.value)
        let headWidth = width / heads
        var expected = [Float]()
        for n in 0..<batch {
            // qkv[t][j] = Σ_i x[n,t,i]·W[j,i] + b[j]; j < D: queries, < 2D: keys, else values (head-major).
            let qkv = (0..<tokens).map { t in (0..<3 * width).map { j in
                (0..<width).reduce(b[j]) { $0 + x[n, t, $1] * w[j, $1] } } }
            var concatenated = [[Float]](repeating: [Float](repeating: 0, count: width), count: tokens)
            for h in 0..<heads {
                for t in 0..<tokens {
                    let scores = (0..<tokens).map { s in
                        (0..<headWidth).reduce(Float(0)) { $0 + qkv[t][h * headWidth + $1] * qkv[s][width + h * headWidth + $1] }
                            / Float(headWidth).squareRoot()
                    }
                    let top = scores.max()!
                    let weights = scores.map { Foundation.exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for d in 0..<headWidth {
                        concatenated[t][h * headWidth + d] = (0..<tokens).reduce(Float(0)) {
                            $0 + weights[$1] / total * qkv[$1][2 * width + h * headWidth + d]
                        }
                    }
                }
            }
            for t in 0..<tokens {
                for j in 0..<width { expected.append((0..<width).reduce(pb[j]) { $0 + concatenated[t][$1] * pw[j, $1] }) }
            }
        }
        let result = closeness(attention(x), Tensor(shape: [batch, tokens, width], scalars: expected))
        #expect(result.passed, "\(result)")
    }

    @Test func dropoutIsTheIdentityInEvaluationAndSeededInTraining() {
        var g1 = SplitMix64(seed: 3), g2 = SplitMix64(seed: 3)
        let a = Dropout(probability: 0.5, using: &g1), b = Dropout(probability: 0.5, using: &g2)
        let x = Tensor.ones([100])
        #expect(a(x).scalars == b(x).scalars)
        #expect(a(x).scalars.contains(0))
        a.setTraining(false)
        #expect(a(x).scalars == x.scalars)
    }

    @Test func patchEmbeddingOrdersPatchesRowMajor() {
        var g = SplitMix64(seed: 4)
        let embed = PatchEmbedding(inputChannels: 1, dimension: 1, patchSize: 2, using: &g)
        embed.proj.weight.value = Tensor.ones([1, 1, 2, 2])
        embed.proj.bias!.value = Tensor([0])
        // A 2×4 image holds two patches: sums 1+2+5+6 = 14 and 3+4+7+8 = 22.
        let tokens = embed(Tensor(shape: [1, 1, 2, 4], scalars: [1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(tokens.shape == [1, 2, 1] && tokens.scalars == [14, 22])
    }
}
