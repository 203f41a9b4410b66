import Audit
import Datasets
import Foundation
import Unlearning

/// The exact erasure, offered whenever an approximate one is not shown to be privacy-grade: retraining
/// without the classes with the original's recipe, with what it costs on this machine.
///
/// It is offered after an erasure whose audit did not find it indistinguishable from retraining, and
/// after one that was not audited: its method is only ``ErasureGrade/outputsOnly``, or its setting is
/// ``ErasureGrade/calibrated``, which the audit passed for the calibration classes but not for these (on
/// FSDD's CNN the setting that passed for george on 3 of 4 seeds passed for jackson on none of 2);
/// never after a retraining or an erasure the audit passed.
public struct ExactFallback: Codable, Sendable, Equatable {
    /// The checkpoint to retrain from (its recipe, data and normalisation).
    public var model: String
    /// The request's classes (the retraining also leaves out those the model forgot before).
    public var classes: [String]
    /// Why it is offered.
    public var reason: String
    /// The retraining's expected wall time (``RetrainingCost/seconds``), when the run or the models at
    /// hand allow an estimate.
    public var estimatedSeconds: Double?
    /// Where the estimate comes from, and the other figures at hand.
    public var basis: String

    /// The fallback for an erasure of `classes` from the checkpoint `model` by a method of `grade`, at
    /// `cost` (``RetrainingCost/estimate(classes:audit:original:data:rate:)``), or `nil` when none is needed.
    public static func offer(classes: [String], grade: ErasureGrade, audit: AuditReport?, model: String,
                             cost: RetrainingCost) -> ExactFallback? {
        let reason: String
        switch (grade, audit?.verdict) {
        case (.exact, _), (_, .indistinguishable?): return nil
        case let (_, verdict?):
            reason = "the audit's verdict is \"\(verdict.rawValue)\": the erasure is not privacy-grade"
        case (.outputsOnly, nil):
            reason = "the erasure was not audited and its method is \(grade.rawValue)"
        case (.calibrated, nil):
            reason = "the erasure was not audited: its setting passed the audit for the model's calibration classes, "
                + "not for these"
        }
        return ExactFallback(model: model, classes: classes, reason: reason, estimatedSeconds: cost.seconds, basis: cost.basis)
    }

    /// The command that carries it out.
    public var command: String {
        "qpae forget --model \(model) " + classes.map { "--forget \($0) " }.joined() + "--method retrain --out <file>"
    }

    /// One paragraph for reports: why, how, and what it costs beside the erasure's `erasureSeconds`.
    public func advice(erasureSeconds: Double?) -> String {
        var text = "Exact fallback (\(reason)): retrain without \(classes.joined(separator: ", ")) with the original's "
            + "recipe, `\(command)`"
        if let estimatedSeconds {
            text += ", about \(ProgressReporter.formatDuration(estimatedSeconds)) on this machine (\(basis))"
            if let erasureSeconds, estimatedSeconds > 0 {
                text += String(format: "; this erasure took %@, %.0f%% of that",
                               ProgressReporter.formatDuration(erasureSeconds), 100 * erasureSeconds / estimatedSeconds)
            }
        } else {
            text += " (\(basis))"
        }
        return text + "."
    }
}

/// What retraining without the forgotten classes with the original's recipe costs on this machine: the
/// yardstick an erasure's time is given against.
public struct RetrainingCost: Codable, Sendable, Equatable {
    /// Expected wall time, when the run or the models at hand allow an estimate.
    public var seconds: Double?
    /// Where the estimate comes from, and the other figures at hand.
    public var basis: String

    public init(seconds: Double?, basis: String) {
        (self.seconds, self.basis) = (seconds, basis)
    }

    /// The first of up to three estimates that the models and the run allow: the original's recipe (its
    /// epochs over the training examples that remain, less its validation share) at the rate the
    /// erasure's own optimizer steps ran at (`rate`: this machine, this thread count, this moment, so the
    /// two times compare like with like); what the audit's oracles took on average (they are exactly such
    /// retrainings, but timed whenever they were trained); the original's recorded training time scaled
    /// to the training examples that remain. The others are named beside it: on a shared machine a time
    /// recorded an hour ago can be half or twice today's.
    public static func estimate(classes: [String], audit: AuditReport?, original: TrainedModel, data: PreparedData,
                                rate: UnlearningRun.TrainingRate?) -> RetrainingCost {
        let forgotten = Set((classes + original.forgottenClasses).compactMap { data.classes.firstIndex(of: $0) })
        let kept = data.train.labels.filter { !forgotten.contains($0) }.count
        var estimates: [(seconds: Double, basis: String)] = []
        if let rate, rate.examples > 0, let recipe = original.recipe {
            let steps = recipe.epochs * Int((Double(kept) * (1 - recipe.validationFraction)).rounded())
            let epochs = "\(recipe.epochs) epoch" + (recipe.epochs == 1 ? "" : "s")
            let milliseconds = String(format: "%.1f", 1000 * rate.secondsPerExample)
            estimates.append((Double(steps) * rate.secondsPerExample,
                              "the original's recipe (\(epochs)) over the \(kept) training examples that remain, less "
                                  + "its validation share, at the \(milliseconds) ms per example this erasure's optimizer steps took"))
        }
        if let audit, let seconds = audit.retrainingSeconds {
            estimates.append((seconds, "what the audit's \(audit.oracleCount) retrained models took on average"))
        }
        if let trained = original.trainingSeconds, !data.train.labels.isEmpty {
            estimates.append((trained * Double(kept) / Double(data.train.labels.count),
                              "the original's training time (\(ProgressReporter.formatDuration(trained))) scaled to "
                                  + "the \(kept) of \(data.train.labels.count) training examples that remain"))
        }
        guard let estimate = estimates.first else {
            return RetrainingCost(seconds: nil, basis: "about as long as training the original, whose time is not recorded")
        }
        let others = estimates.dropFirst().map { "\(ProgressReporter.formatDuration($0.seconds)) from \($0.basis)" }
        return RetrainingCost(seconds: estimate.seconds,
                              basis: estimate.basis + (others.isEmpty ? "" : "; timed earlier: " + others.joined(separator: "; ")))
    }

    /// One sentence for reports: the erasure's `erasureSeconds` as a share of the retraining, or `nil`
    /// without an estimate.
    public func comparison(erasureSeconds: Double) -> String? {
        guard let seconds, seconds > 0 else { return nil }
        return String(format: "Time: this erasure took %@, %.0f%% of a retraining without the classes, about %@ on this "
                          + "machine (%@).", ProgressReporter.formatDuration(erasureSeconds), 100 * erasureSeconds / seconds,
                      ProgressReporter.formatDuration(seconds), basis)
    }
}
