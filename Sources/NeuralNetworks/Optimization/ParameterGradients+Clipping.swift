import Tensors

/// Gradient clipping by global L2 norm (PyTorch `torch.nn.utils.clip_grad_norm_`, `norm_type=2`).
///
/// The total norm is taken over all gradients as if they were one vector,
///
///     ‖g‖ = √(Σₚ Σᵢ gₚᵢ²),
///
/// and every gradient is multiplied by `c = maxNorm / (‖g‖ + 1e-6)` when `c < 1`; otherwise they are left
/// as they are, so clipping never scales a gradient up. The `1e-6` keeps `c` finite for zero gradients,
/// as in PyTorch; the clipped norm is `maxNorm` up to Float32 rounding (it may exceed it by an ulp,
/// in PyTorch too, when `‖g‖` is large enough that `1e-6` is below its rounding). Parameters are given explicitly,
/// because a ``ParameterGradients`` is keyed by identity and does not list its entries; parameters
/// without a gradient are skipped, and a parameter listed twice is counted once.
///
/// ```swift
/// var (loss, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: y) }
/// let norm = gradients.clipByGlobalNorm(maxNorm: 1, of: model)   // the norm before clipping
/// optimizer.update(model, along: gradients)
/// ```
extension ParameterGradients {
    /// The L2 norm of all gradients of `parameters` taken together, `√(Σₚ ‖gₚ‖²)` (PyTorch
    /// `torch.nn.utils.get_total_norm`); 0 when none has a gradient. Accumulated in double precision.
    public func globalNorm(of parameters: [Parameter]) -> Float {
        var total: Double = 0
        for parameter in distinct(parameters) {
            guard let gradient = self[parameter] else { continue }
            total += gradient.withUnsafeBufferPointer(sumOfSquares(_:))
        }
        return Float(total.squareRoot())
    }

    /// The L2 norm of the gradients of `model`'s trainable parameters taken together.
    public func globalNorm(of model: Module) -> Float {
        globalNorm(of: model.trainableParameters)
    }

    /// Scales the gradients of `parameters` by `maxNorm / (‖g‖ + 1e-6)` when that is below 1 (PyTorch
    /// `clip_grad_norm_(parameters, max_norm)`) and returns the total norm `‖g‖` measured before clipping.
    /// A non-finite norm propagates to the gradients, as in PyTorch with `error_if_nonfinite=False`.
    @discardableResult
    public mutating func clipByGlobalNorm(maxNorm: Float, of parameters: [Parameter]) -> Float {
        checkPrecondition(maxNorm >= 0, "maxNorm must be non-negative, got \(maxNorm)")
        let total = globalNorm(of: parameters)
        let coefficient = maxNorm / (total + 1e-6)
        // A NaN coefficient fails this test and poisons the gradients, as PyTorch's `clamp(c, max=1)` does.
        if coefficient >= 1 { return total }
        for parameter in distinct(parameters) {
            guard var gradient = self[parameter] else { continue }
            self[parameter] = nil   // so that the tensor's storage is unique and is scaled in place
            gradient.withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] *= coefficient }
            }
            self[parameter] = gradient
        }
        return total
    }

    /// Clips the gradients of `model`'s trainable parameters to global norm `maxNorm`; returns the norm
    /// before clipping.
    @discardableResult
    public mutating func clipByGlobalNorm(maxNorm: Float, of model: Module) -> Float {
        clipByGlobalNorm(maxNorm: maxNorm, of: model.trainableParameters)
    }
}

/// `parameters` without repeats, in order of first appearance.
private func distinct(_ parameters: [Parameter]) -> [Parameter] {
    var seen = Set<ObjectIdentifier>()
    return parameters.filter { seen.insert(ObjectIdentifier($0)).inserted }
}

/// `Σ xᵢ²` in double precision, over four independent accumulators so that the loop pipelines.
private func sumOfSquares(_ x: UnsafeBufferPointer<Float>) -> Double {
    var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
    var i = 0
    while i + 4 <= x.count {
        let (a, b, c, d) = (Double(x[i]), Double(x[i + 1]), Double(x[i + 2]), Double(x[i + 3]))
        s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
        i += 4
    }
    while i < x.count { s0 += Double(x[i]) * Double(x[i]); i += 1 }
    return (s0 + s1) + (s2 + s3)
}
