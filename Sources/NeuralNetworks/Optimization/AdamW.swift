/// Adam with decoupled weight decay (Loshchilov & Hutter 2019; PyTorch `torch.optim.AdamW`, the default
/// single-tensor update on CPU, to the last rounding step).
///
/// Identical to ``Adam`` except for the weight decay, which shrinks the parameter directly before the
/// moment update instead of entering the gradient, so it is not rescaled by `√v`:
///
///     θ ← θ·(1 − γ·λ)                               (`1 − γλ` computed in double precision, as PyTorch)
///     m ← m + (1 − β₁)·(g − m)
///     v ← β₂·v + (1 − β₂)·g²                        (v̂ ← max(v̂, v) with AMSGrad)
///     θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Defaults are PyTorch's: `γ = 1e-3`, `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 1e-2` (not 0 as in Adam).
/// The decay uses the learning rate of the current update, so a schedule scales it too.
///
/// ```swift
/// let optimizer = AdamW(learningRate: 3e-4, weightDecay: 0.05)
/// optimizer.update(model, along: gradients)
/// ```
public final class AdamW: Optimizer {
    var core: AdamUpdate

    public var learningRate: Float {
        get { core.learningRate }
        set { core.learningRate = newValue }
    }
    /// `(β₁, β₂)` (`betas`): the decay rates of the first and second moment estimates.
    public var betas: (Float, Float) { core.betas }
    /// `ε` (`eps`), added to the denominator after the square root.
    public var epsilon: Float { core.epsilon }
    /// `λ` (`weight_decay`): the fraction `γλ` of each parameter removed per update.
    public var weightDecay: Float { core.weightDecay }
    /// Whether the denominator uses the running maximum of `v` (`amsgrad`).
    public var amsgrad: Bool { core.amsgrad }

    public init(learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), epsilon: Float = 1e-8,
                weightDecay: Float = 1e-2, amsgrad: Bool = false) {
        core = AdamUpdate(learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay,
                          decoupled: true, amsgrad: amsgrad)
    }

    /// The number of updates `parameter` has received, the `t` of its bias correction (PyTorch `state["step"]`).
    public func stepCount(of parameter: Parameter) -> Int { core.stepCount(of: parameter) }

    public func update(_ model: Module, along gradients: ParameterGradients) {
        core.update(model, along: gradients)
    }
}
