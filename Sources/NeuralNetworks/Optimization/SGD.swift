import Tensors

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay
/// (PyTorch `torch.optim.SGD`, the same update to the last rounding step).
///
/// For each parameter `θ` with gradient `g`, at its `t`-th update (`t = 1, 2, …`), with learning rate `γ`
/// (`lr`), momentum `μ`, dampening `τ` and weight decay `λ`:
///
///     g ← g + λ·θ                              if λ ≠ 0
///     b ← g                                    if μ ≠ 0 and t = 1   (the first buffer is the gradient itself,
///     b ← μ·b + (1 − τ)·g                      if μ ≠ 0 and t > 1    not (1 − τ)·g)
///     g ← g + μ·b  (Nesterov)   or   g ← b     if μ ≠ 0
///     θ ← θ − γ·g
///
/// Defaults are PyTorch's except the learning rate, which PyTorch also requires in practice
/// (`lr=1e-3` there). Nesterov needs `μ > 0` and `τ = 0`, as in PyTorch.
///
/// ```swift
/// let optimizer = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true)
/// optimizer.update(model, along: gradients)
/// ```
public final class SGD: Optimizer {
    public var learningRate: Float
    /// `μ` (`momentum`); 0 turns momentum off and keeps no buffer.
    public let momentum: Float
    /// `τ` (`dampening`): the share of the gradient held back when it enters the momentum buffer.
    public let dampening: Float
    /// `λ` (`weight_decay`): L2 penalty `½λ‖θ‖²`, added to the gradient as `λ·θ`.
    public let weightDecay: Float
    /// Whether to step along `g + μ·b` (Nesterov momentum) instead of `b`.
    public let nesterov: Bool

    /// Momentum buffers, by parameter identity; empty while `momentum == 0`.
    private var states: [ObjectIdentifier: ParameterState] = [:]

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0,
                nesterov: Bool = false) {
        checkPrecondition(learningRate >= 0, "invalid learning rate \(learningRate)")
        checkPrecondition(momentum >= 0, "invalid momentum \(momentum)")
        checkPrecondition(weightDecay >= 0, "invalid weight decay \(weightDecay)")
        checkPrecondition(!nesterov || (momentum > 0 && dampening == 0),
                          "Nesterov momentum requires a momentum and zero dampening (momentum \(momentum), dampening \(dampening))")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// The number of updates `parameter` has received (0 before its first gradient).
    public func stepCount(of parameter: Parameter) -> Int {
        states[ObjectIdentifier(parameter)]?.step ?? 0
    }

    public func update(_ model: Module, along gradients: ParameterGradients) {
        forEachTrainableParameter(of: model, along: gradients) { parameter, gradient in
            let state = self.state(for: parameter)
            state.step += 1
            if momentum == 0 {
                step(parameter, along: gradient)
            } else {
                state.first.withUnsafeMutableBufferPointer { buffer in
                    step(parameter, along: gradient, buffer: buffer, isFirst: state.step == 1)
                }
            }
        }
    }

    private func state(for parameter: Parameter) -> ParameterState {
        let key = ObjectIdentifier(parameter)
        if let state = states[key] { return state }
        let state = ParameterState(for: parameter, first: momentum != 0, second: false, secondMaximum: false)
        states[key] = state
        return state
    }

    /// `θ ← θ − γ·(g + λ·θ)`.
    private func step(_ parameter: Parameter, along gradient: Tensor) {
        let (rate, decay) = (-learningRate, weightDecay)
        gradient.withUnsafeBufferPointer { g in
            parameter.value.withUnsafeMutableBufferPointer { θ in
                ComputeThreads.forEachChunk(of: θ.count, costPerItem: 2) { chunk in
                    for i in chunk { θ[i] += rate * (g[i] + decay * θ[i]) }
                }
            }
        }
    }

    /// The momentum update; `buffer` is `b`, set to the (decayed) gradient when `isFirst`.
    private func step(_ parameter: Parameter, along gradient: Tensor,
                      buffer b: UnsafeMutableBufferPointer<Float>, isFirst: Bool) {
        let (rate, decay, μ, kept, nesterov) = (-learningRate, weightDecay, momentum, 1 - dampening, nesterov)
        gradient.withUnsafeBufferPointer { g in
            parameter.value.withUnsafeMutableBufferPointer { θ in
                ComputeThreads.forEachChunk(of: θ.count, costPerItem: 4) { chunk in
                    for i in chunk {
                        let decayed = g[i] + decay * θ[i]
                        b[i] = isFirst ? decayed : μ * b[i] + kept * decayed
                        θ[i] += rate * (nesterov ? decayed + μ * b[i] : b[i])
                    }
                }
            }
        }
    }
}
