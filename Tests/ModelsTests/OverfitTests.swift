import Models
import NeuralNetworks
import Tensors
import Testing

/// "Learns a known function": each model memorises 32 random examples with random labels. A model that
/// cannot reach 100% training accuracy in a few dozen Adam steps has a broken forward or backward pass.
@Suite("Each model overfits 32 random examples")
struct OverfitTests {
    @Test(arguments: Architecture.allCases)
    func reachesFullTrainingAccuracy(_ architecture: Architecture) {
        var generator = SplitMix64(seed: 11)
        let inputSize = (height: 32, width: 32)
        let model = architecture.makeModel(classCount: 4, inputSize: inputSize, using: &generator)
        let x = Tensor.randomNormal([32, 1, inputSize.height, inputSize.width], using: &generator)
        let labels = (0..<32).map { _ in Int(generator.next() % 4) }
        let optimizer = Adam(learningRate: architecture == .vitTiny ? 3e-4 : 3e-3)
        var accuracy = 0.0, steps = 0
        while steps < 60 && accuracy < 1 {
            model.setTraining(true)
            let (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: labels) }
            optimizer.update(model, along: gradients)
            steps += 1
            model.setTraining(false)
            let predictions = model(x).argmax(alongAxis: 1)
            accuracy = Double(zip(predictions, labels).filter { $0 == $1 }.count) / 32
        }
        #expect(accuracy == 1, "\(architecture.rawValue): \(accuracy * 100)% after \(steps) steps")
    }
}
