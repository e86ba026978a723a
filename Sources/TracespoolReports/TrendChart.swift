import Foundation

/// A daily trend as inline SVG: stacked panels on one date axis, each with bars (a quantity, left
/// axis) and optionally a line (a rate, right axis). Input and defects differ by two orders of
/// magnitude (7.8 M vs 45 K on the test warehouse), so they get panels of their own rather than one
/// axis where the defects would be invisible.
public struct TrendChart {
    public struct Series {
        /// The field name in the summary's trend rows (`input_qty`, `defect_rate` …): `data-series`.
        public var key: String
        public var label: String
        public var values: [Double]
        /// Display scale for the axis and tooltips (100 for a fraction shown as %); `data-value`
        /// always carries the JSON's own number.
        public var displayScale: Double
        public var percent: Bool

        public init(key: String, label: String, values: [Double], percent: Bool = false, displayScale: Double = 1) {
            self.key = key
            self.label = label
            self.values = values
            self.percent = percent
            self.displayScale = displayScale
        }
    }

    public struct Panel {
        public var bars: Series
        public var line: Series?
        public init(bars: Series, line: Series? = nil) {
            self.bars = bars
            self.line = line
        }
    }

    public var key: String
    public var title: String
    public var dates: [String]
    public var panels: [Panel]
    public var notes: [String] = []

    public init(key: String, title: String, dates: [String], panels: [Panel], notes: [String] = []) {
        self.key = key
        self.title = title
        self.dates = dates
        self.panels = panels
        self.notes = notes
    }

    static let left = 64.0, right = 60.0, panelHeight = 130.0, panelGap = 34.0, top = 26.0, bottom = 30.0
    static let minSlot = 12.0, plotMinWidth = 1040.0
    /// A horizontal `MM-DD` label at 10 px is about 30 px wide: every k-th date is labelled so that
    /// labels keep at least that distance (every date still has its bar and tooltip).
    static let labelSpacing = 36.0

    public func figure() -> String {
        var out = "<figure class=\"chart trend\" data-chart=\"\(HTML.escape(key))\">"
        out += "<figcaption>\(HTML.escape(title)) <span class=\"key\">\(HTML.escape(key))</span></figcaption>"
        out += dates.isEmpty ? "<p class=\"nodata\" data-empty=\"true\">無資料 · no daily trend (no dated rows)</p>" : svg()
        for n in notes { out += "<p class=\"note\">\(HTML.escape(n))</p>" }
        return out + "</figure>"
    }

    func svg() -> String {
        let n = Double(dates.count)
        let slot = max(TrendChart.minSlot, TrendChart.plotMinWidth / n)
        let plotW = slot * n
        let width = TrendChart.left + plotW + TrendChart.right
        let height = TrendChart.top + Double(panels.count) * (TrendChart.panelHeight + TrendChart.panelGap) - TrendChart.panelGap
            + TrendChart.bottom
        var s = "<svg class=\"trend\" role=\"img\" width=\"\(HTML.px(width))\" height=\"\(HTML.px(height))\" "
            + "viewBox=\"0 0 \(HTML.px(width)) \(HTML.px(height))\" aria-label=\"\(HTML.escape(title))\">"
        let every = max(1, Int((TrendChart.labelSpacing / slot).rounded(.up)))
        for (p, panel) in panels.enumerated() {
            let top = TrendChart.top + Double(p) * (TrendChart.panelHeight + TrendChart.panelGap)
            let base = top + TrendChart.panelHeight
            let barMax = Axis.niceMax((panel.bars.values.max() ?? 0) * panel.bars.displayScale)
            func yBar(_ v: Double) -> Double { base - v * panel.bars.displayScale / barMax * TrendChart.panelHeight }
            for i in 0...2 {
                let v = barMax * Double(i) / 2
                let yy = base - Double(i) / 2 * TrendChart.panelHeight
                s += "<line class=\"grid\" x1=\"\(HTML.px(TrendChart.left))\" x2=\"\(HTML.px(TrendChart.left + plotW))\" "
                    + "y1=\"\(HTML.px(yy))\" y2=\"\(HTML.px(yy))\"/>"
                s += "<text class=\"tick\" x=\"\(HTML.px(TrendChart.left - 6))\" y=\"\(HTML.px(yy + 4))\" text-anchor=\"end\">"
                    + (panel.bars.percent ? Axis.compact(v) + "%" : Axis.compact(v)) + "</text>"
            }
            s += "<text class=\"axis-label s-\(HTML.escape(panel.bars.key))\" x=\"\(HTML.px(TrendChart.left))\" y=\"\(HTML.px(top - 8))\">"
                + "▮ \(HTML.escape(panel.bars.label))</text>"
            let barW = slot * 0.7
            for (i, v) in panel.bars.values.enumerated() where i < dates.count {
                let x = TrendChart.left + slot * Double(i) + (slot - barW) / 2
                let yy = yBar(v)
                let shown = panel.bars.percent ? HTML.raw(v * panel.bars.displayScale) + "%" : HTML.qty(v)
                s += "<rect class=\"bar s-\(HTML.escape(panel.bars.key))\" data-series=\"\(HTML.escape(panel.bars.key))\" "
                    + "data-date=\"\(HTML.escape(dates[i]))\" data-value=\"\(HTML.raw(v))\" x=\"\(HTML.px(x))\" y=\"\(HTML.px(yy))\" "
                    + "width=\"\(HTML.px(barW))\" height=\"\(HTML.px(max(0, base - yy)))\">"
                    + "<title>\(HTML.escape(dates[i])) \(HTML.escape(panel.bars.label)): \(HTML.escape(shown))</title></rect>"
            }
            if let line = panel.line {
                let lineMax = Axis.niceMax((line.values.max() ?? 0) * line.displayScale)
                func yLine(_ v: Double) -> Double { base - v * line.displayScale / lineMax * TrendChart.panelHeight }
                for i in 0...2 {
                    let v = lineMax * Double(i) / 2
                    s += "<text class=\"tick rate\" x=\"\(HTML.px(TrendChart.left + plotW + 6))\" "
                        + "y=\"\(HTML.px(base - Double(i) / 2 * TrendChart.panelHeight + 4))\">"
                        + (line.percent ? Axis.compact(v) + "%" : Axis.compact(v)) + "</text>"
                }
                s += "<text class=\"axis-label rate\" x=\"\(HTML.px(width - 8))\" y=\"\(HTML.px(top - 8))\" text-anchor=\"end\">"
                    + "— \(HTML.escape(line.label))</text>"
                let pts = line.values.prefix(dates.count).enumerated().map { i, v in
                    (TrendChart.left + slot * (Double(i) + 0.5), yLine(v), v, i)
                }
                s += "<polyline class=\"rate\" points=\"" + pts.map { "\(HTML.px($0.0)),\(HTML.px($0.1))" }.joined(separator: " ") + "\"/>"
                for p in pts {
                    let shown = line.percent ? HTML.raw(p.2 * line.displayScale) + "%" : HTML.raw(p.2)
                    s += "<circle class=\"rate\" data-series=\"\(HTML.escape(line.key))\" data-date=\"\(HTML.escape(dates[p.3]))\" "
                        + "data-value=\"\(HTML.raw(p.2))\" cx=\"\(HTML.px(p.0))\" cy=\"\(HTML.px(p.1))\" r=\"2.5\">"
                        + "<title>\(HTML.escape(dates[p.3])) \(HTML.escape(line.label)): \(HTML.escape(shown))</title></circle>"
                }
            }
            s += "<line class=\"axis\" x1=\"\(HTML.px(TrendChart.left))\" x2=\"\(HTML.px(TrendChart.left + plotW))\" "
                + "y1=\"\(HTML.px(base))\" y2=\"\(HTML.px(base))\"/>"
            // Dates under the last panel only: the panels share the axis.
            if p == panels.count - 1 {
                for (i, d) in dates.enumerated() where i % every == 0 {
                    let x = TrendChart.left + slot * (Double(i) + 0.5)
                    let short = d.count == 10 ? String(d.dropFirst(5)) : d
                    s += "<text class=\"label date\" x=\"\(HTML.px(x))\" y=\"\(HTML.px(base + 16))\" text-anchor=\"middle\">"
                        + "\(HTML.escape(HTML.truncate(short, columns: 10)))</text>"
                }
            }
        }
        return s + "</svg>"
    }
}
