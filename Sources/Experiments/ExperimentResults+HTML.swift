import Datasets
import Evaluation
import Foundation
import Unlearning

extension ExperimentResults {
    /// The report as one self-contained HTML page: the tables and inline SVG charts (accuracy per class
    /// before and after, the forget class's probability before and after, RA and FA over a request
    /// sequence, privacy against utility for every method, membership inference), no scripts, no
    /// network access.
    public var html: String {
        var body = "<h1>Experiment \(SVGChart.escape(scenario.name)): \(SVGChart.escape(architecture)) on "
            + "\(SVGChart.escape(dataset.layout)) (\(SVGChart.escape(dataset.classKind)), \(dataset.classes.count) classes)</h1>"
        body += "<p>Data <code>\(SVGChart.escape(dataset.path))</code>, split \(SVGChart.escape(SplitMethod.explained(dataset.split))), fingerprint "
            + "\(dataset.fingerprint); seeds \(scenario.seeds.map(String.init).joined(separator: ", ")); "
            + "original test accuracy \(originalAccuracy.map { MarkdownTable.percent($0) }.joined(separator: ", ")) %; "
            + "\(SVGChart.escape(software)).</p>"
        if let machine { body += "<p>Machine: \(SVGChart.escape(machine.markdown)).</p>" }
        for note in notes { body += "<p class=\"note\">Note: \(SVGChart.escape(note))</p>" }
        body += "<h2>Charts</h2><div class=\"charts\">" + charts.joined() + "</div>"
        if scenario.kind == .sequential {
            body += "<h2>RA / FA after each request</h2>" + sequenceTable.html
        }
        for set in sets {
            let kind = scenario.kind == .sequential ? "Request" : "Forget set"
            body += "<h2>\(kind) \(set.number): \(SVGChart.escape(set.classes.joined(separator: ", ")))</h2>"
                + table(set: set.number).html
            if let audit = auditTable(set: set.number) { body += "<h3>Audit</h3>" + audit.html }
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/><title>QPAudioEraser: \(SVGChart.escape(scenario.name))</title>
        <style>
        body { font-family: sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; } th { background: #f2f2f2; }
        td.number, th.number { text-align: right; } .charts svg { margin: 0 1em 1em 0; }
        .note { color: #8a4b00; }
        </style></head><body>
        \(body)
        </body></html>

        """
    }

    /// The charts that apply to this experiment, as SVG.
    var charts: [String] {
        guard let first = sets.first, let seed = scenario.seeds.first else { return [] }
        let setRuns = runs.filter { $0.set == first.number && $0.seed == seed }
        let reference = setRuns.first { $0.method == .retrain }
        let ours = setRuns.first { $0.method == .qpaudioeraser }
        var charts: [String] = []
        if let shown = ours ?? reference {
            let series = [ChartSeries(name: "before", values: shown.perClassBefore)]
                + [ours, reference].compactMap { $0 }.map { ChartSeries(name: $0.label, values: $0.perClassAfter) }
            let forget = first.classes.compactMap { dataset.classes.firstIndex(of: $0) }
            let shownClasses = SVGChart.selectClasses(count: dataset.classes.count, series: series, keep: forget)
            let which = shownClasses.count == dataset.classes.count ? ""
                : ": the forgotten and the \(shownClasses.count - forget.count) that changed most of \(dataset.classes.count)"
            charts.append(SVGChart.groupedBars(
                title: "Accuracy per class, \(kindName) \(first.number) (seed \(seed))\(which)",
                categories: shownClasses.map { dataset.classes[$0] },
                series: series.map { line in
                    ChartSeries(name: line.name, values: shownClasses.map { $0 < line.values.count ? line.values[$0] : nil })
                }, yLabel: "accuracy %"))
            let bins = (0 ..< 10).map { String(format: "%.1f–%.1f", Double($0) / 10, Double($0 + 1) / 10) }
            let histograms = [ChartSeries(name: "before", values: Self.histogram(shown.forgetProbabilitiesBefore))]
                + [ours, reference].compactMap { $0 }
                .map { ChartSeries(name: $0.label, values: Self.histogram($0.forgetProbabilitiesAfter)) }
            charts.append(SVGChart.groupedBars(
                title: "P(true class) on the forget class's test clips", categories: bins, series: histograms,
                yLabel: "% of clips"))
        }
        if scenario.kind == .sequential, sets.count > 1 {
            for (metric, value) in [("RA", \RunResult.retainAccuracy), ("FA", \RunResult.forgetAccuracy)] {
                charts.append(SVGChart.lines(
                    title: "\(metric) after each request", xLabels: sets.map { "request \($0.number)" },
                    series: labels.map { label in
                        ChartSeries(name: label, values: sets.map { MeanDeviation(runs(set: $0.number, label: label).map { $0[keyPath: value] })?.mean })
                    }, yLabel: "\(metric) %"))
            }
        }
        let points = labels.compactMap { label -> (label: String, x: Double, y: Double)? in
            let group = runs(set: first.number, label: label)
            guard let fa = MeanDeviation(group.map(\.forgetAccuracy))?.mean,
                  let ra = MeanDeviation(group.map(\.retainAccuracy))?.mean else { return nil }
            return (label, fa, ra)
        }
        charts.append(SVGChart.scatter(title: "Privacy against utility, \(kindName) \(first.number)", points: points,
                                       xLabel: "forget accuracy FA % (lower forgets more)",
                                       yLabel: "retain accuracy RA %"))
        let attack = labels.map { MeanDeviation(runs(set: first.number, label: $0).map(\.lossAttack))?.mean }
        let retrainAttack = MeanDeviation(runs(set: first.number, label: MethodName.retrain.displayName).map(\.lossAttack))?.mean
        charts.append(SVGChart.groupedBars(
            title: "Membership inference on the forget class (loss attack)", categories: labels,
            series: [ChartSeries(name: "attack accuracy", values: attack)], yLabel: "attack accuracy %",
            reference: retrainAttack.map { ($0, "retrain") }))
        if let relearningChart { charts.append(relearningChart) }
        return charts
    }

    var kindName: String { scenario.kind == .sequential ? "request" : "set" }

    /// The share in percent of `values` in each tenth of [0, 1].
    static func histogram(_ values: [Float]) -> [Double?] {
        guard !values.isEmpty else { return Array(repeating: nil, count: 10) }
        var counts = [Int](repeating: 0, count: 10)
        for value in values { counts[min(max(Int(value * 10), 0), 9)] += 1 }
        return counts.map { 100 * Double($0) / Double(values.count) }
    }

    /// Writes `results.json`, `report.md`, `report.csv` and `report.html` into `folder`, atomically.
    public func writeReports(to folder: URL) throws {
        try ReportJSON.write(self, to: folder.appendingPathComponent("results.json"))
        try Data(markdown.utf8).write(to: folder.appendingPathComponent("report.md"), options: .atomic)
        try Data(csv.utf8).write(to: folder.appendingPathComponent("report.csv"), options: .atomic)
        try Data(html.utf8).write(to: folder.appendingPathComponent("report.html"), options: .atomic)
    }
}
