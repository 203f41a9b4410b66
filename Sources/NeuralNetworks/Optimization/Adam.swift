import Foundation
import Tensors

/// Adam with bias correction and optional L2 weight decay or AMSGrad (PyTorch `torch.optim.Adam`, the
/// default single-tensor update on CPU, to the last rounding step).
///
/// For each parameter `θ` with gradient `g`, at its `t`-th update (`t = 1, 2, …`, counted per parameter),
/// with learning rate `γ`, betas `(β₁, β₂)`, epsilon `ε` and weight decay `λ`:
///
///     g ← g + λ·θ                                   if λ ≠ 0 (L2, coupled: it passes through m and v)
///     m ← m + (1 − β₁)·(g − m)                      (PyTorch `lerp_`; m₀ = 0)
///     v ← β₂·v + (1 − β₂)·g²                        (v₀ = 0)
///     v̂ ← max(v̂, v)                                 with AMSGrad, which then uses v̂ below instead of v
///     θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// The bias corrections `1 − β₁ᵗ`, `√(1 − β₂ᵗ)` and the step size `γ/(1 − β₁ᵗ)` are computed in double
/// precision, as PyTorch computes them in Python floats; `ε` is added after dividing `√v` by the second
/// correction, not inside the square root. Defaults are PyTorch's: `γ = 1e-3`, `β = (0.9, 0.999)`,
/// `ε = 1e-8`, `λ = 0`. For decoupled weight decay use ``AdamW``.
///
/// ```swift
/// let optimizer = Adam(learningRate: 1e-3)
/// optimizer.update(model, along: gradients)
/// ```
///
/// The moment estimates and step counts live in the optimizer, keyed by the ``Parameter`` objects;
/// ``state(for:)`` and ``loadState(_:for:)`` move them to and from a file under the model's parameter
/// names, so that an interrupted run continues exactly.
public class Adam: Optimizer {
    var core: AdamUpdate

    public var learningRate: Float {
        get { core.learningRate }
        set { core.learningRate = newValue }
    }
    /// `(β₁, β₂)` (`betas`): the decay rates of the first and second moment estimates.
    public var betas: (Float, Float) { core.betas }
    /// `ε` (`eps`), added to the denominator after the square root.
    public var epsilon: Float { core.epsilon }
    /// `λ` (`weight_decay`): for `Adam` an L2 penalty added to the gradient as `λ·θ`; for `AdamW` the
    /// fraction `γλ` of each parameter removed per update.
    public var weightDecay: Float { core.weightDecay }
    /// Whether the denominator uses the running maximum of `v` (`amsgrad`).
    public var amsgrad: Bool { core.amsgrad }

    public convenience init(learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), epsilon: Float = 1e-8,
                            weightDecay: Float = 0, amsgrad: Bool = false) {
        self.init(core: AdamUpdate(learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay,
                                   decoupled: false, amsgrad: amsgrad))
    }

    init(core: AdamUpdate) {
        self.core = core
    }

    /// The number of updates `parameter` has received, the `t` of its bias correction (PyTorch `state["step"]`).
    public func stepCount(of parameter: Parameter) -> Int { core.stepCount(of: parameter) }

    public func update(_ model: Module, along gradients: ParameterGradients) {
        core.update(model, along: gradients)
    }
}

/// The update shared by ``Adam`` and ``AdamW``, which differ only in how weight decay enters
/// (PyTorch's `_single_tensor_adam` with and without `decoupled_weight_decay`).
struct AdamUpdate {
    var learningRate: Float
    let betas: (Float, Float)
    let epsilon: Float
    let weightDecay: Float
    /// AdamW: `θ ← θ·(1 − γλ)` before the moments, instead of `g ← g + λθ`.
    let decoupled: Bool
    let amsgrad: Bool
    /// Per-parameter state, created at a parameter's first update; `Adam+State.swift` exports and imports it.
    var states: [ObjectIdentifier: ParameterState] = [:]

    init(learningRate: Float, betas: (Float, Float), epsilon: Float, weightDecay: Float, decoupled: Bool,
         amsgrad: Bool) {
        checkPrecondition(learningRate >= 0, "invalid learning rate \(learningRate)")
        checkPrecondition(epsilon >= 0, "invalid epsilon \(epsilon)")
        checkPrecondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "invalid betas \(betas)")
        checkPrecondition(weightDecay >= 0, "invalid weight decay \(weightDecay)")
        (self.learningRate, self.betas, self.epsilon) = (learningRate, betas, epsilon)
        (self.weightDecay, self.decoupled, self.amsgrad) = (weightDecay, decoupled, amsgrad)
    }

    func stepCount(of parameter: Parameter) -> Int { states[ObjectIdentifier(parameter)]?.step ?? 0 }

    mutating func update(_ model: Module, along gradients: ParameterGradients) {
        forEachTrainableParameter(of: model, along: gradients) { parameter, gradient in
            let key = ObjectIdentifier(parameter)
            let state: ParameterState
            if let existing = states[key] {
                state = existing
            } else {
                state = ParameterState(for: parameter, first: true, second: true, secondMaximum: amsgrad)
                states[key] = state
            }
            state.step += 1
            step(parameter, along: gradient, state: state)
        }
    }

    private func step(_ parameter: Parameter, along gradient: Tensor, state: ParameterState) {
        let (β1, β2) = (Double(betas.0), Double(betas.1))
        let t = Double(state.step)
        let stepSize = Double(learningRate) / (1 - Foundation.pow(β1, t))
        let correction2 = Float((1 - Foundation.pow(β2, t)).squareRoot())
        let negativeStepSize = Float(-stepSize)
        let (share1, keep2, share2) = (Float(1 - β1), Float(β2), Float(1 - β2))
        let ε = epsilon
        // Coupled decay enters the gradient; decoupled decay scales θ first (PyTorch `param.mul_(1 - lr * wd)`).
        let coupledDecay = decoupled ? 0 : weightDecay
        let shrink = Float(1 - Double(learningRate) * Double(decoupled ? weightDecay : 0))
        let amsgrad = amsgrad

        gradient.withUnsafeBufferPointer { g in
        parameter.value.withUnsafeMutableBufferPointer { θ in
        state.first.withUnsafeMutableBufferPointer { m in
        state.second.withUnsafeMutableBufferPointer { v in
        state.secondMaximum.withUnsafeMutableBufferPointer { vMax in
          // Loop-invariant choices are made outside the loops, so that each loop is straight-line code
          // that LLVM vectorises (multiplying by a shrink of exactly 1 or adding 0·θ changes nothing).
          let count = θ.count
          let (θ, g, m, v, vMax) = (θ.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, vMax.baseAddress)
          ComputeThreads.forEachChunk(of: count, costPerItem: 8) { chunk in
            if let vMax, amsgrad {
                for i in chunk {
                    θ[i] *= shrink
                    let gi = g[i] + coupledDecay * θ[i]
                    m[i] += share1 * (gi - m[i])
                    v[i] = keep2 * v[i] + share2 * gi * gi
                    vMax[i] = Swift.max(vMax[i], v[i])
                    θ[i] += negativeStepSize * m[i] / (vMax[i].squareRoot() / correction2 + ε)
                }
            } else {
                for i in chunk {
                    θ[i] *= shrink
                    let gi = g[i] + coupledDecay * θ[i]
                    m[i] += share1 * (gi - m[i])
                    v[i] = keep2 * v[i] + share2 * gi * gi
                    θ[i] += negativeStepSize * m[i] / (v[i].squareRoot() / correction2 + ε)
                }
            }
          }
        }
        }
        }
        }
        }
    }
}
