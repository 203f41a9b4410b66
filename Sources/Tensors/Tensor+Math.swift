import Checks
import Foundation

// Element-wise functions. Each one is a forward kernel and a derivative kernel; the derivative kernel
// maps (upstream gradient, saved value) to the input gradient, where the saved value is the input x or,
// when that is cheaper, the output y.

private struct Exp: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { VectorMath.exp(x) }
}
private struct Log: UnaryKernel { func callAsFunction(_ x: Float) -> Float { Foundation.log(x) } }
private struct SquareRoot: UnaryKernel { func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
private struct Absolute: UnaryKernel { func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
private struct Square: UnaryKernel { func callAsFunction(_ x: Float) -> Float { x * x } }
private struct HyperbolicTangent: UnaryKernel { func callAsFunction(_ x: Float) -> Float { Foundation.tanh(x) } }
private struct ReLU: UnaryKernel { func callAsFunction(_ x: Float) -> Float { x > 0 || x.isNaN ? x : 0 } }   // NaN stays NaN, as in PyTorch
private struct Sigmoid: UnaryKernel {
    func callAsFunction(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }
}
private struct Power: UnaryKernel {
    let exponent: Float
    func callAsFunction(_ x: Float) -> Float { Foundation.pow(x, exponent) }
}
private struct Clamp: UnaryKernel {
    let lower: Float, upper: Float
    func callAsFunction(_ x: Float) -> Float { Swift.min(Swift.max(x, lower), upper) }
}

/// GELU, erf form (PyTorch's default): `x·Φ(x)`, `Φ(x) = ½(1 + erf(x/√2))`.
private struct GELUExact: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { 0.5 * x * (1 + VectorMath.erf(x * 0.70710678118654752)) }
}
/// `g·(Φ(x) + x·φ(x))`, `φ(x) = e^{−x²/2}/√(2π)`.
private struct GELUExactDerivative: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float {
        let cdf = 0.5 * (1 + VectorMath.erf(x * 0.70710678118654752))
        let pdf = 0.39894228040143268 * VectorMath.exp(-0.5 * x * x)
        return g * (cdf + x * pdf)
    }
}
/// GELU, tanh form (`approximate="tanh"`): `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
private struct GELUTanh: UnaryKernel {
    func callAsFunction(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)))
    }
}
private struct GELUTanhDerivative: BinaryKernel {
    func callAsFunction(_ g: Float, _ x: Float) -> Float {
        let inner = 0.79788456080286536 * (x + 0.044715 * x * x * x)
        let t = Foundation.tanh(inner)
        let innerDerivative = 0.79788456080286536 * (1 + 3 * 0.044715 * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * innerDerivative)
    }
}

private struct TimesSaved: BinaryKernel { func callAsFunction(_ g: Float, _ y: Float) -> Float { g * y } }
private struct OverSaved: BinaryKernel { func callAsFunction(_ g: Float, _ x: Float) -> Float { g / x } }
private struct HalfOverSaved: BinaryKernel { func callAsFunction(_ g: Float, _ y: Float) -> Float { 0.5 * g / y } }
private struct SignOfSaved: BinaryKernel {
    func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : (x < 0 ? -g : 0) }
}
private struct TwiceSaved: BinaryKernel { func callAsFunction(_ g: Float, _ x: Float) -> Float { 2 * g * x } }
private struct OneMinusSavedSquared: BinaryKernel {
    func callAsFunction(_ g: Float, _ y: Float) -> Float { g * (1 - y * y) }
}
private struct SavedTimesOneMinusSaved: BinaryKernel {
    func callAsFunction(_ g: Float, _ y: Float) -> Float { g * y * (1 - y) }
}
private struct PositiveSaved: BinaryKernel { func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : 0 } }
private struct PowerDerivative: BinaryKernel {
    let exponent: Float
    func callAsFunction(_ g: Float, _ x: Float) -> Float { g * exponent * Foundation.pow(x, exponent - 1) }
}
private struct ClampDerivative: BinaryKernel {
    let lower: Float, upper: Float
    func callAsFunction(_ g: Float, _ x: Float) -> Float { x >= lower && x <= upper ? g : 0 }
}

extension Tensor {
    /// Records `output` (this tensor's image under an element-wise function) with the pullback
    /// `derivative(g, saved)`, where `saved` is the input or, when `savesOutput`, the output.
    private func recording(_ output: Tensor, savesOutput: Bool = false,
                           derivative: @escaping (_ g: Tensor, _ saved: Tensor) -> Tensor) -> Tensor {
        let saved = savesOutput ? output : detached
        return Tensor.record(output, inputs: [self]) { g in [derivative(g, saved)] }
    }

    /// `eˣ`;  d/dx = eˣ.
    public func exp() -> Tensor { recording(map(self, Exp()), savesOutput: true) { map($0, $1, TimesSaved()) } }
    /// Natural logarithm;  d/dx = 1/x.
    public func log() -> Tensor { recording(map(self, Log())) { map($0, $1, OverSaved()) } }
    /// `√x`;  d/dx = 1/(2√x).
    public func squareRoot() -> Tensor { recording(map(self, SquareRoot()), savesOutput: true) { map($0, $1, HalfOverSaved()) } }
    /// `|x|`;  d/dx = sign(x) (0 at 0, as PyTorch).
    public func abs() -> Tensor { recording(map(self, Absolute())) { map($0, $1, SignOfSaved()) } }
    /// `x²`;  d/dx = 2x.
    public func squared() -> Tensor { recording(map(self, Square())) { map($0, $1, TwiceSaved()) } }
    /// `xᵖ`;  d/dx = p·xᵖ⁻¹.
    public func pow(_ exponent: Float) -> Tensor {
        recording(map(self, Power(exponent: exponent))) { map($0, $1, PowerDerivative(exponent: exponent)) }
    }
    /// Limits every element to `[lower, upper]`;  d/dx = 1 inside the interval (bounds included), else 0.
    public func clamped(lower: Float = -.infinity, upper: Float = .infinity) -> Tensor {
        checkPrecondition(lower <= upper, "clamp bounds \(lower) > \(upper)")
        return recording(map(self, Clamp(lower: lower, upper: upper))) { map($0, $1, ClampDerivative(lower: lower, upper: upper)) }
    }
    /// `max(x, 0)`;  d/dx = 1 for x > 0, else 0.
    public func relu() -> Tensor { recording(map(self, ReLU())) { map($0, $1, PositiveSaved()) } }
    /// `tanh x`;  d/dx = 1 − tanh²x.
    public func tanh() -> Tensor { recording(map(self, HyperbolicTangent()), savesOutput: true) { map($0, $1, OneMinusSavedSquared()) } }
    /// `1/(1 + e⁻ˣ)`, computed without overflow;  d/dx = σ(1 − σ).
    public func sigmoid() -> Tensor { recording(map(self, Sigmoid()), savesOutput: true) { map($0, $1, SavedTimesOneMinusSaved()) } }

    /// How ``gelu(approximation:)`` evaluates the Gaussian CDF.
    public enum GELUApproximation: Sendable {
        /// `x·Φ(x)` with the exact error function (PyTorch's default, `approximate="none"`).
        case none
        /// The tanh approximation (`approximate="tanh"`, GPT-2 and BERT).
        case tanh
    }

    /// Gaussian error linear unit (Hendrycks & Gimpel), `x·Φ(x)`.
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        switch approximation {
        case .none: recording(map(self, GELUExact())) { map($0, $1, GELUExactDerivative()) }
        case .tanh: recording(map(self, GELUTanh())) { map($0, $1, GELUTanhDerivative()) }
        }
    }
}
