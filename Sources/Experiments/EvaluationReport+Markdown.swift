import Datasets
import Evaluation
import Foundation
import Unlearning

extension EvaluationReport {
    /// The report as a Markdown page: a headline table, the unlearning metrics when forget classes were
    /// named (beside the "before" model's when given), accuracy per class and the confusion matrix.
    public var markdown: String {
        let subject = "\(model.architecture) on \(dataset.layout) (\(dataset.classKind), \(dataset.classes.count) classes)"
        var text = unlearning.map { "# Forgetting \($0.request.joined(separator: ", ")) with \($0.run.method): \(subject)\n\n" }
            ?? "# Evaluation of \(subject)\n\n"
        text += "- model: `\(model.path ?? "in memory")`, \(model.parameterCount) parameters"
            + (model.trainingSeed.map { ", trained with seed \($0)" } ?? "")
            + (model.forgottenClasses.isEmpty ? "" : ", has forgotten \(model.forgottenClasses.joined(separator: ", "))") + "\n"
        text += "- data: `\(dataset.path)`\(dataset.isSynthetic ? " (built-in synthetic corpus)" : ""), split \(SplitMethod.explained(dataset.split)), "
            + "fingerprint \(dataset.fingerprint), \(dataset.trainingExampleCount) training and \(dataset.testExampleCount) test examples\n"
        text += "- \(software), \(createdAt), seed \(seed), \(threads) compute threads, \(precision ?? .fp32)\n"
        if let machine { text += "- machine: \(machine.markdown)\n" }
        text += "\n"
        text += evaluation.summaryTable(before: before).rendered + "\n"
        if let forget = evaluation.forget {
            text += "## Forgetting \(forget.forgetClasses.joined(separator: ", "))\n\n"
            text += ForgetEvaluation.table(before: before?.forget, after: forget, unlearning: unlearning?.run).rendered + "\n"
            if let note = forget.privacyErasureRateNote { text += "PER: \(note).\n\n" }
            if !forget.earlierForgotten.isEmpty {
                text += "Re-test of the classes forgotten by earlier requests (accuracy %, should stay 0): "
                    + forget.earlierForgotten.map { "\($0.name) \(MarkdownTable.percent($0.accuracy))" }
                    .joined(separator: ", ") + "\n\n"
            }
        }
        if let unlearning {
            let run = unlearning.run
            text += "## What \(run.method) did\n\n" + run.phaseTable.rendered + "\n"
            text += "Settings" + (unlearning.preset.map { " (preset \($0))" } ?? "") + ": "
                + run.settingsLine + ".\n\n"
            if let grade = unlearning.grade { text += "Grade: \(grade.explanation).\n\n" }
        }
        if let audit {
            text += "## Audit against \(audit.oracleCount) models retrained without \(audit.forgetClasses.joined(separator: ", "))\n\n"
                + audit.markdown.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).dropFirst(2)
                .joined(separator: "\n") + "\n"
        }
        if let unlearning, let fallback = unlearning.fallback {
            text += fallback.advice(erasureSeconds: unlearning.run.seconds) + "\n\n"   // the cost and the share in it
        } else if let unlearning, let comparison = unlearning.retraining?.comparison(erasureSeconds: unlearning.run.seconds) {
            text += comparison + "\n\n"
        }
        text += "## Accuracy per class\n\n" + evaluation.perClassTable(before: before).rendered + "\n"
        text += "## Confusion matrix (rows: true class, columns: predicted)\n\n" + evaluation.confusionTable.rendered
        return text
    }
}

extension ModelEvaluation {
    /// Accuracy, utterance-level accuracy, verification EER and example count, one row per model.
    public func summaryTable(before: ModelEvaluation? = nil) -> MarkdownTable {
        func row(_ name: String, _ evaluation: ModelEvaluation) -> [String] {
            [name, MarkdownTable.percent(evaluation.accuracy), MarkdownTable.percent(evaluation.utteranceAccuracy),
             MarkdownTable.percent(evaluation.verificationEER), String(evaluation.testExampleCount)]
        }
        let rows = (before.map { [row("before", $0)] } ?? []) + [row(before == nil ? "model" : "after", self)]
        return MarkdownTable(header: ["", "accuracy %", "utterance accuracy %", "verification EER %", "test examples"],
                             rows: rows, rightAligned: [1, 2, 3, 4])
    }

    /// Test examples and accuracy per class (and the "before" model's accuracy when given).
    public func perClassTable(before: ModelEvaluation? = nil) -> MarkdownTable {
        let forgotten = Set(forget?.forgetClasses ?? [])
        let rows = perClass.enumerated().map { index, entry in
            [entry.name + (forgotten.contains(entry.name) ? " (forget)" : ""), String(entry.exampleCount)]
                + (before.map { [MarkdownTable.percent($0.perClass[index].accuracy)] } ?? [])
                + [MarkdownTable.percent(entry.accuracy)]
        }
        let header = ["class", "test examples"] + (before == nil ? ["accuracy %"] : ["before %", "after %"])
        return MarkdownTable(header: header, rows: rows, rightAligned: Set(1 ..< header.count))
    }

    /// The confusion matrix with class names on both axes.
    public var confusionTable: MarkdownTable {
        MarkdownTable(header: ["true \\ predicted"] + classNames,
                      rows: zip(classNames, confusionMatrix).map { [$0] + $1.map(String.init) },
                      rightAligned: Set(1 ... classNames.count))
    }
}

extension ForgetEvaluation {
    /// The unlearning metrics, one row each, with an arrow saying which direction is better; a "before"
    /// column when the model before unlearning was evaluated too.
    /// With `unlearning`, a last row gives the method's wall time.
    public static func table(before: ForgetEvaluation?, after: ForgetEvaluation,
                             unlearning: UnlearningRun? = nil) -> MarkdownTable {
        let metrics: [(String, (ForgetEvaluation) -> String)] = [
            ("FA, forget accuracy ↓", { MarkdownTable.percent($0.forgetAccuracy) }),
            ("RA, retain accuracy ↑", { MarkdownTable.percent($0.retainAccuracy) }),
            ("FA per recording (mean logits) ↓", { MarkdownTable.percent($0.utteranceForgetAccuracy) }),
            ("RA per recording (mean logits) ↑", { MarkdownTable.percent($0.utteranceRetainAccuracy) }),
            ("IL, information leakage ↓", { MarkdownTable.percent($0.informationLeakage) }),
            ("PER, privacy erasure rate ↑", { MarkdownTable.percent($0.privacyErasureRate) }),
            ("FAR, retain taken for forget ↓", { MarkdownTable.percent($0.falseAcceptanceRate) }),
            ("FRR = 100 − RA ↓", { MarkdownTable.percent($0.falseRejectionRate) }),
            ("forget rejection = 100 − FA ↑", { MarkdownTable.percent($0.forgetRejectionRate) }),
            ("ERB, erasure–retention balance ↑", { MarkdownTable.percent($0.erasureRetentionBalance) }),
            ("MIA loss attack accuracy (50 = chance)", { MarkdownTable.percent($0.lossAttack?.attackAccuracy) }),
            ("MIA entropy attack, % called members", { MarkdownTable.percent($0.entropyAttackMemberRate) }),
            ("forget-class verification EER ↑", { MarkdownTable.percent($0.forgetVerificationEER) }),
        ]
        var rows = metrics.map { name, value in [name] + (before.map { [value($0)] } ?? []) + [value(after)] }
        if let unlearning {
            rows.append(["time of unlearning (s)"] + (before == nil ? [] : [""]) + [String(format: "%.2f", unlearning.seconds)])
        }
        let header = ["metric (%)"] + (before == nil ? ["value"] : ["before", "after"])
        return MarkdownTable(header: header, rows: rows, rightAligned: Set(1 ..< header.count))
    }
}

extension UnlearningRun {
    /// Each phase, whether it ran, and its wall time.
    public var phaseTable: MarkdownTable {
        MarkdownTable(header: ["phase", "ran", "seconds"],
                      rows: phases.map { [$0.name, $0.ran ? "yes" : "switched off", String(format: "%.2f", $0.seconds)] }
                          + [["total", "", String(format: "%.2f", seconds)]],
                      rightAligned: [2])
    }
}
