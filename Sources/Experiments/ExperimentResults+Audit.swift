import Audit
import Evaluation
import Foundation

extension ExperimentResults {
    /// The tests the audit tables show beside the verdict, by the start of their name.
    static let auditColumns: [(heading: String, test: String)] = [
        ("probe recall", "embedding probe recall"), ("head re-fit FA", "head re-fit"),
        ("relearn (whole, middle k)", "relearning, whole model"), ("row norm z", "forgotten row norm"),
        ("KS D", "forget quality"), ("neighbour attack", "neighbour-distribution"),
    ]

    /// For an audited scenario, one set's audits: each method's verdict (per seed) and key figures (mean
    /// over seeds), with the original's and the oracles' values for reference; `nil` without audits.
    public func auditTable(set: Int) -> MarkdownTable? {
        let audited = runs.filter { $0.set == set && $0.audit != nil }
        guard let reference = audited.first?.audit else { return nil }
        let middle = reference.configuration.relearnShots[reference.configuration.relearnShots.count / 2]
        func row(_ report: AuditReport, _ test: String) -> AuditReport.Row? {
            let prefix = test == "relearning, whole model" ? "relearning, whole model, \(middle)-shot" : test
            return report.rows.first { $0.test.hasPrefix(prefix) }
        }
        func figure(_ values: [Double?], _ test: String) -> String {
            let digits = test.hasPrefix("forgotten row") || test.hasPrefix("forget quality") ? 2 : 1
            return MeanDeviation(values)?.formatted(digits: digits) ?? "n/a"
        }
        var rows = [["original", reference.originalVerdict.rawValue, ""]
                        + Self.auditColumns.map { figure([row(reference, $0.test)?.original], $0.test) },
                    ["oracles (\(reference.oracleCount))", "", ""]
                        + Self.auditColumns.map { figure(row(reference, $0.test)?.oracles ?? [], $0.test) }]
        for label in labels {
            let reports = audited.filter { $0.label == label }.compactMap(\.audit)
            guard !reports.isEmpty else { continue }
            let verdicts = reports.map(\.verdict.rawValue)
            rows.append([label, Set(verdicts).count == 1 ? verdicts[0] : verdicts.joined(separator: " / "),
                         reports.map { String($0.failures.count) }.joined(separator: "/")]
                        + Self.auditColumns.map { column in figure(reports.map { row($0, column.test)?.unlearned }, column.test) })
        }
        return MarkdownTable(header: ["model", "verdict", "tests failed"] + Self.auditColumns.map(\.heading), rows: rows,
                             rightAligned: Set(2 ..< 3 + Self.auditColumns.count))
    }

    /// For an audited scenario: the whole-model relearning curves (middle k) of the first set and seed,
    /// for the original, every method and the oracles' mean, as an SVG line chart.
    var relearningChart: String? {
        guard let first = sets.first, let seed = scenario.seeds.first else { return nil }
        let audited = runs.filter { $0.set == first.number && $0.seed == seed && $0.audit != nil }
        guard let reference = audited.first?.audit, let original = reference.wholeModelCurve("original", shots: reference.chartedShots) else {
            return nil
        }
        let shots = reference.chartedShots
        var series = [ChartSeries(name: "original", values: original.forgetAccuracy),
                      ChartSeries(name: "oracles (mean)", values: reference.oracleMeanCurve(shots: shots))]
        series += audited.map { ChartSeries(name: $0.label, values: $0.audit?.wholeModelCurve("unlearned", shots: shots)?.forgetAccuracy ?? []) }
        return SVGChart.lines(title: "Relearning with \(shots) forget clips per batch, whole model (\(kindName) \(first.number))",
                              xLabels: original.steps.map { "step \($0)" }, series: series, yLabel: "forget accuracy %")
    }
}
