import Datasets
import Evaluation
import Foundation

extension ExperimentResults {
    /// One column of the result tables: its heading and how to read it from a run.
    struct Column: Sendable {
        let heading: String
        let value: @Sendable (RunResult) -> Double?
        var digits = 1
    }

    static let columns: [Column] = [
        Column(heading: "FA ↓", value: \.forgetAccuracy),
        Column(heading: "RA ↑", value: \.retainAccuracy),
        Column(heading: "FA/rec ↓", value: \.utteranceForgetAccuracy),
        Column(heading: "RA/rec ↑", value: \.utteranceRetainAccuracy),
        Column(heading: "test acc", value: \.testAccuracy),
        Column(heading: "IL ↓", value: \.informationLeakage),
        Column(heading: "PER ↑", value: \.privacyErasureRate),
        Column(heading: "FAR ↓", value: \.falseAcceptanceRate),
        Column(heading: "FRR ↓", value: \.falseRejectionRate),
        Column(heading: "ERB ↑", value: \.erasureRetentionBalance),
        Column(heading: "MIA loss", value: \.lossAttack),
        Column(heading: "MIA entropy", value: \.entropyAttack),
        Column(heading: "gap to retrain ↓", value: \.gapToRetrain),
        Column(heading: "time (s)", value: \.seconds, digits: 2),
        Column(heading: "time / retrain", value: \.timeRatio, digits: 3),
    ]

    /// The forget sets (or requests) in order, with their classes.
    public var sets: [(number: Int, classes: [String])] {
        var seen: [Int: [String]] = [:]
        for run in runs where seen[run.set] == nil { seen[run.set] = run.forgetClasses }
        return seen.keys.sorted().map { ($0, seen[$0]!) }
    }

    /// The method labels in the order they ran.
    public var labels: [String] {
        var labels: [String] = []
        for run in runs where !labels.contains(run.label) { labels.append(run.label) }
        return labels
    }

    /// The runs of one set and label, one per seed.
    public func runs(set: Int, label: String) -> [RunResult] {
        runs.filter { $0.set == set && $0.label == label }
    }

    /// The table of one forget set: a row per method, each metric as mean ± std over seeds.
    public func table(set: Int) -> MarkdownTable {
        let rows = labels.map { label -> [String] in
            let group = runs(set: set, label: label)
            return [label] + Self.columns.map { column in
                MeanDeviation(group.map(column.value))?.formatted(digits: column.digits) ?? "n/a"
            }
        }
        return MarkdownTable(header: ["method"] + Self.columns.map(\.heading), rows: rows,
                             rightAligned: Set(1 ... Self.columns.count))
    }

    /// For a sequence: RA and FA (this request's classes) of each method after each request.
    public var sequenceTable: MarkdownTable {
        let sets = sets
        let rows = labels.map { label in
            [label] + sets.map { set in
                let group = runs(set: set.number, label: label)
                let ra = MeanDeviation(group.map(\.retainAccuracy))?.formatted() ?? "n/a"
                let fa = MeanDeviation(group.map(\.forgetAccuracy))?.formatted() ?? "n/a"
                let earlier = group.flatMap { $0.earlierForgotten.compactMap(\.accuracy) }.max()
                return "\(ra) / \(fa)" + (earlier.map { $0 > 0 ? " (earlier \(MarkdownTable.percent($0)))" : "" } ?? "")
            }
        }
        return MarkdownTable(header: ["method"] + sets.map { "after \($0.number): RA / FA" }, rows: rows,
                             rightAligned: Set(1 ... max(sets.count, 1)))
    }

    /// The whole report as Markdown: the scenario, one table per set, the sequence summary.
    public var markdown: String {
        var text = "# Experiment \(scenario.name): \(architecture) on \(dataset.layout) (\(dataset.classKind), \(dataset.classes.count) classes)\n\n"
        text += "- data `\(dataset.path)`, split \(SplitMethod.explained(dataset.split)), fingerprint \(dataset.fingerprint); seeds "
            + scenario.seeds.map(String.init).joined(separator: ", ") + "; \(software), \(threads) compute threads, \(precision ?? .fp32); "
            + String(format: "%.0f", seconds) + " s in all\n"
        if let machine { text += "- machine: \(machine.markdown)\n" }
        text += "- original model test accuracy: "
            + originalAccuracy.map { MarkdownTable.percent($0) }.joined(separator: ", ") + " (per seed)\n"
        for note in notes { text += "- note: \(note)\n" }
        text += "\nPercentages; mean ± standard deviation over seeds where there are several. FA and RA are per "
            + "example; /rec judges each test recording once by the mean logits of its examples. MIA loss: attack "
            + "accuracy (50 = chance); MIA entropy: % of forget training examples called members. Gap: mean "
            + "|difference| to the retrained model over FA, RA, test accuracy and MIA loss.\n\n"
        if scenario.kind == .sequential {
            text += "## RA / FA after each request\n\n" + sequenceTable.rendered + "\n"
        }
        for set in sets {
            let kind = scenario.kind == .sequential ? "Request" : "Forget set"
            text += "## \(kind) \(set.number): \(set.classes.joined(separator: ", "))\n\n" + table(set: set.number).rendered + "\n"
            if let audit = auditTable(set: set.number) {
                text += "### Audit against models retrained without \(set.classes.joined(separator: ", "))\n\n" + audit.rendered + "\n"
            }
        }
        return text
    }

    /// Every run as one CSV line (a header first): scenario, seed, set, classes, method, variant, metrics.
    public var csv: String {
        let header = ["scenario", "seed", "set", "forget_classes", "method", "label"]
            + ["FA", "RA", "FA_per_recording", "RA_per_recording", "test_accuracy", "IL", "PER", "FAR", "FRR", "ERB", "MIA_loss", "MIA_entropy",
               "gap_to_retrain", "seconds", "time_ratio"]
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        let lines = runs.map { run in
            ([run.scenario, String(run.seed), String(run.set), run.forgetClasses.joined(separator: " "),
              run.method.rawValue, run.label] + Self.columns.map { $0.value(run).map { String($0) } ?? "" })
                .map(field).joined(separator: ",")
        }
        return ([header.joined(separator: ",")] + lines).joined(separator: "\n") + "\n"
    }
}
