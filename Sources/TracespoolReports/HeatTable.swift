import Foundation

/// A matrix as an HTML table whose cell shade follows a value (the reference's heat tables: reason ×
/// downstream station, front reason × downstream reason by row %). A table rather than SVG: the
/// numbers stay selectable and copyable, and long Chinese row names wrap instead of overlapping.
public struct HeatTable {
    public struct Cell {
        /// The JSON's number (`data-value`).
        public var value: Double
        /// 0…1: the shade (alpha of the heat colour).
        public var intensity: Double
        public var text: String
        /// Extra attributes as (name, raw value) pairs (e.g. `data-pct`), escaped when written.
        public var attributes: [(String, String)]
        public var tooltip: String

        public init(value: Double, intensity: Double, text: String, attributes: [(String, String)] = [], tooltip: String = "") {
            self.value = value
            self.intensity = intensity
            self.text = text
            self.attributes = attributes
            self.tooltip = tooltip
        }
    }

    public var key: String
    public var title: String
    public var corner: String
    public var rows: [String]
    public var columns: [String]
    /// `cells[row][column]`; nil: no such pair in the JSON (shown blank, not as 0).
    public var cells: [[Cell?]]
    public var rowTotals: [String]?
    public var columnTotals: [String]?
    public var notes: [String] = []

    public init(key: String, title: String, corner: String, rows: [String], columns: [String], cells: [[Cell?]],
                rowTotals: [String]? = nil, columnTotals: [String]? = nil, notes: [String] = []) {
        self.key = key
        self.title = title
        self.corner = corner
        self.rows = rows
        self.columns = columns
        self.cells = cells
        self.rowTotals = rowTotals
        self.columnTotals = columnTotals
        self.notes = notes
    }

    public func figure() -> String {
        var out = "<figure class=\"chart heat\" data-chart=\"\(HTML.escape(key))\">"
        out += "<figcaption>\(HTML.escape(title)) <span class=\"key\">\(HTML.escape(key))</span></figcaption>"
        if rows.isEmpty || columns.isEmpty {
            out += "<p class=\"nodata\" data-empty=\"true\">無資料 · no cells (no downstream rejects under this query)</p>"
        } else {
            out += "<div class=\"scroll\"><table class=\"heat\"><thead><tr><th class=\"corner\">\(HTML.escape(corner))</th>"
            for c in columns { out += "<th scope=\"col\">\(HTML.escape(c))</th>" }
            if rowTotals != nil { out += "<th scope=\"col\" class=\"total\">合計 total</th>" }
            out += "</tr></thead><tbody>"
            for (r, name) in rows.enumerated() {
                out += "<tr><th scope=\"row\">\(HTML.escape(name))</th>"
                for (c, column) in columns.enumerated() {
                    guard r < cells.count, c < cells[r].count, let cell = cells[r][c] else {
                        out += "<td class=\"none\" data-row=\"\(HTML.escape(name))\" data-col=\"\(HTML.escape(column))\"></td>"
                        continue
                    }
                    let a = min(max(cell.intensity, 0), 1)
                    // White text on the darker half so every number stays readable.
                    let style = "background:rgba(200,45,45,\(String(format: "%.3f", 0.06 + 0.84 * a)))" + (a > 0.55 ? ";color:#fff" : "")
                    out += "<td data-row=\"\(HTML.escape(name))\" data-col=\"\(HTML.escape(column))\" data-value=\"\(HTML.raw(cell.value))\""
                    for (k, v) in cell.attributes { out += " \(HTML.escape(k))=\"\(HTML.escape(v))\"" }
                    out += " style=\"\(style)\"" + (cell.tooltip.isEmpty ? "" : " title=\"\(HTML.escape(cell.tooltip))\"")
                    out += ">\(HTML.escape(cell.text))</td>"
                }
                if let t = rowTotals { out += "<td class=\"total\">\(HTML.escape(r < t.count ? t[r] : ""))</td>" }
                out += "</tr>"
            }
            out += "</tbody>"
            if let t = columnTotals {
                out += "<tfoot><tr><th scope=\"row\">合計 total</th>"
                for c in columns.indices { out += "<td class=\"total\">\(HTML.escape(c < t.count ? t[c] : ""))</td>" }
                if rowTotals != nil { out += "<td class=\"total\"></td>" }
                out += "</tr></tfoot>"
            }
            out += "</table></div>"
        }
        for n in notes { out += "<p class=\"note\">\(HTML.escape(n))</p>" }
        return out + "</figure>"
    }
}
