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
/// ```swift
/// let svg = SVGChart.groupedBars(title: "Accuracy per class", categories: ["george", "theo"],
///                                series: [ChartSeries(name: "before", values: [100, 98])], yLabel: "%")
/// ```
public enum SVGChart {
    /// The colours of successive series (colour-blind-safe, Okabe–Ito).
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
                                 "#000000", "#999999", "#882255", "#44AA99", "#117733"]

    static let width = 640.0, height = 320.0
    static let plot = (left: 56.0, right: 160.0, top: 36.0, bottom: 64.0)

    /// Bars grouped by category, one bar per series; an optional dashed reference line (e.g. retraining's value).
    public static func groupedBars(title: String, categories: [String], series: [ChartSeries], yLabel: String,
                                   yRange: ClosedRange<Double> = 0 ... 100,
                                   reference: (value: Double, label: String)? = nil) -> String {
        var body = frame(title: title, yLabel: yLabel, yRange: yRange)
        let plotWidth = width - plot.left - plot.right
        let groupWidth = plotWidth / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        for (index, category) in categories.enumerated() {
            let groupLeft = plot.left + Double(index) * groupWidth + groupWidth * 0.1
            for (s, line) in series.enumerated() {
                guard index < line.values.count, let value = line.values[index] else { continue }
                let top = y(value, yRange), bottom = y(yRange.lowerBound, yRange)
                body += rect(x: groupLeft + Double(s) * barWidth, y: top, width: barWidth * 0.92,
                             height: max(bottom - top, 0), color: palette[s % palette.count],
                             tooltip: "\(line.name), \(category): \(format(value))")
            }
            body += text(category, x: groupLeft + groupWidth * 0.4, y: height - plot.bottom + 14, size: 10,
                         anchor: "end", rotate: categories.count > 6 ? -30 : 0)
        }
        if let reference {
            let level = y(reference.value, yRange)
            body += "<line x1=\"\(plot.left)\" y1=\"\(level)\" x2=\"\(width - plot.right)\" y2=\"\(level)\" "
                + "stroke=\"#333\" stroke-dasharray=\"5,4\"/>"
            body += text(reference.label, x: width - plot.right + 4, y: level + 4, size: 10, anchor: "start")
        }
        return wrap(body + legend(series.map(\.name)))
    }

    /// One line with dots per series over labelled x positions.
    public static func lines(title: String, xLabels: [String], series: [ChartSeries], yLabel: String,
                             yRange: ClosedRange<Double> = 0 ... 100) -> String {
        var body = frame(title: title, yLabel: yLabel, yRange: yRange)
        let step = (width - plot.left - plot.right) / Double(max(xLabels.count - 1, 1))
        func x(_ index: Int) -> Double { plot.left + (xLabels.count == 1 ? step / 2 : Double(index) * step) }
        for (index, label) in xLabels.enumerated() {
            body += text(label, x: x(index), y: height - plot.bottom + 16, size: 10, anchor: "middle")
        }
        for (s, line) in series.enumerated() {
            let color = palette[s % palette.count]
            let points = line.values.enumerated().compactMap { index, value in value.map { (x(index), y($0, yRange), $0) } }
            if points.count > 1 {
                body += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\""
                    + points.map { "\(format($0.0)),\(format($0.1))" }.joined(separator: " ") + "\"/>"
            }
            for point in points {
                body += "<circle cx=\"\(format(point.0))\" cy=\"\(format(point.1))\" r=\"3.5\" fill=\"\(color)\">"
                    + "<title>\(escape(line.name)): \(format(point.2))</title></circle>"
            }
        }
        return wrap(body + legend(series.map(\.name)))
    }

    /// Labelled points, e.g. one per method: privacy (x) against utility (y).
    public static func scatter(title: String, points: [(label: String, x: Double, y: Double)], xLabel: String,
                               yLabel: String, xRange: ClosedRange<Double> = 0 ... 100,
                               yRange: ClosedRange<Double> = 0 ... 100) -> String {
        var body = frame(title: title, yLabel: yLabel, yRange: yRange)
        let plotWidth = width - plot.left - plot.right
        func x(_ value: Double) -> Double {
            plot.left + (min(max(value, xRange.lowerBound), xRange.upperBound) - xRange.lowerBound)
                / (xRange.upperBound - xRange.lowerBound) * plotWidth
        }
        for tick in ticks(xRange) {
            body += text(format(tick), x: x(tick), y: height - plot.bottom + 16, size: 10, anchor: "middle")
        }
        body += text(xLabel, x: plot.left + plotWidth / 2, y: height - 18, size: 11, anchor: "middle")
        for (index, point) in points.enumerated() {
            let color = palette[index % palette.count]
            body += "<circle cx=\"\(format(x(point.x)))\" cy=\"\(format(y(point.y, yRange)))\" r=\"5\" fill=\"\(color)\">"
                + "<title>\(escape(point.label)): \(format(point.x)), \(format(point.y))</title></circle>"
        }
        return wrap(body + legend(points.map(\.label)))
    }

    // MARK: - Pieces

    static func y(_ value: Double, _ range: ClosedRange<Double>) -> Double {
        let clamped = min(max(value, range.lowerBound), range.upperBound)
        return height - plot.bottom - (clamped - range.lowerBound) / (range.upperBound - range.lowerBound)
            * (height - plot.top - plot.bottom)
    }

    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        (0 ... 4).map { range.lowerBound + Double($0) * (range.upperBound - range.lowerBound) / 4 }
    }

    static func frame(title: String, yLabel: String, yRange: ClosedRange<Double>) -> String {
        var body = text(title, x: width / 2, y: 20, size: 14, anchor: "middle", bold: true)
        for tick in ticks(yRange) {
            let level = y(tick, yRange)
            body += "<line x1=\"\(plot.left)\" y1=\"\(format(level))\" x2=\"\(width - plot.right)\" y2=\"\(format(level))\" stroke=\"#e5e5e5\"/>"
            body += text(format(tick), x: plot.left - 6, y: level + 4, size: 10, anchor: "end")
        }
        body += "<line x1=\"\(plot.left)\" y1=\"\(plot.top)\" x2=\"\(plot.left)\" y2=\"\(height - plot.bottom)\" stroke=\"#333\"/>"
        body += "<line x1=\"\(plot.left)\" y1=\"\(height - plot.bottom)\" x2=\"\(width - plot.right)\" y2=\"\(height - plot.bottom)\" stroke=\"#333\"/>"
        body += text(yLabel, x: 14, y: (plot.top + height - plot.bottom) / 2, size: 11, anchor: "middle", rotate: -90)
        return body
    }

    static func legend(_ names: [String]) -> String {
        names.enumerated().map { index, name in
            let top = plot.top + Double(index) * 16
            return rect(x: width - plot.right + 12, y: top, width: 10, height: 10, color: palette[index % palette.count])
                + text(name, x: width - plot.right + 26, y: top + 9, size: 10, anchor: "start")
        }.joined()
    }

    static func rect(x: Double, y: Double, width: Double, height: Double, color: String, tooltip: String? = nil) -> String {
        "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(width))\" height=\"\(format(height))\" fill=\"\(color)\">"
            + (tooltip.map { "<title>\(escape($0))</title>" } ?? "") + "</rect>"
    }

    static func text(_ content: String, x: Double, y: Double, size: Int, anchor: String, bold: Bool = false,
                     rotate: Double = 0) -> String {
        let transform = rotate == 0 ? "" : " transform=\"rotate(\(format(rotate)) \(format(x)) \(format(y)))\""
        return "<text x=\"\(format(x))\" y=\"\(format(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\""
            + (bold ? " font-weight=\"bold\"" : "") + transform + ">\(escape(content))</text>"
    }

    static func wrap(_ body: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" "
            + "height=\"\(Int(height))\" font-family=\"sans-serif\">" + body + "</svg>"
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
