import Tensors

/// A tensor a module owns: a trainable weight, or a buffer such as batch norm's running mean
/// (`isTrainable == false`), which is saved in checkpoints but receives no gradient.
///
/// A class, so that layers, optimizers and checkpoint loaders share one value: an optimizer's update
/// or a loaded checkpoint is seen by the layer at once.
public final class Parameter {
    public var value: Tensor
    public let isTrainable: Bool

    public init(_ value: Tensor, isTrainable: Bool = true) {
        self.value = value.detached
        self.isTrainable = isTrainable
    }

    public var shape: [Int] { value.shape }
}

/// The base of every layer and model: named parameters, named children, and the train/eval switch.
///
/// Subclasses list what they own in ``localParameters`` and ``children``; names are PyTorch's
/// (`weight`, `bias`, `running_mean`, `layer1`), so ``namedParameters()`` yields the paths of a PyTorch
/// `state_dict` (`layer1.0.conv1.weight`) and checkpoints load 1:1.
open class Module {
    /// Whether the module is in training mode (batch statistics, dropout active) or evaluation mode.
    public private(set) var isTraining = true

    public init() {}

    /// This module's own parameters and buffers, in PyTorch's registration order.
    open var localParameters: [(name: String, parameter: Parameter)] { [] }

    /// The direct sub-modules, in PyTorch's registration order.
    open var children: [(name: String, module: Module)] { [] }

    /// Every parameter and buffer of this module and its descendants, with its dotted path
    /// (PyTorch `state_dict()` order and names).
    public final func namedParameters() -> [(name: String, parameter: Parameter)] {
        var result = localParameters
        for (childName, child) in children {
            result += child.namedParameters().map { ("\(childName).\($0.name)", $0.parameter) }
        }
        return result
    }

    /// The trainable parameters (PyTorch `parameters()`), in ``namedParameters()`` order.
    public final var trainableParameters: [Parameter] {
        namedParameters().map(\.parameter).filter(\.isTrainable)
    }

    /// The number of trainable scalars (PyTorch `sum(p.numel() for p in model.parameters())`).
    public final var parameterCount: Int {
        trainableParameters.map(\.value.count).reduce(0, +)
    }

    /// This module and every descendant, depth first in registration order (PyTorch `modules()`).
    public final func modules() -> [Module] {
        [self] + children.flatMap { $0.module.modules() }
    }

    /// Switches this module and all its descendants to training (`true`) or evaluation mode.
    public final func setTraining(_ training: Bool) {
        isTraining = training
        for (_, child) in children { child.setTraining(training) }
    }
}

/// A module that maps one tensor to another, called as `layer(x)`.
public protocol Layer: Module {
    func callAsFunction(_ input: Tensor) -> Tensor
}

/// A classification network whose last operation is a linear layer with one output per class.
/// Unlearning methods edit `head` (one row of `head.weight` per class) without knowing the rest.
public protocol Classifier: Layer {
    /// The final linear layer: `weight` is `[classCount, features]`.
    var head: Linear { get }
    var classCount: Int { get }
    /// The penultimate features the head reads, `[N, features]`: the model's embedding of its input
    /// (the erasure audit probes it). `model(x) == head(embedding(x))`.
    func embedding(_ input: Tensor) -> Tensor
    /// The embedding's stages from the input on (the CNN's blocks; ResNet18's stem and its four layers; a
    /// ViT's token embedding, its blocks and the final norm): `embedding(x)` applies each in turn to the
    /// last one's output. Every trainable parameter below the head belongs to exactly one stage, so an
    /// erasure can keep the first stages as trained and run them once
    /// (``runStages(_:on:)``; `QPAudioEraser.Configuration.keptStages`).
    var stages: [any Layer] { get }
    /// A head of ``head``'s shape drawn as this architecture's initialisation draws it: the rows and biases
    /// a retraining starts from (PyTorch's `nn.Linear` default unless the architecture says otherwise).
    func freshHead(using generator: inout some RandomNumberGenerator) -> Linear
}

extension Classifier {
    public var classCount: Int { head.weight.shape[0] }

    public func freshHead(using generator: inout some RandomNumberGenerator) -> Linear {
        Linear(inputCount: head.inputCount, outputCount: head.outputCount, bias: head.bias != nil, using: &generator)
    }

    /// Stages `range` of ``stages`` applied in turn to `input`: `runStages(0 ..< stages.count, on: x)` is
    /// `embedding(x)`, and `runStages(k ..< n, on: runStages(0 ..< k, on: x))` is too.
    public func runStages(_ range: Range<Int>, on input: Tensor) -> Tensor {
        stages[range].reduce(input) { $1($0) }
    }
}
