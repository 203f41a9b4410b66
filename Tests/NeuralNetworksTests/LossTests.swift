import Foundation
import NeuralNetworks
import Tensors
import TestSupport
import Testing

@Suite("Losses: hand-worked values and gradients")
struct LossTests {
    /// Logits [[0, ln 2, ln 5], [1, 1, 1]]: softmax rows [1/8, 2/8, 5/8] and [1/3, 1/3, 1/3].
    let logits = Tensor(shape: [2, 3], scalars: [0, Float(Foundation.log(2.0)), Float(Foundation.log(5.0)), 1, 1, 1])

    @Test func crossEntropyWithHardLabels() {
        let perSample = crossEntropy(logits: logits, labels: [2, 0], reduction: .none).scalars
        #expect(Swift.abs(perSample[0] - Float(Foundation.log(8.0 / 5))) < 1e-6)
        #expect(Swift.abs(perSample[1] - Float(Foundation.log(3.0))) < 1e-6)
        let mean = crossEntropy(logits: logits, labels: [2, 0]).item
        #expect(Swift.abs(mean - (perSample[0] + perSample[1]) / 2) < 1e-6)
        #expect(Swift.abs(crossEntropy(logits: logits, labels: [2, 0], reduction: .sum).item - (perSample[0] + perSample[1])) < 1e-6)
    }

    @Test func labelSmoothingMatchesPyTorchsDefinition() {
        // (1 − ε)·(−log p_y) + ε·mean_k(−log p_k) for row 0, label 2, ε = 0.1.
        let logP: [Double] = [1.0 / 8, 2.0 / 8, 5.0 / 8].map { Foundation.log($0) }
        let meanLogP: Double = logP.reduce(0, +) / 3
        let expected: Double = -0.9 * logP[2] - 0.1 * meanLogP
        let value = crossEntropy(logits: logits.slice(alongAxis: 0, 0..<1), labels: [2], labelSmoothing: 0.1).item
        #expect(Swift.abs(value - Float(expected)) < 1e-6)
    }

    @Test func softTargetsAndEntropy() {
        let uniform = Tensor.full([2, 3], value: 1.0 / 3)
        let soft = crossEntropy(logits: logits, targetDistributions: uniform, reduction: .none).scalars
        let probabilities: [Double] = [1.0 / 8, 2.0 / 8, 5.0 / 8]
        let row0: Double = -probabilities.map { Foundation.log($0) / 3 }.reduce(0, +)
        #expect(Swift.abs(soft[0] - Float(row0)) < 1e-6 && Swift.abs(soft[1] - Float(Foundation.log(3.0))) < 1e-6)
        let h = entropy(logits: logits, reduction: .none).scalars
        let h0: Double = -probabilities.map { $0 * Foundation.log($0) }.reduce(0, +)
        #expect(Swift.abs(h[0] - Float(h0)) < 1e-6 && Swift.abs(h[1] - Float(Foundation.log(3.0))) < 1e-6)
    }

    @Test func klDivergenceWithTemperature() {
        let teacher = Tensor(shape: [1, 2], scalars: [0, 0])          // softmax(t/2) = [½, ½]
        let student = Tensor(shape: [1, 2], scalars: [0, 2 * Float(Foundation.log(3.0))])   // softmax(s/2) = [¼, ¾]
        let expected: Double = 4 * (0.5 * Foundation.log(2.0) + 0.5 * Foundation.log(2.0 / 3))
        #expect(Swift.abs(klDivergence(logits: student, teacherLogits: teacher, temperature: 2).item - Float(expected)) < 1e-5)
        #expect(klDivergence(logits: teacher, teacherLogits: teacher).item == 0)
    }

    @Test func lossGradientsMatchFiniteDifferences() {
        var g = SplitMix64(seed: 5)
        let z = Tensor.randomNormal([3, 4], using: &g)
        let targets = Tensor.randomUniform([3, 4], in: 0.1..<1, using: &g)
        let distributions = targets / targets.sum(alongAxes: [1], keepingDimensions: true)
        let teacher = Tensor.randomNormal([3, 4], using: &g)
        let losses: [(String, (Tensor) -> Tensor)] = [
            ("hard", { crossEntropy(logits: $0, labels: [1, 3, 0], reduction: .none) }),
            ("smoothed", { crossEntropy(logits: $0, labels: [1, 3, 0], labelSmoothing: 0.2) }),
            ("soft", { crossEntropy(logits: $0, targetDistributions: distributions) }),
            ("entropy", { entropy(logits: $0, reduction: .none) }),
            ("kl", { klDivergence(logits: $0, teacherLogits: teacher, temperature: 3, reduction: .none) }),
        ]
        for (name, loss) in losses {
            let check = checkGradients(at: [z]) { loss($0[0]) }
            #expect(check.passed, "\(name): \(check)")
        }
    }

    @Test func minimisingMinusEntropyRaisesIt() {
        // QPAudioEraser's term −λ·H(p): one gradient step against it moves predictions towards uniform.
        let z = Tensor(shape: [1, 3], scalars: [2, 0, -1])
        let (before, gradient) = valueWithGradient(at: z) { -entropy(logits: $0) }
        let after = -entropy(logits: z - 0.5 * gradient).item
        #expect(after < before.item)
    }
}
