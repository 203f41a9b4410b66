import Tensors

/// The outcome of comparing analytic gradients with central finite differences.
public struct GradientCheck: CustomStringConvertible, Sendable {
    /// One compared element: which input, which flat index, the two values.
    public struct Mismatch: Sendable {
        public let input: Int, index: Int
        public let analytic: Float, numeric: Float
    }

    /// The element with the largest error relative to the tolerance, and that ratio (≤ 1 passes).
    public let worst: Mismatch?
    public let worstRatio: Float
    public let comparedCount: Int

    public var passed: Bool { worstRatio <= 1 && comparedCount > 0 }

    public var description: String {
        guard let worst else { return "no gradient elements compared" }
        return "worst element: input \(worst.input)[\(worst.index)] analytic \(worst.analytic) vs numeric \(worst.numeric) "
            + "(error \(worstRatio)× the tolerance, \(comparedCount) elements compared)"
    }
}

/// Checks the gradients that `valueWithGradient` gives for `body` at `inputs` against central finite
/// differences, element by element.
///
/// The output of `body` (any shape) is reduced to the scalar `Σ body(x) ⊙ r` with a fixed random `r`, so
/// every output element's derivative is exercised; the finite difference uses `(f(x + h) − f(x − h))/2h`
/// with the sum formed in `Double`. An element passes when
/// `|analytic − numeric| ≤ absoluteTolerance + relativeTolerance·max(|analytic|, |numeric|)`.
/// The defaults suit Float32 kernels with `h = 1e-2` on inputs of order 1: rounding of the outputs
/// contributes about `1e-7·√n / h` and truncation `O(h²)`.
public func checkGradients(at inputs: [Tensor], step h: Float = 1e-2,
                           absoluteTolerance: Float = 2e-3, relativeTolerance: Float = 1e-2,
                           seed: UInt64 = 7,
                           of body: ([Tensor]) -> Tensor) -> GradientCheck {
    var generator = SplitMix64(seed: seed)
    let outputShape = withoutGradients { body(inputs).shape }
    let projection = Tensor.randomNormal(outputShape, using: &generator)
    let weights = projection.scalars.map(Double.init)
    func objective(_ values: [Tensor]) -> Double {
        let output = withoutGradients { body(values) }.scalars
        return zip(output, weights).reduce(0) { $0 + Double($1.0) * $1.1 }
    }
    let analytic = valueWithGradient(at: inputs) { points in (body(points) * projection).sum() }.gradients

    var worst: GradientCheck.Mismatch?
    var worstRatio: Float = 0
    var compared = 0
    for (inputIndex, input) in inputs.enumerated() {
        let base = input.scalars
        let gradient = analytic[inputIndex].scalars
        checkPrecondition(gradient.count == base.count, "gradient of input \(inputIndex) has the wrong size")
        for index in base.indices {
            func shifted(by delta: Float) -> [Tensor] {
                var values = base
                values[index] += delta
                var copy = inputs
                copy[inputIndex] = Tensor(shape: input.shape, scalars: values)
                return copy
            }
            let numeric = Float((objective(shifted(by: h)) - objective(shifted(by: -h))) / Double(2 * h))
            let error = Swift.abs(gradient[index] - numeric)
            let allowed = absoluteTolerance + relativeTolerance * Swift.max(Swift.abs(gradient[index]), Swift.abs(numeric))
            let ratio = error.isNaN ? .infinity : error / allowed
            compared += 1
            if ratio > worstRatio || worst == nil {
                worstRatio = Swift.max(ratio, worstRatio)
                worst = .init(input: inputIndex, index: index, analytic: gradient[index], numeric: numeric)
            }
        }
    }
    return GradientCheck(worst: worst, worstRatio: worstRatio, comparedCount: compared)
}
