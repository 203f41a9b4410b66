/// What one epoch did: mean training loss, accuracies in percent and wall-clock time.
public struct EpochSummary: Codable, Equatable, Sendable {
    /// What ran, as ``TrainingProgress/phase``; `nil` for a model's training.
    public var phase: String?
    /// 1-based epoch number.
    public var epoch: Int
    /// The run's last epoch.
    public var epochs: Int
    /// Mean cross-entropy over the epoch's training batches (weighted by batch size).
    public var loss: Double
    /// Accuracy in percent on the training batches as they were seen (training mode).
    public var trainingAccuracy: Double
    /// Accuracy in percent on the held-out examples after the epoch; `nil` without a validation split.
    public var validationAccuracy: Double?
    /// Wall-clock seconds of the epoch, its validation pass included.
    public var seconds: Double

    public init(phase: String? = nil, epoch: Int, epochs: Int, loss: Double, trainingAccuracy: Double,
                validationAccuracy: Double? = nil, seconds: Double) {
        self.phase = phase
        self.epoch = epoch
        self.epochs = epochs
        self.loss = loss
        self.trainingAccuracy = trainingAccuracy
        self.validationAccuracy = validationAccuracy
        self.seconds = seconds
    }
}

/// The outcome of `Trainer.train()`.
public struct TrainingResult: Sendable {
    /// One summary per epoch run by this call (a resumed run starts after the checkpoint's epoch).
    public var history: [EpochSummary]
    /// The epoch whose parameters the model now holds: the best by validation accuracy, or the last
    /// epoch without a validation split. After a resume it may be an epoch run before the interruption.
    public var bestEpoch: Int
    public var bestValidationAccuracy: Double?
    /// `true` when early stopping ended the run before `configuration.epochs`.
    public var stoppedEarly: Bool
}
