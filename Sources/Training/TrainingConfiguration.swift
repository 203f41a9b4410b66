import NeuralNetworks

/// The options of one training run: how long, how fast, how the examples are split and when to stop.
///
/// Defaults follow common practice for the small audio classifiers of this project: Adam with
/// `learningRate` 1e-3 (PyTorch `lr`), no weight decay, mini-batches of 32, no validation split and no
/// early stopping. Every random choice (validation split, per-epoch shuffles) derives from `seed`.
///
/// ```swift
/// var configuration = TrainingConfiguration(epochs: 20, seed: 7)
/// configuration.validationFraction = 0.1
/// configuration.earlyStoppingPatience = 3
/// ```
public struct TrainingConfiguration: CheckedConfiguration {
    /// The number of passes over the training examples (epochs are numbered 1…`epochs`).
    public var epochs: Int
    /// Examples per optimizer step; the last batch of an epoch may be smaller.
    public var batchSize: Int
    /// Adam's step size α (PyTorch `lr`).
    public var learningRate: Float
    /// Adam's coupled L2 penalty λ (PyTorch `weight_decay`).
    public var weightDecay: Float
    /// The seed of the validation split and of the shuffle of each epoch (`seed &+ epoch`).
    public var seed: UInt64
    /// The share of the given examples held out for model selection, chosen by example index with a
    /// generator seeded from `seed`; 0 trains on everything and keeps the last epoch.
    public var validationFraction: Double
    /// Stop after this many epochs without a better validation accuracy; `nil` never stops early.
    /// Needs a validation split.
    public var earlyStoppingPatience: Int?
    /// How the learning rate moves over the run: `constant`, or `cosine` (linear warm-up over
    /// `warmupFraction` of the updates to `learningRate`, then half a cosine down to 0 at the last update;
    /// ``LearningRateSchedule/cosineWithWarmup(peak:warmupSteps:totalSteps:minimum:)``).
    public var schedule: ScheduleKind
    /// The share of all updates spent warming up under the cosine schedule. Default 0.05.
    public var warmupFraction: Double
    /// SpecAugment-style masks on the training batches (none by default).
    public var masking: SpectrogramMasking

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize, learningRate, weightDecay, seed, validationFraction, earlyStoppingPatience
        case schedule, warmupFraction, masking
    }

    /// The learning-rate schedules a recipe can name.
    public enum ScheduleKind: String, SettingChoice, Sendable {
        case constant, cosine
    }

    public init(epochs: Int, batchSize: Int = 32, learningRate: Float = 1e-3, weightDecay: Float = 0,
                seed: UInt64 = 0, validationFraction: Double = 0, earlyStoppingPatience: Int? = nil,
                schedule: ScheduleKind = .constant, warmupFraction: Double = 0.05,
                masking: SpectrogramMasking = SpectrogramMasking()) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.seed = seed
        self.validationFraction = validationFraction
        self.earlyStoppingPatience = earlyStoppingPatience
        self.schedule = schedule
        self.warmupFraction = warmupFraction
        self.masking = masking
    }

    /// The learning rate of every update of a run with `stepsPerEpoch` updates per epoch.
    public func learningRateSchedule(stepsPerEpoch: Int) -> LearningRateSchedule {
        switch schedule {
        case .constant: return .constant(learningRate)
        case .cosine:
            let total = max(epochs * stepsPerEpoch - 1, 0)
            return .cosineWithWarmup(peak: learningRate, warmupSteps: Int((warmupFraction * Double(total)).rounded()),
                                     totalSteps: total)
        }
    }

    /// - Throws: ``ConfigurationError`` naming the first option out of its range.
    public func validate() throws {
        try Check.count("epochs", epochs, atLeast: 0)
        try Check.count("batchSize", batchSize, atLeast: 1)
        try Check.nonNegative("learningRate", learningRate)
        try Check.nonNegative("weightDecay", weightDecay)
        try Check.within("validationFraction", validationFraction, 0 ..< 1)
        try Check.within("warmupFraction", warmupFraction, 0 ..< 1)
        try Check.count("masking.timeMasks", masking.timeMasks, atLeast: 0)
        try Check.count("masking.maximumTimeWidth", masking.maximumTimeWidth, atLeast: 0)
        try Check.count("masking.frequencyMasks", masking.frequencyMasks, atLeast: 0)
        try Check.count("masking.maximumFrequencyWidth", masking.maximumFrequencyWidth, atLeast: 0)
        if let earlyStoppingPatience {
            try Check.count("earlyStoppingPatience", earlyStoppingPatience, atLeast: 1)
            try Check.that(validationFraction > 0, "earlyStoppingPatience", earlyStoppingPatience,
                           allowed: "used with a validationFraction above 0 (it watches the validation accuracy)")
        }
    }

    /// Writes every field, `earlyStoppingPatience` as `null` when unset, so that the field is listed
    /// among the settings (``CheckedConfiguration/applying(_:)`` accepts it).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(epochs, forKey: .epochs)
        try container.encode(batchSize, forKey: .batchSize)
        try container.encode(learningRate, forKey: .learningRate)
        try container.encode(weightDecay, forKey: .weightDecay)
        try container.encode(seed, forKey: .seed)
        try container.encode(validationFraction, forKey: .validationFraction)
        try container.encode(earlyStoppingPatience, forKey: .earlyStoppingPatience)
        try container.encode(schedule, forKey: .schedule)
        try container.encode(warmupFraction, forKey: .warmupFraction)
        try container.encode(masking, forKey: .masking)
    }

    /// Reads a recipe; the schedule, warm-up and masking are optional (recipes recorded before they
    /// existed trained with a constant rate and no masks).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(epochs: try container.decode(Int.self, forKey: .epochs),
                  batchSize: try container.decode(Int.self, forKey: .batchSize),
                  learningRate: try container.decode(Float.self, forKey: .learningRate),
                  weightDecay: try container.decode(Float.self, forKey: .weightDecay),
                  seed: try container.decode(UInt64.self, forKey: .seed),
                  validationFraction: try container.decode(Double.self, forKey: .validationFraction),
                  earlyStoppingPatience: try container.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience),
                  schedule: try container.decodeIfPresent(ScheduleKind.self, forKey: .schedule) ?? .constant,
                  warmupFraction: try container.decodeIfPresent(Double.self, forKey: .warmupFraction) ?? 0.05,
                  masking: try container.decodeIfPresent(SpectrogramMasking.self, forKey: .masking) ?? SpectrogramMasking())
    }
}
