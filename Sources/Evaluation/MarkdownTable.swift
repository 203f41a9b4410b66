import Foundation
import Tensors

/// A GitHub-flavoured Markdown table whose columns are padded to equal width, so the same text reads
/// well in a terminal and renders as a table in a browser.
///
/// ```swift
/// let table = MarkdownTable(header: ["class", "accuracy"], rows: [["george", "98.0"], ["theo", "96.5"]],
///                           rightAligned: [1])
/// print(table.rendered)
/// // | class  | accuracy |
/// // |--------|---------:|
/// // | george |     98.0 |
/// // | theo   |     96.5 |
/// ```
public struct MarkdownTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]
    /// Columns (by index) aligned right, as numbers read best.
    public var rightAligned: Set<Int>

    /// - Precondition: every row has as many cells as the header.
    public init(header: [String], rows: [[String]], rightAligned: Set<Int> = []) {
        for (index, row) in rows.enumerated() {
            checkPrecondition(row.count == header.count,
                              "MarkdownTable: row \(index) has \(row.count) cells for \(header.count) columns")
        }
        self.header = header
        self.rows = rows
        self.rightAligned = rightAligned
    }

    /// The table as Markdown text, one line per row, ending in a newline. A `|` inside a cell is escaped.
    public var rendered: String {
        let escaped = ([header] + rows).map { $0.map { $0.replacingOccurrences(of: "|", with: "\\|") } }
        let widths = header.indices.map { column in max(3, escaped.map { $0[column].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }
            return "| " + padded.joined(separator: " | ") + " |\n"
        }
        let rule = "|" + widths.enumerated().map { column, width in
            rightAligned.contains(column) ? String(repeating: "-", count: width + 1) + ":"
                : String(repeating: "-", count: width + 2)
        }.joined(separator: "|") + "|\n"
        return line(escaped[0]) + rule + escaped.dropFirst().map(line).joined()
    }

    /// The same table as an HTML `<table>` (cells escaped), for HTML reports.
    public var html: String {
        func row(_ cells: [String], tag: String) -> String {
            "<tr>" + cells.enumerated().map { column, cell in
                "<\(tag)\(rightAligned.contains(column) ? " class=\"number\"" : "")>\(SVGChart.escape(cell))</\(tag)>"
            }.joined() + "</tr>"
        }
        return "<table><thead>" + row(header, tag: "th") + "</thead><tbody>"
            + rows.map { row($0, tag: "td") }.joined() + "</tbody></table>"
    }

    /// A percentage with `digits` decimals, or `n/a` for an undefined value.
    public static func percent(_ value: Double?, digits: Int = 1) -> String {
        guard let value else { return "n/a" }
        return String(format: "%.\(digits)f", value)
    }
}
