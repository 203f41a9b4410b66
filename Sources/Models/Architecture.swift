import NeuralNetworks

/// The model architectures QPAudioEraser trains and unlearns, by the name used on the command line and in
/// checkpoint metadata. A new architecture is a compile error until every `switch` handles it.
public enum Architecture: String, CaseIterable, Codable, Sendable {
    case cnn
    case resnet18
    case vitTiny = "vit-tiny"

    /// A freshly initialised model for `classCount` classes and 1-channel inputs of `inputSize`.
    public func makeModel(classCount: Int, inputSize: (height: Int, width: Int) = (64, 96),
                          using generator: inout some RandomNumberGenerator) -> any Classifier {
        switch self {
        case .cnn: SmallCNN(classCount: classCount, using: &generator)
        case .resnet18: ResNet18(classCount: classCount, using: &generator)
        case .vitTiny: ViTTiny(classCount: classCount, inputSize: inputSize, using: &generator)
        }
    }
}
