import Evaluation
import Foundation
import Testing
import TestSupport

/// Charts that read from 2 to 1,000 classes: laid out by headless Chromium (Debian's
/// `chromium-headless-shell`), whose own text measurements say whether any text leaves its chart or two
/// category labels touch.
@Suite struct SVGChartTests {
    static let methods = ["before", "QPAudioEraser (authors' setting)", "Retrain (exact, without the class)"]

    /// Accuracy per class for `count` classes (class `i` named like real corpora name speakers), three series.
    static func perClassChart(classes count: Int, forget: Int) -> String {
        let names = (0 ..< count).map { $0 % 3 == 0 ? "speaker_\(String(format: "%04d", $0))_long_name" : "id\(10_000 + $0)" }
        let series = methods.enumerated().map { s, name in
            ChartSeries(name: name, values: (0 ..< count).map { i in i == forget && s > 0 ? 0 : Double(70 + (i * 7 + s * 3) % 30) })
        }
        let shown = SVGChart.selectClasses(count: count, series: series, keep: [forget])
        return SVGChart.groupedBars(title: "Accuracy per class (\(shown.count) of \(count))", categories: shown.map { names[$0] },
                                    series: series.map { line in ChartSeries(name: line.name, values: shown.map { line.values[$0] }) },
                                    yLabel: "accuracy %")
    }

    @Test func manyClassesShowTheForgottenAndThoseThatChangedMost() {
        let series = [ChartSeries(name: "before", values: (0 ..< 1_000).map { _ in 90 }),
                      ChartSeries(name: "after", values: (0 ..< 1_000).map { $0 % 100 == 0 ? 50 : 89 })]
        let shown = SVGChart.selectClasses(count: 1_000, series: series, keep: [777])
        #expect(shown.count == 40 && shown.contains(777) && shown == shown.sorted())
        #expect((0 ..< 10).allSatisfy { shown.contains($0 * 100) }, "the ten classes that lost 40 points are shown")
        #expect(SVGChart.selectClasses(count: 6, series: series, keep: [2]) == Array(0 ..< 6))
        #expect(SVGChart.selectClasses(count: 100, series: [series[1]], keep: []).prefix(2) == [0, 1], "one series: the lowest first")
    }

    @Test(arguments: [2, 6, 40, 59, 1_000])
    func chartsKeepTheirTextInsideAndApartInChromium(classes: Int) async throws {
        #expect(HeadlessChromium.isInstalled, "install chromium-headless-shell (scripts/install-system-deps)")
        let charts = [
            Self.perClassChart(classes: classes, forget: classes / 2),
            SVGChart.groupedBars(title: "Membership inference on the forget class (loss attack)", categories: Self.methods,
                                 series: [ChartSeries(name: "attack accuracy", values: [60, 52, 50])], yLabel: "%",
                                 reference: (50, "Retrain (exact, without the class)")),
            SVGChart.scatter(title: "Privacy against utility", points: Self.methods.enumerated().map { ($1, Double($0 * 30), 90) },
                             xLabel: "FA %", yLabel: "RA %"),
            SVGChart.lines(title: "RA after each request", xLabels: (1 ... 6).map { "request \($0)" },
                           series: Self.methods.map { ChartSeries(name: $0, values: [90, 88, 87, 85, 84, 80]) }, yLabel: "RA %"),
        ]
        // For every chart: texts whose box leaves the SVG, and neighbouring category labels (slanted at 45°,
        // anchored on the axis) closer, across their slant, than their own height.
        let page = """
            <!doctype html><html><body>\(charts.joined(separator: "\n"))
            <pre id="result"></pre>
            <script>
            const problems = [];
            document.querySelectorAll("svg").forEach((svg, chart) => {
              const frame = svg.getBoundingClientRect();
              const slanted = [], level = [];
              svg.querySelectorAll("text").forEach(text => {
                const box = text.getBoundingClientRect();
                if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5 || box.top < frame.top - 0.5 || box.bottom > frame.bottom + 0.5)
                  problems.push(`chart ${chart}: "${text.textContent}" leaves the chart`);
                const transform = text.getAttribute("transform") || "";
                if (transform.startsWith("rotate(-45"))
                  slanted.push({x: Number(text.getAttribute("x")), height: text.getBBox().height, name: text.textContent});
                else if (!transform) level.push({box: box, name: text.textContent});
              });
              for (let i = 0; i < level.length; i++) for (let j = i + 1; j < level.length; j++) {
                const a = level[i].box, b = level[j].box;
                if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
                  problems.push(`chart ${chart}: "${level[i].name}" and "${level[j].name}" overlap`);
              }
              for (let i = 1; i < slanted.length; i++) {
                const across = (slanted[i].x - slanted[i - 1].x) * Math.SQRT1_2;
                if (across < 0.9 * slanted[i].height)
                  problems.push(`chart ${chart}: "${slanted[i - 1].name}" and "${slanted[i].name}" overlap (${across.toFixed(1)} px apart)`);
              }
            });
            document.getElementById("result").textContent = "checked " + document.querySelectorAll("svg").length
              + " charts; " + (problems.length ? problems.join("; ") : "no problems");
            </script></body></html>
            """
        let file = Scratch.path("charts-\(classes)", suffix: ".html")
        try page.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let dom = try await HeadlessChromium.dumpDOM(file.absoluteString)
        let result = dom.components(separatedBy: "<pre id=\"result\">").dropFirst().first?.components(separatedBy: "</pre>").first
        #expect(result == "checked 4 charts; no problems", "\(result ?? String(dom.prefix(300)))")
    }
}
