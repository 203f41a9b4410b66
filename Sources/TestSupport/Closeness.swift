import Tensors

/// The outcome of comparing computed values with reference values element by element.
public struct Closeness: CustomStringConvertible, Sendable {
    public let passed: Bool
    public let detail: String
    public var description: String { detail }
}

/// Compares `actual` with `expected` (same shape): element `i` passes when
/// `|aᵢ − eᵢ| ≤ absoluteTolerance + relativeTolerance·|eᵢ|` (NumPy `allclose`). The description names the
/// worst element.
public func closeness(_ actual: Tensor, _ expected: Tensor,
                      absoluteTolerance: Float = 1e-5, relativeTolerance: Float = 1e-4) -> Closeness {
    guard actual.shape == expected.shape else {
        return Closeness(passed: false, detail: "shape \(actual.shape) differs from expected \(expected.shape)")
    }
    let (a, e) = (actual.scalars, expected.scalars)
    var worstIndex = -1
    var worstRatio: Float = 0
    for i in a.indices {
        let ratio = Swift.abs(a[i] - e[i]) / (absoluteTolerance + relativeTolerance * Swift.abs(e[i]))
        let bad = ratio.isNaN && !(a[i].isNaN && e[i].isNaN) || (a[i].isInfinite || e[i].isInfinite) && a[i] != e[i]
        if bad || ratio > worstRatio { worstRatio = bad ? .infinity : ratio; worstIndex = i }
    }
    guard worstIndex >= 0 else { return Closeness(passed: true, detail: "all \(a.count) elements equal") }
    var position = [Int](repeating: 0, count: actual.rank), rest = worstIndex
    for axis in actual.shape.indices.reversed() {
        (rest, position[axis]) = rest.quotientAndRemainder(dividingBy: actual.shape[axis])
    }
    return Closeness(passed: worstRatio <= 1,
                     detail: "worst element \(position) of shape \(actual.shape): \(a[worstIndex]) vs expected "
                        + "\(e[worstIndex]) (\(worstRatio)× the tolerance \(absoluteTolerance) + \(relativeTolerance)·|e|)")
}
