import Foundation

/// The page around every report: one self-contained UTF-8 HTML file. Inline CSS and SVG only — no
/// script, no web font, no image, no URL — because it is opened from a mail attachment or a file
/// share, often offline, and mail clients strip scripts anyway. Chinese renders through a
/// CJK-capable system font stack (the file declares UTF-8 twice over: the meta tag and, when
/// served, the caller's Content-Type).
public struct ReportPage {
    public var title: String
    public var heading: String
    public var subheading: String
    /// Sections in order, already rendered.
    public var body: [String] = []
    public var footer: String

    public init(title: String, heading: String, subheading: String, footer: String) {
        self.title = title
        self.heading = heading
        self.subheading = subheading
        self.footer = footer
    }

    public static let fontStack = "\"Noto Sans CJK TC\", \"Noto Sans CJK SC\", \"Noto Sans TC\", \"Microsoft JhengHei\", "
        + "\"PingFang TC\", \"Hiragino Sans\", \"Source Han Sans TC\", \"WenQuanYi Micro Hei\", sans-serif"

    static let css = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; padding: 24px 28px 40px; font-family: \(fontStack); font-size: 14px; color: #1d2430;
               background: #f4f6f9; line-height: 1.45; }
        header h1 { margin: 0 0 2px; font-size: 22px; }
        header .sub { color: #566273; margin: 0 0 16px; }
        section { background: #fff; border: 1px solid #dfe3ea; border-radius: 8px; padding: 14px 18px; margin: 0 0 18px; }
        section > h2 { margin: 0 0 10px; font-size: 16px; }
        .notice { border-radius: 8px; padding: 12px 16px; margin: 0 0 14px; font-weight: 600; border: 2px solid; }
        .notice.partial, .notice.failed { background: #fff4e5; border-color: #e08a00; color: #6b4000; }
        .notice.empty { background: #eef3fb; border-color: #4a78c2; color: #1f3d6e; }
        .notice.error { background: #fdecec; border-color: #c83232; color: #6e1313; }
        .notice small { display: block; font-weight: 400; margin-top: 4px; }
        dl.query { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 4px 18px; margin: 0; }
        @media (max-width: 900px) { dl.query { grid-template-columns: max-content 1fr; } }
        h3 { font-size: 13px; margin: 14px 0 6px; color: #344050; }
        dl.query dt { color: #566273; }
        dl.query dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; }
        .card { background: #fff; border: 1px solid #dfe3ea; border-left: 4px solid #3b6fb6; border-radius: 8px; padding: 10px 14px; }
        .card .label { color: #566273; font-size: 12px; }
        .card .value { font-size: 22px; font-weight: 700; overflow-wrap: anywhere; }
        .card .hint { color: #7a8594; font-size: 11px; }
        .grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(540px, 1fr)); gap: 14px; }
        .grid2.compact { grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); }
        section > figure.chart + figure.chart { margin-top: 14px; }
        figure.chart { margin: 0; background: #fff; border: 1px solid #dfe3ea; border-radius: 8px; padding: 10px 12px; min-width: 0; }
        figure.chart figcaption { font-weight: 700; margin-bottom: 6px; }
        figure.chart figcaption .key { font-weight: 400; color: #7a8594; font-size: 11px; margin-left: 6px; }
        figure.chart svg { display: block; max-width: 100%; height: auto; }
        figure.chart.trend svg { width: 100%; }
        svg text { font-family: \(fontStack); fill: #344050; }
        svg .tick { font-size: 10px; fill: #6b7685; }
        svg .label { font-size: 11px; }
        svg .value { font-size: 9.5px; fill: #344050; }
        svg .axis-label { font-size: 11px; fill: #566273; }
        svg .grid { stroke: #e7eaf0; stroke-width: 1; }
        svg .axis { stroke: #9aa3b0; stroke-width: 1; }
        svg rect.bar { fill: #3b6fb6; }
        svg rect.bar.folded { fill: #9aa7ba; }
        svg polyline.cum { fill: none; stroke: #e07b1f; stroke-width: 2; }
        svg circle.cum { fill: #e07b1f; }
        svg rect.bar.s-input_qty { fill: #a9c0e3; }
        svg rect.bar.s-defect_qty, svg rect.bar.s-reject_qty { fill: #c8463c; }
        svg polyline.rate { fill: none; stroke: #1f8a5b; stroke-width: 2; }
        svg circle.rate { fill: #1f8a5b; }
        svg .axis-label.rate, svg .tick.rate { fill: #1f8a5b; }
        .nodata { color: #1f3d6e; background: #eef3fb; border: 1px dashed #4a78c2; border-radius: 6px; padding: 18px; text-align: center;
                 font-weight: 600; margin: 4px 0; }
        .note { color: #6b7685; font-size: 12px; margin: 6px 0 0; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; font-size: 12.5px; }
        table.data { width: 100%; }
        th, td { border: 1px solid #e1e5eb; padding: 4px 8px; text-align: left; vertical-align: top; }
        thead th { background: #eef1f6; position: sticky; top: 0; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        table.heat td { text-align: right; font-variant-numeric: tabular-nums; min-width: 56px; white-space: nowrap; }
        table.heat td.none { background: #fafbfc; }
        table.heat .total { background: #f4f6f9; font-weight: 600; }
        .status-complete { color: #1f8a5b; font-weight: 600; }
        .status-partial, .status-truncated, .status-pending { color: #b86e00; font-weight: 700; }
        .status-failed, .status-error { color: #c83232; font-weight: 700; }
        .bar-inline { display: inline-block; height: 10px; background: #3b6fb6; border-radius: 2px; vertical-align: middle; }
        footer { color: #7a8594; font-size: 12px; margin-top: 8px; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; background: #eef1f6; padding: 1px 4px;
               border-radius: 3px; overflow-wrap: anywhere; }
        @media print { body { background: #fff; padding: 0; } section, figure.chart { break-inside: avoid; } }
        """

    public func render() -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"zh-Hant\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta name=\"generator\" content=\"tracespool\">\n"
        out += "<title>\(HTML.escape(title))</title>\n<style>\n\(ReportPage.css)\n</style>\n</head>\n<body>\n"
        out += "<header><h1>\(HTML.escape(heading))</h1><p class=\"sub\">\(HTML.escape(subheading))</p></header>\n"
        for b in body { out += b + "\n" }
        out += "<footer>\(HTML.escape(footer))</footer>\n</body>\n</html>\n"
        return out
    }

    // MARK: parts shared by the MSD and the job report

    /// A banner people cannot miss; `kind` is also `data-notice` (partial, empty, error …).
    public static func notice(_ kind: String, _ text: String, detail: String? = nil) -> String {
        "<div class=\"notice \(HTML.escape(kind))\" data-notice=\"\(HTML.escape(kind))\" role=\"alert\">\(HTML.escape(text))"
            + (detail.map { "<small>\(HTML.escape($0))</small>" } ?? "") + "</div>"
    }

    public static func section(_ title: String, id: String, _ content: String) -> String {
        "<section id=\"\(HTML.escape(id))\"><h2>\(HTML.escape(title))</h2>\(content)</section>"
    }

    /// Label / value pairs (values are text, escaped here).
    public static func definitions(_ pairs: [(String, String)]) -> String {
        "<dl class=\"query\">" + pairs.map { "<dt>\(HTML.escape($0.0))</dt><dd>\(HTML.escape($0.1))</dd>" }.joined() + "</dl>"
    }

    public struct Card {
        public var key: String
        public var label: String
        /// The JSON's value as text (`data-value`); nil for a null.
        public var raw: String?
        public var shown: String
        public var hint: String

        public init(key: String, label: String, raw: String?, shown: String, hint: String = "") {
            self.key = key
            self.label = label
            self.raw = raw
            self.shown = shown
            self.hint = hint
        }
    }

    public static func cards(_ cards: [Card]) -> String {
        "<div class=\"cards\">" + cards.map { c in
            "<div class=\"card\" data-kpi=\"\(HTML.escape(c.key))\"" + (c.raw.map { " data-value=\"\(HTML.escape($0))\"" } ?? "") + ">"
                + "<div class=\"label\">\(HTML.escape(c.label))</div><div class=\"value\">\(HTML.escape(c.shown))</div>"
                + (c.hint.isEmpty ? "" : "<div class=\"hint\">\(HTML.escape(c.hint))</div>") + "</div>"
        }.joined() + "</div>"
    }

    /// A plain data table; `numeric[i]` right-aligns column i. Cells are text, escaped here.
    public static func table(header: [String], rows: [[String]], numeric: [Bool], key: String? = nil) -> String {
        tableHTML(header: header, rows: rows.map { $0.map(HTML.escape) }, numeric: numeric, key: key)
    }

    /// The same with cells that are already HTML (built from escaped parts, e.g. a coloured status).
    public static func tableHTML(header: [String], rows: [[String]], numeric: [Bool], key: String? = nil) -> String {
        var out = "<div class=\"scroll\"><table class=\"data\"" + (key.map { " data-table=\"\(HTML.escape($0))\"" } ?? "") + "><thead><tr>"
        for (i, h) in header.enumerated() { out += "<th\(i < numeric.count && numeric[i] ? " class=\"num\"" : "")>\(HTML.escape(h))</th>" }
        out += "</tr></thead><tbody>"
        for r in rows {
            out += "<tr>"
            for (i, c) in r.enumerated() { out += "<td\(i < numeric.count && numeric[i] ? " class=\"num\"" : "")>\(c)</td>" }
            out += "</tr>"
        }
        return out + "</tbody></table></div>"
    }

    /// A status word coloured by what it means (complete / partial / failed …).
    public static func status(_ s: String) -> String {
        "<span class=\"status-\(HTML.escape(s))\">\(HTML.escape(s))</span>"
    }
}
