import Foundation

/// One named series of a chart: a value per category (or x position); `nil` leaves a gap.
public struct ChartSeries: Sendable, Equatable {
    public var name: String
    public var values: [Double?]

    public init(name: String, values: [Double?]) {
        self.name = name
        self.values = values
    }
}

/// Small charts as standalone SVG text, for reports that open in any browser without network access:
/// grouped bars, lines and a labelled scatter, with axes, ticks, a legend and a title.
///
/// A chart's size follows what it holds, so nothing is clipped or drawn over: the legend's column is as
/// wide as its longest name (names beyond 40 characters are shortened, the full text in a tooltip), bar
/// groups keep at least 18 px each (the chart widens), and category labels that would not fit side by
/// side are slanted, shortened to 18 characters, with the bottom margin made room for them. Charts of
/// many classes first pick which classes to show (``selectClasses(count:series:keep:limit:)``).
///
/// ```swift
/// let svg = SVGChart.groupedBars(title: "Accuracy per class", categories: ["george", "theo"],
///                                series: [ChartSeries(name: "before", values: [100, 98])], yLabel: "%")
/// ```
public enum SVGChart {
    /// The colours of successive series (colour-blind-safe, Okabe–Ito).
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
                                 "#000000", "#999999", "#882255", "#44AA99", "#117733"]

    /// Bars grouped by category, one bar per series; an optional dashed reference line (e.g. retraining's value).
    public static func groupedBars(title: String, categories: [String], series: [ChartSeries], yLabel: String,
                                   yRange: ClosedRange<Double> = 0 ... 100,
                                   reference: (value: Double, label: String)? = nil) -> String {
        let canvas = Canvas(title: title, columns: categories.count, minimumColumnWidth: 18, labels: categories,
                            legend: series.map(\.name) + (reference.map { [$0.label] } ?? []))
        var body = canvas.frame(title: title, yLabel: yLabel, yRange: yRange)
        let groupWidth = canvas.plotWidth / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        for (index, category) in categories.enumerated() {
            let groupLeft = canvas.plot.left + Double(index) * groupWidth + groupWidth * 0.1
            for (s, line) in series.enumerated() {
                guard index < line.values.count, let value = line.values[index] else { continue }
                let top = canvas.y(value, yRange), bottom = canvas.y(yRange.lowerBound, yRange)
                body += rect(x: groupLeft + Double(s) * barWidth, y: top, width: barWidth * 0.92,
                             height: max(bottom - top, 0), color: palette[s % palette.count],
                             tooltip: "\(line.name), \(category): \(format(value))")
            }
            body += canvas.columnLabel(category, x: groupLeft + groupWidth * 0.4)
        }
        var legend = series.map(\.name)
        if let reference {
            let level = canvas.y(reference.value, yRange)
            body += "<line x1=\"\(canvas.plot.left)\" y1=\"\(format(level))\" x2=\"\(canvas.width - canvas.plot.right)\" "
                + "y2=\"\(format(level))\" stroke=\"#333\" stroke-dasharray=\"5,4\"><title>\(escape(reference.label)): "
                + "\(format(reference.value))</title></line>"
            legend.append("- - \(reference.label)")
        }
        return canvas.wrap(body + canvas.legend(legend, colored: series.count))
    }

    /// One line with dots per series over labelled x positions.
    public static func lines(title: String, xLabels: [String], series: [ChartSeries], yLabel: String,
                             yRange: ClosedRange<Double> = 0 ... 100) -> String {
        let canvas = Canvas(title: title, columns: xLabels.count, minimumColumnWidth: 14, labels: xLabels, legend: series.map(\.name))
        var body = canvas.frame(title: title, yLabel: yLabel, yRange: yRange)
        let step = canvas.plotWidth / Double(max(xLabels.count - 1, 1))
        func x(_ index: Int) -> Double { canvas.plot.left + (xLabels.count == 1 ? step / 2 : Double(index) * step) }
        for (index, label) in xLabels.enumerated() {
            body += canvas.columnLabel(label, x: x(index))
        }
        for (s, line) in series.enumerated() {
            let color = palette[s % palette.count]
            let points = line.values.enumerated().compactMap { index, value in value.map { (x(index), canvas.y($0, yRange), $0) } }
            if points.count > 1 {
                body += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\""
                    + points.map { "\(format($0.0)),\(format($0.1))" }.joined(separator: " ") + "\"/>"
            }
            for point in points {
                body += "<circle cx=\"\(format(point.0))\" cy=\"\(format(point.1))\" r=\"3.5\" fill=\"\(color)\">"
                    + "<title>\(escape(line.name)): \(format(point.2))</title></circle>"
            }
        }
        return canvas.wrap(body + canvas.legend(series.map(\.name), colored: series.count))
    }

    /// Labelled points, e.g. one per method: privacy (x) against utility (y).
    public static func scatter(title: String, points: [(label: String, x: Double, y: Double)], xLabel: String,
                               yLabel: String, xRange: ClosedRange<Double> = 0 ... 100,
                               yRange: ClosedRange<Double> = 0 ... 100) -> String {
        var canvas = Canvas(title: title, columns: 0, minimumColumnWidth: 0, labels: [], legend: points.map(\.label))
        canvas.plot.bottom += 8
        var body = canvas.frame(title: title, yLabel: yLabel, yRange: yRange)
        func x(_ value: Double) -> Double {
            canvas.plot.left + (min(max(value, xRange.lowerBound), xRange.upperBound) - xRange.lowerBound)
                / (xRange.upperBound - xRange.lowerBound) * canvas.plotWidth
        }
        for tick in Canvas.ticks(xRange) {
            body += text(format(tick), x: x(tick), y: canvas.height - canvas.plot.bottom + 16, size: 10, anchor: "middle")
        }
        body += text(xLabel, x: canvas.plot.left + canvas.plotWidth / 2, y: canvas.height - 14, size: 11, anchor: "middle")
        for (index, point) in points.enumerated() {
            let color = palette[index % palette.count]
            body += "<circle cx=\"\(format(x(point.x)))\" cy=\"\(format(canvas.y(point.y, yRange)))\" r=\"5\" fill=\"\(color)\">"
                + "<title>\(escape(point.label)): \(format(point.x)), \(format(point.y))</title></circle>"
        }
        return canvas.wrap(body + canvas.legend(points.map(\.label), colored: points.count))
    }

    /// Which of `count` classes a per-class chart shows: all when they are at most `limit`; else the
    /// classes in `keep` (the forgotten ones) and, to fill `limit`, those whose value moved most between the
    /// first and the last series (the lowest in the last series where there is one series), in class order.
    public static func selectClasses(count: Int, series: [ChartSeries], keep: [Int], limit: Int = 40) -> [Int] {
        guard count > limit else { return Array(0 ..< count) }
        let kept = Set(keep.filter { (0 ..< count).contains($0) })
        func value(_ line: ChartSeries?, _ index: Int) -> Double? { line.flatMap { index < $0.values.count ? $0.values[index] : nil } }
        let score: (Int) -> Double = { index in
            let last = value(series.last, index) ?? 0
            guard series.count > 1 else { return -last }
            return abs(last - (value(series.first, index) ?? last))
        }
        let others = (0 ..< count).filter { !kept.contains($0) }.sorted { score($0) > score($1) || (score($0) == score($1) && $0 < $1) }
        return (Array(kept) + others.prefix(max(limit - kept.count, 0))).sorted()
    }

    // MARK: - Pieces

    /// A chart's size and margins, from what it has to hold.
    struct Canvas {
        static let plotHeight = 220.0, labelLimit = 18, legendLimit = 40
        var width: Double, height: Double
        var plot: (left: Double, right: Double, top: Double, bottom: Double)
        /// Whether column labels are slanted (they would overlap side by side).
        var slanted: Bool

        init(title: String, columns: Int, minimumColumnWidth: Double, labels: [String], legend: [String]) {
            let legendChars = legend.map { min($0.count, Self.legendLimit) }.max() ?? 0
            let legendWidth = legendChars == 0 ? 24 : max(100, Double(legendChars) * 6.2 + 40)
            let plotWidth = max(424, Double(columns) * minimumColumnWidth, Double(title.count) * 7.8 + 20 - 56 - legendWidth)
            let columnWidth = plotWidth / Double(max(columns, 1))
            slanted = Double(labels.map(\.count).max() ?? 0) * 6 > columnWidth * 0.9   // level labels are whole
            let labelChars = labels.map { min($0.count, Self.labelLimit) }.max() ?? 0
            let slant = Double(labelChars) * 6 * 0.72                    // a slanted label's reach down and left
            let bottom = slanted ? 24 + slant : 48
            plot = (left: slanted ? max(56, slant + 8 - columnWidth / 2) : 56, right: legendWidth, top: 36, bottom: bottom)
            width = plot.left + plotWidth + plot.right
            height = max(plot.top + Self.plotHeight + bottom, plot.top + Double(legend.count) * 16 + 8)
        }

        var plotWidth: Double { width - plot.left - plot.right }

        func y(_ value: Double, _ range: ClosedRange<Double>) -> Double {
            let clamped = min(max(value, range.lowerBound), range.upperBound)
            return height - plot.bottom - (clamped - range.lowerBound) / (range.upperBound - range.lowerBound)
                * (height - plot.top - plot.bottom)
        }

        static func ticks(_ range: ClosedRange<Double>) -> [Double] {
            (0 ... 4).map { range.lowerBound + Double($0) * (range.upperBound - range.lowerBound) / 4 }
        }

        func frame(title: String, yLabel: String, yRange: ClosedRange<Double>) -> String {
            var body = text(title, x: width / 2, y: 20, size: 14, anchor: "middle", bold: true)
            for tick in Self.ticks(yRange) {
                let level = y(tick, yRange)
                body += "<line x1=\"\(plot.left)\" y1=\"\(format(level))\" x2=\"\(format(width - plot.right))\" y2=\"\(format(level))\" stroke=\"#e5e5e5\"/>"
                body += text(format(tick), x: plot.left - 6, y: level + 4, size: 10, anchor: "end")
            }
            let axisY = format(height - plot.bottom)
            body += "<line x1=\"\(plot.left)\" y1=\"\(plot.top)\" x2=\"\(plot.left)\" y2=\"\(axisY)\" stroke=\"#333\"/>"
            body += "<line x1=\"\(plot.left)\" y1=\"\(axisY)\" x2=\"\(format(width - plot.right))\" y2=\"\(axisY)\" stroke=\"#333\"/>"
            body += text(yLabel, x: 14, y: (plot.top + height - plot.bottom) / 2, size: 11, anchor: "middle", rotate: -90)
            return body
        }

        /// A category's label under the axis at `x`: level, or slanted and ending at `x` when they would
        /// overlap; shortened to ``labelLimit`` characters with the full text as a tooltip.
        func columnLabel(_ label: String, x: Double) -> String {
            let top = height - plot.bottom + 14
            if slanted {
                return text(shortened(label, to: Self.labelLimit), x: x, y: top, size: 10, anchor: "end", rotate: -45,
                            tooltip: label)
            }
            return text(label, x: x, y: top + 2, size: 10, anchor: "middle")
        }

        /// The legend column: a colour square for the first `colored` names, the rest as plain text.
        func legend(_ names: [String], colored: Int) -> String {
            names.enumerated().map { index, name in
                let top = plot.top + Double(index) * 16, left = width - plot.right + 12
                let mark = index < colored ? rect(x: left, y: top, width: 10, height: 10, color: palette[index % palette.count]) : ""
                return mark + text(shortened(name, to: Self.legendLimit), x: left + 14, y: top + 9, size: 10, anchor: "start",
                                   tooltip: name)
            }.joined()
        }

        func wrap(_ body: String) -> String {
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" "
                + "height=\"\(Int(height))\" font-family=\"sans-serif\">" + body + "</svg>"
        }
    }

    static func shortened(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    static func rect(x: Double, y: Double, width: Double, height: Double, color: String, tooltip: String? = nil) -> String {
        "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(width))\" height=\"\(format(height))\" fill=\"\(color)\">"
            + (tooltip.map { "<title>\(escape($0))</title>" } ?? "") + "</rect>"
    }

    static func text(_ content: String, x: Double, y: Double, size: Int, anchor: String, bold: Bool = false,
                     rotate: Double = 0, tooltip: String? = nil) -> String {
        let transform = rotate == 0 ? "" : " transform=\"rotate(\(format(rotate)) \(format(x)) \(format(y)))\""
        let title = tooltip.flatMap { $0 == content ? nil : "<title>\(escape($0))</title>" } ?? ""
        return "<text x=\"\(format(x))\" y=\"\(format(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\""
            + (bold ? " font-weight=\"bold\"" : "") + transform + ">\(title)\(escape(content))</text>"
    }

    /// `&`, `<`, `>`, `"` as XML entities.
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
