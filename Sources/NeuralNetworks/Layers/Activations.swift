import Tensors

/// `max(x, 0)` (PyTorch `nn.ReLU`).
public final class ReLU: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

/// Gaussian error linear unit (PyTorch `nn.GELU`), exact erf form by default.
public final class GELU: Module, Layer {
    public let approximation: Tensor.GELUApproximation
    public init(approximation: Tensor.GELUApproximation = .none) { self.approximation = approximation }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.gelu(approximation: approximation) }
}

/// Inverted dropout (PyTorch `nn.Dropout`): active in training mode only. The layer owns its generator,
/// seeded when the model is built, so a run is reproducible from the model's seed.
public final class Dropout: Module, Layer {
    public let probability: Float
    private var generator: SplitMix64

    public init(probability: Float = 0.5, using generator: inout some RandomNumberGenerator) {
        checkPrecondition(probability >= 0 && probability < 1, "Dropout probability \(probability) must be in [0, 1)")
        self.probability = probability
        self.generator = SplitMix64(seed: generator.next())
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining && probability > 0 else { return input }
        return input.dropout(probability: probability, using: &generator)
    }
}

/// Flattens every axis from `startAxis` on into one (PyTorch `nn.Flatten`, default start 1).
public final class Flatten: Module, Layer {
    public let startAxis: Int
    public init(startAxis: Int = 1) { self.startAxis = startAxis }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.reshaped(to: Array(input.shape.prefix(startAxis)) + [-1])
    }
}

/// Calls its layers in order (PyTorch `nn.Sequential`); children are named `0`, `1`, ….
public final class Sequential: Module, Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    public override var children: [(name: String, module: Module)] {
        layers.enumerated().map { ("\($0.offset)", $0.element as Module) }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }
}
