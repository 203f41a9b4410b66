import Tensors

/// Batch normalisation over the channel axis of `[N, C, …]` (PyTorch `nn.BatchNorm2d`, also fine for
/// `[N, C]` like `BatchNorm1d`).
///
/// Training mode normalises with the batch statistics and updates the running ones,
/// `running ← (1 − momentum)·running + momentum·batch` (the variance unbiased, as PyTorch), or with
/// `momentum` `nil` the plain average of every batch since the last ``resetRunningStatistics()``
/// (PyTorch's `momentum=None`); evaluation mode uses the running statistics. `weight` (γ) starts at 1,
/// `bias` (β) at 0.
/// `num_batches_tracked` is kept as a buffer so that PyTorch `state_dict`s load and save unchanged.
public final class BatchNorm2d: Module, Layer {
    public let weight: Parameter, bias: Parameter
    public let runningMean: Parameter, runningVariance: Parameter, batchesTracked: Parameter
    public var momentum: Float?
    public let epsilon: Float

    public init(featureCount: Int, momentum: Float? = 0.1, epsilon: Float = 1e-5) {
        weight = Parameter(.ones([featureCount]))
        bias = Parameter(.zeros([featureCount]))
        runningMean = Parameter(.zeros([featureCount]), isTrainable: false)
        runningVariance = Parameter(.ones([featureCount]), isTrainable: false)
        batchesTracked = Parameter(Tensor(0), isTrainable: false)
        (self.momentum, self.epsilon) = (momentum, epsilon)
    }

    public override var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVariance),
         ("num_batches_tracked", batchesTracked)]
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        checkPrecondition(input.rank >= 2 && input.shape[1] == weight.shape[0],
                          "BatchNorm2d(\(weight.shape[0])) got input of shape \(input.shape)")
        guard isTraining else {
            // y = x·a + b per channel, a = γ/√(running σ² + ε), b = β − running μ·a.
            let scale = weight.value / (runningVariance.value + epsilon).squareRoot()
            let shift = bias.value - runningMean.value * scale
            let channelShape = [1, input.shape[1]] + [Int](repeating: 1, count: input.rank - 2)
            return input * scale.reshaped(to: channelShape) + shift.reshaped(to: channelShape)
        }
        let (output, mean, variance) = Tensor.batchNorm(input, scale: weight.value, offset: bias.value, epsilon: epsilon)
        let valuesPerChannel = Float(input.count / input.shape[1])
        let unbiased = variance * (valuesPerChannel / Swift.max(valuesPerChannel - 1, 1))
        batchesTracked.value = batchesTracked.value + 1
        let factor = momentum ?? 1 / batchesTracked.value.item
        runningMean.value = runningMean.value * (1 - factor) + mean * factor
        runningVariance.value = runningVariance.value * (1 - factor) + unbiased * factor
        return output
    }

    /// Running mean 0, variance 1, no batch tracked: the statistics of a new layer (PyTorch's
    /// `reset_running_stats`).
    public func resetRunningStatistics() {
        runningMean.value = .zeros(runningMean.shape)
        runningVariance.value = .ones(runningVariance.shape)
        batchesTracked.value = Tensor(0)
    }
}
