import Tensors
import Datasets
import Foundation

/// Shows a training run on standard error: a live progress bar on a terminal, one plain line per
/// epoch elsewhere (a log file, CI).
///
/// On a terminal (`isatty(2)`) the steps of an epoch redraw one line in place with `\r`, at most once
/// per `redrawInterval` (10 times a second by default), and each finished epoch replaces it with a
/// lasting summary line:
///
/// ```text
/// epoch 3/20 [####------] step 40/94 loss 0.412 acc 87.5% 210 samples/s ETA 1m12s
/// epoch 3/20: loss 0.398, train acc 88.1%, val acc 85.0%, 12s, ETA 1m05s
/// ```
///
/// An unlearning method's passes read the same, after their phase: `uncertainty fine-tune epoch 1/5: …`.
///
/// Elsewhere only the summary lines are written, so logs stay short. The ETA of a summary line is the
/// estimate after the epoch's last step (``TrainingProgress/secondsRemaining``), left out after the last
/// epoch or when no step was reported. Durations and bars come from ``ProgressReporter``'s formatters,
/// so both kinds of progress look alike.
///
/// ```swift
/// let trainer = Trainer(model: model, features: features, labels: labels, configuration: configuration)
/// TrainingProgressPrinter().attach(to: trainer)
/// try trainer.train()
/// try method.unlearn(model, task: task, observer: TrainingProgressPrinter().observer)
/// ```
public final class TrainingProgressPrinter {
    /// Whether steps redraw a line in place (a terminal) rather than being left out.
    public let isLive: Bool
    /// The least time in seconds between two redraws of the live line.
    public let redrawInterval: Double

    private let write: (String) -> Void
    private let now: () -> Double
    private var lastDrawn = -Double.infinity
    private var lastProgress: TrainingProgress?
    private var isLineOpen = false

    /// Characters of the live bar between its brackets.
    static let barWidth = 10

    /// - Parameters:
    ///   - live: redraw a bar in place; by default when standard error is a terminal.
    ///   - redrawInterval: seconds between redraws of the bar (tests pass 0 to see every step).
    ///   - write: where text goes; standard error by default (tests pass a collector).
    ///   - now: a monotonic clock in seconds, for the redraw interval.
    public init(live: Bool = isatty(2) != 0, redrawInterval: Double = 0.1,
                write: @escaping (String) -> Void = ProgressReporter.writeToStandardError,
                now: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        checkPrecondition(redrawInterval >= 0,
                          "TrainingProgressPrinter: redrawInterval \(redrawInterval) must not be negative")
        self.isLive = live
        self.redrawInterval = redrawInterval
        self.write = write
        self.now = now
    }

    /// This printer as an observer, for a trainer or an unlearning method.
    public var observer: TrainingObserver {
        TrainingObserver(step: { self.report($0) }, epoch: { self.report($0) })
    }

    /// Makes `trainer` report to this printer too, after the observer it already has (which still runs first).
    public func attach(to trainer: Trainer) {
        trainer.observer = trainer.observer.followed(by: observer)
    }

    /// Redraws the live line when `redrawInterval` has passed since the last redraw; remembers the
    /// estimate for the epoch's summary line.
    public func report(_ progress: TrainingProgress) {
        lastProgress = progress
        guard isLive else { return }
        let time = now()
        guard time - lastDrawn >= redrawInterval else { return }
        lastDrawn = time
        isLineOpen = true
        write("\r" + Self.line(for: progress) + "\u{1B}[K")
    }

    /// Writes the epoch's summary line (over the live line on a terminal).
    public func report(_ summary: EpochSummary) {
        let remaining = lastProgress.flatMap { $0.epoch == summary.epoch ? $0.secondsRemaining : nil }
        let line = Self.line(for: summary, secondsRemaining: summary.epoch < summary.epochs ? remaining : nil)
        write(isLive ? "\r" + line + "\u{1B}[K\n" : line + "\n")
        isLineOpen = false
        lastProgress = nil
    }

    /// Ends an open live line with a newline, so that what follows (an error message) starts on its
    /// own line; does nothing when no line is open.
    public func finish() {
        guard isLineOpen else { return }
        write("\n")
        isLineOpen = false
    }

    /// `epoch 3/20 [####------] step 40/94 loss 0.412 acc 87.5% 210 samples/s ETA 1m12s`.
    static func line(for progress: TrainingProgress) -> String {
        let bar = ProgressReporter.bar(completed: progress.step, of: progress.stepsPerEpoch, width: barWidth)
        return title(phase: progress.phase, epoch: progress.epoch, of: progress.epochs) + " [\(bar)] step \(progress.step)/\(progress.stepsPerEpoch) "
            + "loss \(String(format: "%.3f", progress.loss)) acc \(String(format: "%.1f", progress.accuracy))% "
            + "\(String(format: "%.0f", progress.samplesPerSecond)) samples/s "
            + "ETA \(ProgressReporter.formatDuration(progress.secondsRemaining))"
    }

    /// `epoch 3/20: loss 0.398, train acc 88.1%, val acc 85.0%, 12s, ETA 1m05s`; the validation accuracy
    /// and the ETA only when known.
    static func line(for summary: EpochSummary, secondsRemaining: Double?) -> String {
        var parts = ["loss \(String(format: "%.3f", summary.loss))",
                     "train acc \(String(format: "%.1f", summary.trainingAccuracy))%"]
        if let validation = summary.validationAccuracy { parts.append("val acc \(String(format: "%.1f", validation))%") }
        parts.append(ProgressReporter.formatDuration(summary.seconds))
        if let secondsRemaining { parts.append("ETA \(ProgressReporter.formatDuration(secondsRemaining))") }
        return title(phase: summary.phase, epoch: summary.epoch, of: summary.epochs) + ": " + parts.joined(separator: ", ")
    }

    /// `epoch 3/20`, after the phase when there is one: `uncertainty fine-tune epoch 1/5`.
    private static func title(phase: String?, epoch: Int, of epochs: Int) -> String {
        (phase.map { $0 + " " } ?? "") + "epoch \(epoch)/\(epochs)"
    }
}
