import Tensors

/// How a per-sample loss is combined over the batch.
public enum Reduction: Sendable {
    /// One value per sample, shape `[N]` (PyTorch `reduction="none"`): for losses that weight or mix
    /// samples, as QPAudioEraser's does.
    case none
    /// The mean over the batch, a scalar (PyTorch's default).
    case mean
    /// The sum over the batch, a scalar.
    case sum

    func apply(_ perSample: Tensor) -> Tensor {
        switch self {
        case .none: perSample
        case .mean: perSample.mean()
        case .sum: perSample.sum()
        }
    }
}

/// Cross-entropy of logits `[N, K]` against class indices (PyTorch `cross_entropy`):
/// `−log softmax(z)[y]` per sample. With label smoothing `ε` the target is `(1 − ε)·onehot(y) + ε/K`,
/// i.e. `(1 − ε)·(−log p_y) + ε·mean_k(−log p_k)`, PyTorch's `label_smoothing`.
public func crossEntropy(logits: Tensor, labels: [Int], labelSmoothing: Float = 0,
                         reduction: Reduction = .mean) -> Tensor {
    checkPrecondition(logits.rank == 2 && logits.shape[0] == labels.count,
                      "crossEntropy: logits \(logits.shape) need one row per label (\(labels.count) labels)")
    checkPrecondition(labelSmoothing >= 0 && labelSmoothing <= 1, "label smoothing \(labelSmoothing) must be in [0, 1]")
    let logProbabilities = logits.logSoftmax(alongAxis: 1)
    var perSample = -logProbabilities.gather(alongAxis: 1, indices: labels).reshaped(to: [labels.count])
    if labelSmoothing > 0 {
        let uniform = -logProbabilities.mean(alongAxes: [1])
        perSample = perSample * (1 - labelSmoothing) + uniform * labelSmoothing
    }
    return reduction.apply(perSample)
}

/// Cross-entropy of logits `[N, K]` against target distributions `[N, K]` (rows summing to 1):
/// `−Σ_k t_k·log softmax(z)_k` per sample (PyTorch `cross_entropy` with probability targets).
/// QPAudioEraser's superposition labels are the uniform rows `1/K`.
public func crossEntropy(logits: Tensor, targetDistributions targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkPrecondition(logits.rank == 2 && targets.shape == logits.shape,
                      "crossEntropy: logits \(logits.shape) and target distributions \(targets.shape) must both be [N, K]")
    return reduction.apply(-(targets * logits.logSoftmax(alongAxis: 1)).sum(alongAxes: [1]))
}

/// Entropy of the predicted distribution `p = softmax(z)`, `H(p) = −Σ_k p_k log p_k` per sample, in nats.
/// Maximal (`log K`) for the uniform distribution; QPAudioEraser maximises it on forget samples.
public func entropy(logits: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkPrecondition(logits.rank == 2, "entropy needs logits [N, K], got \(logits.shape)")
    let logProbabilities = logits.logSoftmax(alongAxis: 1)
    return reduction.apply(-(logProbabilities.exp() * logProbabilities).sum(alongAxes: [1]))
}

/// Knowledge-distillation divergence `T²·KL(softmax(t/T) ‖ softmax(s/T))` per sample, for student logits
/// `s` and teacher logits `t`, both `[N, K]` (Hinton et al.; SCRUB's `DistillKL` with `.mean` equals
/// PyTorch's `kl_div(log_softmax(s/T), softmax(t/T), reduction="batchmean")·T²`). The teacher gets no
/// gradient.
public func klDivergence(logits student: Tensor, teacherLogits teacher: Tensor, temperature: Float = 1,
                         reduction: Reduction = .mean) -> Tensor {
    checkPrecondition(student.rank == 2 && student.shape == teacher.shape,
                      "klDivergence: student \(student.shape) and teacher \(teacher.shape) logits must both be [N, K]")
    checkPrecondition(temperature > 0, "temperature \(temperature) must be positive")
    let teacherLog = (teacher.detached / temperature).logSoftmax(alongAxis: 1)
    let studentLog = (student / temperature).logSoftmax(alongAxis: 1)
    let perSample = (teacherLog.exp() * (teacherLog - studentLog)).sum(alongAxes: [1])
    return reduction.apply(perSample * (temperature * temperature))
}
