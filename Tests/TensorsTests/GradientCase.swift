import Testing
import Tensors

/// One differentiable computation to gradient-check: inputs and the function of them.
struct GradientCase: Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [Tensor]
    let body: @Sendable ([Tensor]) -> Tensor

    init(_ name: String, _ inputs: [Tensor], _ body: @escaping @Sendable ([Tensor]) -> Tensor) {
        self.name = name
        self.inputs = inputs
        self.body = body
    }

    var testDescription: String { name }
}

/// Seeded test inputs shaped for finite differences.
enum Inputs {
    /// Standard normal values.
    static func normal(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return .randomNormal(shape, using: &generator)
    }

    /// Values in `[low, high)`, for functions defined on part of the line (log, sqrt, division).
    static func uniform(_ shape: [Int], _ low: Float, _ high: Float, seed: UInt64) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return .randomUniform(shape, in: low..<high, using: &generator)
    }

    /// Distinct values at least 0.1 apart and at least 0.05 from zero, shuffled: no finite-difference
    /// step of 1e-2 crosses a kink (ReLU, |x|, a tie in max or max-pool).
    static func spread(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SplitMix64(seed: seed)
        let count = shape.elementCount
        var values = (0..<count).map { Float($0 - count / 2) * 0.1 + 0.05 }
        values.shuffle(using: &generator)
        return Tensor(shape: shape, scalars: values)
    }
}

