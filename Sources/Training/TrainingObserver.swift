/// Who watches a long run: called after every step with the running figures, and after every epoch
/// with its summary. A ``TrainingProgressPrinter`` draws both; tests collect them.
///
/// Training, every unlearning method and the passes of gradients that measure parameter importance
/// report through one of these, so that a retraining inside `qpae experiment` shows the same lines as
/// `qpae train`.
///
/// ```swift
/// let printer = TrainingProgressPrinter()
/// trainer.observer = printer.observer
/// let run = try method.unlearn(model, task: task, observer: printer.observer)
/// ```
public struct TrainingObserver {
    /// Called after each step, on the calling thread, between steps: keep it cheap.
    public var step: (TrainingProgress) -> Void
    /// Called after each epoch (for training: after its files are written).
    public var epoch: (EpochSummary) -> Void

    public init(step: @escaping (TrainingProgress) -> Void = { _ in },
                epoch: @escaping (EpochSummary) -> Void = { _ in }) {
        self.step = step
        self.epoch = epoch
    }

    /// An observer that ignores everything.
    public static var silent: TrainingObserver { TrainingObserver() }

    /// Calls this observer, then `other`.
    public func followed(by other: TrainingObserver) -> TrainingObserver {
        TrainingObserver(step: { self.step($0); other.step($0) }, epoch: { self.epoch($0); other.epoch($0) })
    }
}
