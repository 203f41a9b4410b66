import Evaluation
import Foundation

extension AuditReport {
    /// The one-line verdict: `Audit of george: outputs only — 4 of 24 tests set it apart from 3 oracles retrained without it.`
    public var summary: String {
        let failed = failures.count, judged = rows.filter { $0.passed != nil }.count
        let subjects = forgetClasses.joined(separator: ", ")
        let weak = powerless.isEmpty ? "" : " \(powerless.count) test\(powerless.count == 1 ? "" : "s") had no power here "
            + "(the band holds the original's value, or every value the test can take): "
            + powerless.map(\.test).joined(separator: "; ") + "."
        let allInside = "Audit of \(subjects): \(verdict.rawValue) — all \(judged) tests inside the band of \(oracleCount) "
            + "models retrained without \(forgetClasses.count == 1 ? "it" : "them")"
        switch verdict {
        case .indistinguishable:
            return allInside + "." + weak
        case .inconclusive:
            return allInside + ", but the original would pass them too: the retrained models disagree too much for "
                + "these bands to tell; audit with more of them (--oracles)." + weak
        case .outputsOnly, .notForgotten:
            return "Audit of \(subjects): \(verdict.rawValue) — \(failed) of \(judged) tests set it apart from "
                + "\(oracleCount) models retrained without \(forgetClasses.count == 1 ? "it" : "them"): "
                + failures.map(\.test).joined(separator: "; ") + "." + weak
        }
    }

    /// How the retrained models fare against each other (``retrainedFailures``): `Retrained models judged
    /// as if unlearned, each against the other 4: 1 of 5 set apart (oracle 2: relearning, …).`
    public var retrainedCalibration: String {
        guard let retrainedFailures else {
            return "How often this audit sets a retraining itself apart is not measured: that needs "
                + "\(Self.oraclesToJudgeRetraining) oracles or more (--oracles), each judged against the others."
        }
        let apart = retrainedFailures.enumerated().filter { !$0.element.isEmpty }
        let which = apart.map { "oracle \($0.offset + 1): " + $0.element.joined(separator: "; ") }.joined(separator: "; ")
        return "Retrained models judged as if unlearned, each against the other \(oracleCount - 1): \(apart.count) of "
            + "\(oracleCount) set apart" + (apart.isEmpty ? "" : " (\(which))")
            + " — how often this audit sets a retraining itself apart, with one oracle fewer (wider bands) than the verdict's."
    }

    /// Every test as a table: the original, the unlearned model, the oracles (mean ± std), the band and
    /// the outcome.
    public var table: MarkdownTable {
        func format(_ value: Double?, _ unit: String) -> String {
            guard let value else { return "n/a" }
            return unit == "%" ? String(format: "%.1f", value) : String(format: "%.3f", value)
        }
        let rows = self.rows.map { row -> [String] in
            let oracles = row.oracleSummary.map { summary in
                format(summary.mean, row.unit) + (summary.standardDeviation.map { " ± " + format($0, row.unit) } ?? "")
            } ?? "n/a"
            let band = row.band.map { band in
                band.upperOnly ? "≤ " + format(band.upper, row.unit)
                    : format(band.lower, row.unit) + " … " + format(band.upper, row.unit)
            } ?? "—"
            let outcome = row.powerless ? "no power" : row.passed.map { $0 ? "pass" : "**fail**" } ?? "—"
            return [row.test + (row.unit == "%" || row.unit.isEmpty ? "" : " (\(row.unit))"), row.level.rawValue,
                    format(row.original, row.unit), format(row.unlearned, row.unit), oracles, band, outcome]
        }
        return MarkdownTable(header: ["test", "looks at", "original", "unlearned", "oracles", "band", "unlearned"],
                             rows: rows, rightAligned: [2, 3, 4, 5])
    }

    /// The report as a Markdown page: the verdict, the table, the notes of the tests that have one.
    public var markdown: String {
        var page = "# Erasure audit: \(forgetClasses.joined(separator: ", "))\n\n**\(summary)**\n\n" + table.rendered
        let notes = rows.compactMap { row in row.note.map { "- \(row.test): \($0)" } }
        if !notes.isEmpty { page += "\n" + notes.joined(separator: "\n") + "\n" }
        page += "\nPercentages unless a unit is named. Band: where \(MarkdownTable.percent(configuration.bandCoverage * 100, digits: 0))% of retrained "
            + "models' values fall (the oracles' mean ± t·s·√(1 + 1/N), Student's t with N − 1 degrees of freedom), "
            + "widened to their min–max plus the test's margin; \"≤\" marks tests that fail "
            + "only above it; \"no power\": the band holds the original's value (or every value the test can "
            + "take), so the test cannot tell forgetting apart on this data and is not judged.\n"
        page += "\n" + retrainedCalibration + "\n"
        if !seconds.isEmpty {
            page += "\nMeasurement time (0 when read from the cache): " + seconds.sorted { $0.key < $1.key }
                .map { "\($0.key) \(String(format: "%.1f", $0.value)) s" }.joined(separator: ", ") + ".\n"
        }
        if let retrainingSeconds {
            page += "Retraining without \(forgetClasses.joined(separator: ", ")) (the exact erasure) took "
                + String(format: "%.1f", retrainingSeconds) + " s on average (the oracles' training).\n"
        }
        return page
    }
}
