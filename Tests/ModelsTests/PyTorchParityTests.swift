import Foundation
import Models
import NeuralNetworks
import Tensors
import TestSupport
import Testing

/// Checkpoints written by PyTorch's `safetensors.torch.save_file` load into our models and give PyTorch's
/// numbers: logits, loss, batch-norm buffers, gradients and optimizer steps. The fixtures and the
/// hyper-parameters come from `Fixtures/make_pytorch_fixtures.py` (torch 2.15, timm 1.0.31).
@Suite("Parity with PyTorch on PyTorch-made checkpoints")
struct PyTorchParityTests {
    static func fixture(_ name: String) throws -> SafeTensors {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        return try SafeTensors(contentsOf: url)
    }

    /// Every element within `1e-5·max|expected| + 1e-4·|expected|`: Float32 sums in another order.
    static func expectMatch(_ actual: Tensor?, _ expected: Tensor?, _ label: String, scale: Float = 1e-5,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        guard let actual, let expected else {
            Issue.record("\(label): missing", sourceLocation: sourceLocation)
            return
        }
        let largest = expected.scalars.map(Swift.abs).max() ?? 0
        let result = closeness(actual, expected, absoluteTolerance: Swift.max(scale * largest, 1e-7), relativeTolerance: 1e-4)
        #expect(result.passed, "\(label): \(result)", sourceLocation: sourceLocation)
    }

    /// Compares every gradient the fixture holds (`grad.<name>`); returns how many it compared.
    static func expectGradientsMatch(_ model: Module, _ gradients: ParameterGradients, _ io: SafeTensors,
                                     sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        var compared = 0
        for (name, parameter) in model.namedParameters() {
            guard let expected = io["grad." + name] else { continue }
            expectMatch(gradients[parameter], expected, "grad.\(name)", scale: 1e-4, sourceLocation: sourceLocation)
            compared += 1
        }
        return compared
    }

    private func makeCNN() throws -> (SmallCNN, SafeTensors) {
        var generator = SplitMix64(seed: 1)
        let model = SmallCNN(classCount: 4, using: &generator)
        try model.loadState(from: Self.fixture("cnn4"))
        return (model, try Self.fixture("cnn4_io"))
    }

    private func labels(_ io: SafeTensors) throws -> [Int] {
        try #require(io["labels"]).scalars.map { Int($0) }
    }

    @Test func cnnEvaluationLogits() throws {
        let (model, io) = try makeCNN()
        model.setTraining(false)
        Self.expectMatch(model(try #require(io["input"])), io["eval.logits"], "eval.logits")
    }

    @Test func cnnTrainingForwardLossAndBatchNormBuffers() throws {
        let (model, io) = try makeCNN()
        let logits = model(try #require(io["input"]))
        Self.expectMatch(logits, io["train.logits"], "train.logits")
        Self.expectMatch(crossEntropy(logits: logits, labels: try labels(io)).reshaped(to: []), io["train.loss"], "train.loss")
        for (name, parameter) in model.namedParameters() where name.contains("running") || name.contains("num_batches") {
            Self.expectMatch(parameter.value, io["train." + name], "train.\(name)")
        }
    }

    @Test func cnnGradients() throws {
        let (model, io) = try makeCNN()
        let x = try #require(io["input"]), y = try labels(io)
        let (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: y) }
        #expect(Self.expectGradientsMatch(model, gradients, io) >= 12)
    }

    @Test(arguments: ["sgd", "adam"])
    func cnnTwoOptimizerSteps(_ optimizerName: String) throws {
        let (model, io) = try makeCNN()
        let x = try #require(io["input"]), y = try labels(io)
        let optimizer: any Optimizer = optimizerName == "sgd"
            ? SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4) : Adam(learningRate: 1e-3)
        for prefix in [optimizerName, optimizerName + "2"] {
            model.setTraining(true)
            let (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: y) }
            optimizer.update(model, along: gradients)
            var compared = 0
            for (name, parameter) in model.namedParameters() {
                guard let expected = io["\(prefix).\(name)"] else { continue }
                // Adam moves each weight by about ±lr whatever the gradient's size: compare absolutely.
                let result = closeness(parameter.value, expected, absoluteTolerance: optimizerName == "adam" ? 1e-4 : 2e-5,
                                       relativeTolerance: 1e-4)
                #expect(result.passed, "\(prefix).\(name): \(result)")
                compared += 1
            }
            #expect(compared >= 12, "\(prefix): only \(compared) tensors compared")
        }
    }

    @Test func vitDepthTwoMatchesTimm() throws {
        var generator = SplitMix64(seed: 2)
        let model = ViTTiny(classCount: 4, depth: 2, using: &generator)
        try model.loadState(from: Self.fixture("vit_tiny_depth2"))
        let io = try Self.fixture("vit_tiny_depth2_io")
        let x = try #require(io["input"]), y = try labels(io)
        model.setTraining(false)
        Self.expectMatch(model(x), io["eval.logits"], "eval.logits")
        let (loss, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: y) }
        Self.expectMatch(loss.reshaped(to: []), io["train.loss"], "train.loss")
        #expect(Self.expectGradientsMatch(model, gradients, io) >= 10)
    }
}
