import Models
import NeuralNetworks
import Tensors
import Testing

@Suite("Model shapes, parameter counts and PyTorch names")
struct ModelShapeTests {
    /// Counts from PyTorch for 1 input channel and 10 classes: torchvision `resnet18` with
    /// `conv1 = Conv2d(1, 64, 7, 2, 3, bias=False)`, and `scripts/pytorch/models.py` for the CNN and
    /// ViT-Tiny (`sum(p.numel() for p in model.parameters())`).
    @Test(arguments: [(Architecture.cnn, 242_250), (.resnet18, 11_175_370), (.vitTiny, 5_371_978)])
    func parameterCount(_ architecture: Architecture, expected: Int) {
        var generator = SplitMix64(seed: 1)
        let model = architecture.makeModel(classCount: 10, using: &generator)
        #expect(model.parameterCount == expected)
        #expect(model.classCount == 10)
    }

    @Test(arguments: Architecture.allCases)
    func logitsHaveOneColumnPerClass(_ architecture: Architecture) {
        var generator = SplitMix64(seed: 2)
        let model = architecture.makeModel(classCount: 7, using: &generator)
        model.setTraining(false)
        let logits = model(Tensor.randomNormal([2, 1, 64, 96], using: &generator))
        #expect(logits.shape == [2, 7])
        #expect(logits.scalars.allSatisfy { $0.isFinite })
    }

    /// Every parameter and buffer below the head belongs to exactly one stage, in the order of the
    /// forward pass (an erasure that keeps the first stages leaves exactly those untouched and runs the
    /// rest on what they put out), and the stages' shapes chain from the input to the embedding.
    @Test(arguments: Architecture.allCases)
    func stagesPartitionTheNetworkBelowTheHead(_ architecture: Architecture) {
        var generator = SplitMix64(seed: 4)
        let model = architecture.makeModel(classCount: 5, using: &generator)
        let head = Set(model.head.namedParameters().map { ObjectIdentifier($0.parameter) })
        let below = model.namedParameters().map { ObjectIdentifier($0.parameter) }.filter { !head.contains($0) }
        let staged = model.stages.flatMap { ($0 as Module).namedParameters().map { ObjectIdentifier($0.parameter) } }
        #expect(staged == below, "\(staged.count) staged of \(below.count) parameters and buffers below the head")
        model.setTraining(false)
        var output = Tensor.randomNormal([2, 1, 64, 96], using: &generator)
        for stage in model.stages { output = stage(output) }
        #expect(output.shape == [2, model.head.inputCount])
    }

    @Test func namesFollowTorchvisionAndTimm() {
        var generator = SplitMix64(seed: 3)
        let resnet = Set(ResNet18(classCount: 10, using: &generator).namedParameters().map(\.name))
        for name in ["conv1.weight", "bn1.running_mean", "bn1.num_batches_tracked", "layer1.0.conv1.weight",
                     "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var", "layer4.1.bn2.bias",
                     "fc.weight", "fc.bias"] {
            #expect(resnet.contains(name), "ResNet18 lacks \(name)")
        }
        #expect(!resnet.contains("layer1.0.downsample.0.weight"))
        let vit = Set(ViTTiny(classCount: 10, using: &generator).namedParameters().map(\.name))
        for name in ["cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.0.norm1.weight",
                     "blocks.11.attn.qkv.weight", "blocks.3.attn.proj.bias", "blocks.5.mlp.fc1.weight",
                     "blocks.5.mlp.fc2.bias", "norm.weight", "head.weight"] {
            #expect(vit.contains(name), "ViTTiny lacks \(name)")
        }
        let cnn = Set(SmallCNN(classCount: 10, using: &generator).namedParameters().map(\.name))
        for name in ["features.0.weight", "features.1.running_mean", "features.12.weight", "features.13.bias", "fc.weight"] {
            #expect(cnn.contains(name), "SmallCNN lacks \(name)")
        }
    }
}
