// Element-wise arithmetic with NumPy broadcasting. Each operator computes its value and records its
// pullback side by side; gradients are summed back to each operand's shape by `unbroadcast(to:)`.

struct Add: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
struct Subtract: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
struct Multiply: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
struct Divide: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
struct Negate: UnaryKernel { func callAsFunction(_ x: Float) -> Float { -x } }

extension Tensor {
    /// `a + b`;  ∂/∂a = 1, ∂/∂b = 1.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (shapeA, shapeB, needA, needB) = (a.shape, b.shape, a.isRecorded, b.isRecorded)
        return record(map(a, b, Add()), inputs: [a, b]) { g in
            [needA ? g.unbroadcast(to: shapeA) : nil, needB ? g.unbroadcast(to: shapeB) : nil]
        }
    }

    /// `a − b`;  ∂/∂a = 1, ∂/∂b = −1.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (shapeA, shapeB, needA, needB) = (a.shape, b.shape, a.isRecorded, b.isRecorded)
        return record(map(a, b, Subtract()), inputs: [a, b]) { g in
            [needA ? g.unbroadcast(to: shapeA) : nil, needB ? (-g).unbroadcast(to: shapeB) : nil]
        }
    }

    /// `a ⊙ b`;  ∂/∂a = b, ∂/∂b = a.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let (x, y, needA, needB) = (a.detached, b.detached, a.isRecorded, b.isRecorded)
        return record(map(a, b, Multiply()), inputs: [a, b]) { g in
            [needA ? (g * y).unbroadcast(to: x.shape) : nil, needB ? (g * x).unbroadcast(to: y.shape) : nil]
        }
    }

    /// `a ÷ b`;  ∂/∂a = 1/b, ∂/∂b = −a/b².
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let (x, y, needA, needB) = (a.detached, b.detached, a.isRecorded, b.isRecorded)
        return record(map(a, b, Divide()), inputs: [a, b]) { g in
            [needA ? (g / y).unbroadcast(to: x.shape) : nil,
             needB ? (-(g * x) / (y * y)).unbroadcast(to: y.shape) : nil]
        }
    }

    /// `−x`.
    public static prefix func - (x: Tensor) -> Tensor {
        record(map(x, Negate()), inputs: [x]) { g in [-g] }
    }

    public static func + (a: Tensor, b: Float) -> Tensor { a + Tensor(b) }
    public static func + (a: Float, b: Tensor) -> Tensor { Tensor(a) + b }
    public static func - (a: Tensor, b: Float) -> Tensor { a - Tensor(b) }
    public static func - (a: Float, b: Tensor) -> Tensor { Tensor(a) - b }
    public static func * (a: Tensor, b: Float) -> Tensor { a * Tensor(b) }
    public static func * (a: Float, b: Tensor) -> Tensor { Tensor(a) * b }
    public static func / (a: Tensor, b: Float) -> Tensor { a / Tensor(b) }
    public static func / (a: Float, b: Tensor) -> Tensor { Tensor(a) / b }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }
}
