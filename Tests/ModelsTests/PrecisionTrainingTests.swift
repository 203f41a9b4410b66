import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing

/// bf16 training (``Precision/bf16``) learns what fp32 training learns: each model, from the same
/// initial weights and batches, trained on noisy examples of four textures, loses at most 0.5 points of
/// held-out accuracy in bf16 — and the bf16 run really took another path (its weights differ from the
/// fp32 run's).
@Suite("bf16 training matches fp32", .enabled(if: Precision.bf16.isAvailable, "this CPU has no bf16 instructions"))
struct PrecisionTrainingTests {
    /// Four textures: class `c` is a wave across the width with `c + 1` periods and a random phase,
    /// under noise of half its strength.
    private static func examples(_ count: Int, size: Int, using generator: inout SplitMix64) -> [(x: [Float], label: Int)] {
        (0 ..< count).map { _ in
            let label = Int(generator.next() % 4)
            let phase = Float(generator.nextUnitFloat()) * 2 * .pi
            let frequency = Float(label + 1) * 2 * .pi / Float(size)
            return ((0 ..< size * size).map { sin(frequency * Float($0 % size) + phase) + 0.5 * generator.nextStandardNormal() }, label)
        }
    }

    private static func batch(_ examples: some Collection<(x: [Float], label: Int)>, size: Int) -> (Tensor, [Int]) {
        (Tensor(shape: [examples.count, 1, size, size], scalars: examples.flatMap(\.x)), examples.map(\.label))
    }

    private static func train(_ architecture: Architecture, precision: Precision) throws -> (accuracy: Double, weights: [Float]) {
        var generator = SplitMix64(seed: 21)
        let size = 16
        let training = examples(256, size: size, using: &generator)
        let (testX, testLabels) = batch(examples(400, size: size, using: &generator), size: size)
        var initial = SplitMix64(seed: 5)
        let model = architecture.makeModel(classCount: 4, inputSize: (size, size), using: &initial)
        let optimizer = Adam(learningRate: architecture == .vitTiny ? 3e-4 : 1e-3)
        let predictions = try Precision.withPrecision(precision) {
            model.setTraining(true)
            for _ in 0 ..< 5 {
                for start in stride(from: 0, to: training.count, by: 32) {
                    let (x, labels) = batch(training[start ..< start + 32], size: size)
                    let (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: labels) }
                    optimizer.update(model, along: gradients)
                }
            }
            model.setTraining(false)
            return model(testX).argmax(alongAxis: 1)
        }
        let correct = zip(predictions, testLabels).filter { $0 == $1 }.count
        return (Double(correct) / Double(testLabels.count) * 100, model.namedParameters().flatMap(\.parameter.value.scalars))
    }

    @Test(arguments: Architecture.allCases)
    func heldOutAccuracyLosesAtMostHalfAPoint(_ architecture: Architecture) throws {
        let fp32 = try Self.train(architecture, precision: .fp32)
        let bf16 = try Self.train(architecture, precision: .bf16)
        #expect(fp32.accuracy >= 90, "\(architecture.rawValue): the task should be learnt in fp32 (\(fp32.accuracy)%)")
        #expect(bf16.accuracy >= fp32.accuracy - 0.5, "\(architecture.rawValue): fp32 \(fp32.accuracy)%, bf16 \(bf16.accuracy)%")
        #expect(fp32.weights != bf16.weights, "\(architecture.rawValue): bf16 trained bit for bit as fp32: it did not run")
    }
}
