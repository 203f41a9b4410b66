import Tensors
import Foundation

/// A plain-text table with aligned columns: the leading text columns left-aligned, the others
/// (numbers) right-aligned, separated by two spaces, with a dashed rule under the header.
///
/// ```
/// size    direct ms  engine ms
/// ------  ---------  ---------
/// 512         2.61       2.64
/// ```
struct TextTable {
    let header: [String]
    /// How many leading columns hold text (left-aligned).
    let textColumns: Int
    private(set) var rows: [[String]] = []

    init(textColumns: Int = 1, _ header: String...) {
        self.header = header
        self.textColumns = textColumns
    }

    /// Appends a row; it must have one cell per column.
    mutating func append(_ cells: [String]) {
        checkPrecondition(cells.count == header.count, "row has \(cells.count) cells, table has \(header.count) columns")
        rows.append(cells)
    }

    /// The table as lines of text, without a trailing newline.
    var rendered: String {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column < textColumns ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }
        return ([line(header), line(rule)] + rows.map(line)).joined(separator: "\n")
    }
}

/// Number formatting for the tables: fixed decimals, so columns line up.
enum Format {
    /// `value` with `decimals` digits after the point, e.g. `fixed(3.14159, 2)` is `"3.14"`.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        value.isFinite ? String(format: "%.\(decimals)f", value) : "–"
    }

    /// Milliseconds: three decimals below 10 ms, fewer above.
    static func milliseconds(_ value: Double) -> String {
        fixed(value, value < 10 ? 3 : value < 100 ? 2 : 1)
    }

    /// GFLOP/s with one decimal.
    static func rate(_ value: Double) -> String { fixed(value, 1) }

    /// A ratio such as engine/direct, with three decimals.
    static func ratio(_ value: Double) -> String { fixed(value, 3) }
}
