import Testing
import Tensors

/// Small forward values worked out by hand.
@Suite("Hand-worked values")
struct HandWorkedValueTests {
    @Test func creation() {
        #expect(Tensor.arange(0, 5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(1, 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(Tensor.arange(3, 0, step: -1).scalars == [3, 2, 1])
        #expect(Tensor.full([2, 2], value: 7).scalars == [7, 7, 7, 7])
        #expect(Tensor.oneHot([2, 0], classCount: 3).scalars == [0, 0, 1, 1, 0, 0])
        #expect(Tensor(5).shape == [] && Tensor(5).item == 5)
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x[1, 2] == 6 && x[0, 1] == 2)
    }

    @Test func masksAndWhere() {
        let a = Tensor([1, 5, 3]), b = Tensor([2, 2, 3])
        #expect(a.isGreater(than: b).scalars == [0, 1, 0])
        #expect(a.isLess(than: b).scalars == [1, 0, 0])
        #expect(a.isEqual(to: b).scalars == [0, 0, 1])
        #expect(Tensor.where(a.isGreater(than: b), a, b * 10).scalars == [20, 5, 30])
    }

    @Test func maximumAndArgmax() {
        let x = Tensor(shape: [2, 3], scalars: [1, 9, 9, -4, -2, -3])
        let (values, indices) = x.max(alongAxis: 1)
        #expect(values.scalars == [9, -2])
        #expect(indices == [1, 1])   // the first of tied maxima, as PyTorch
        #expect(x.argmax(alongAxis: 0) == [0, 0, 0])
    }

    @Test func stableSoftmaxOfHugeLogits() {
        // exp(1000) overflows Float; the shifted form gives softmax([1000, 1002]) = [1, e²]/(1 + e²).
        let logits = Tensor([1000, 1002])
        let probabilities = logits.softmax().scalars
        let e2 = Foundation.exp(2.0)
        #expect(Swift.abs(probabilities[0] - Float(1 / (1 + e2))) < 1e-6)
        #expect(Swift.abs(probabilities[1] - Float(e2 / (1 + e2))) < 1e-6)
        #expect(Swift.abs(logits.logSumExp(alongAxis: 0).item - Float(1002 + Foundation.log(1 + 1 / e2))) < 1e-4)
        #expect(Tensor([-.infinity, 0]).logSoftmax().scalars == [-.infinity, 0])
    }

    @Test func matmulAndTransposeFlags() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        #expect(a.matmul(b).scalars == [19, 22, 43, 50])
        #expect(a.matmul(b, transposeSelf: true).scalars == [26, 30, 38, 44])
        #expect(a.matmul(b, transposeOther: true).scalars == [17, 23, 39, 53])
    }

    @Test func convolutionOfAKnownImage() {
        // A 3×3 image convolved with a 2×2 kernel [[1, 0], [0, −1]]: x[i,j] − x[i+1,j+1].
        let image = Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let kernel = Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1])
        #expect(Tensor.conv2d(image, weight: kernel, bias: Tensor([0.5])).scalars == [-3.5, -3.5, -3.5, -3.5])
        #expect(image.maxPool2d(kernelSize: (2, 2), stride: (1, 1)).scalars == [5, 6, 8, 9])
        #expect(image.avgPool2d(kernelSize: (2, 2), stride: (1, 1)).scalars == [3, 4, 6, 7])
    }
}

import Foundation

@Suite("NaN propagates as in PyTorch")
struct NaNPropagationTests {
    @Test func reluAndMaxPoolingKeepNaN() {
        #expect(Tensor([-1, .nan, 2]).relu().scalars[1].isNaN)
        let image = Tensor(shape: [1, 1, 2, 2], scalars: [1, .nan, 3, 4])
        #expect(image.maxPool2d(kernelSize: (2, 2)).item.isNaN)
    }
}
