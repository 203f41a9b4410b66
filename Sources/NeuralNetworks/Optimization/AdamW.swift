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
public final class AdamW: Adam {
    public convenience init(learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), epsilon: Float = 1e-8,
                            weightDecay: Float = 1e-2, amsgrad: Bool = false) {
        self.init(core: AdamUpdate(learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay,
                                   decoupled: true, amsgrad: amsgrad))
    }
}
