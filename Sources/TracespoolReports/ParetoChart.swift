import Foundation

/// One Pareto chart as inline SVG: bars of a quantity in rank order and the cumulative-% polyline
/// of the reference dashboard (`msd.md` §6.5). Numbers are never recomputed here: each bar carries
/// the summary's value and cumulative % (`data-value`, `data-cumulative`), so the picture and the
/// JSON cannot disagree.
public struct ParetoChart {
    public struct Bar {
        public var name: String
        public var value: Double
        /// The summary's cumulative %, nil when its chart has none.
        public var cumulative: Double?
        /// Extra figures for the tooltip (lots, input, rate), already formatted.
        public var detail: String
        /// Summary rows this bar stands for when it is the folded 其他/others bar (0: a real row).
        public var folded = 0

        public init(name: String, value: Double, cumulative: Double?, detail: String = "") {
            self.name = name
            self.value = value
            self.cumulative = cumulative
            self.detail = detail
        }
    }

    /// The name the summary gives its own fold row (forward charts) and the label the report shows.
    public static let otherName = "其他"
    public static let otherLabel = "其他/others"

    /// `data-chart`: the chart's key in the summary JSON.
    public var key: String
    public var title: String
    public var valueLabel: String
    public var bars: [Bar]
    /// Shown under the chart (e.g. what the fold holds).
    public var notes: [String] = []

    public init(key: String, title: String, valueLabel: String, bars: [Bar], notes: [String] = []) {
        self.key = key
        self.title = title
        self.valueLabel = valueLabel
        self.bars = bars
        self.notes = notes
    }

    /// What the summary left out of a chart (its `charts_rest`): rows ranked beyond the summary's
    /// top 10 and their summed quantity.
    public struct Beyond {
        public var rows: Int
        public var value: Double
        public init(rows: Int, value: Double) {
            self.rows = rows
            self.value = value
        }
    }

    /// The first `top` rows as bars and the rest folded into one 其他/others bar. `summaryFolded`:
    /// the summary's last row is already its own 其他 fold (forward charts), so it joins the report's
    /// fold instead of being ranked as a factor. The fold's value sums the folded rows; its
    /// cumulative % is the last folded row's (the summary's running total up to the end of the fold).
    ///
    /// `beyond` (backward charts, whose summary keeps only its top 10): the rows past the summary's
    /// top join the fold too, so 其他/others is the whole rest of the chart. The summary's
    /// cumulative % covers its top 10 only, so then every bar's cumulative % is the running share
    /// of the chart's grand total (the summary's rows plus `beyond`), 2 dp like the summary's.
    public static func fold(_ rows: [Bar], top: Int, summaryFolded: Bool, beyond: Beyond? = nil) -> [Bar] {
        var ranked = rows
        var prior: Bar?
        if summaryFolded, ranked.last?.name == otherName { prior = ranked.removeLast() }
        let rest = Array(ranked.dropFirst(top)) + (prior.map { [$0] } ?? [])
        let extra = beyond.flatMap { $0.rows > 0 ? $0 : nil }
        guard !rest.isEmpty || extra != nil else { return ranked }
        let foldedValue = rest.reduce(0) { $0 + $1.value } + (extra?.value ?? 0)
        let foldedRows = rest.count + (extra?.rows ?? 0)
        var other = Bar(name: otherLabel, value: foldedValue, cumulative: rest.last?.cumulative,
                        detail: "\(foldedRows) row(s) folded")
        other.folded = foldedRows
        var shown = Array(ranked.prefix(top)) + [other]
        if let extra {
            let grand = ranked.reduce(0) { $0 + $1.value } + extra.value
            var running = 0.0
            for i in shown.indices {
                running += shown[i].value
                shown[i].cumulative = runningShare(running, grand)
            }
        }
        return shown
    }

    /// running ÷ total × 100 at 2 dp, half away from zero (the summary's `cumulative_pct` rule).
    public static func runningShare(_ running: Double, _ total: Double) -> Double {
        total == 0 ? 0 : (running / total * 100 * 100).rounded(.toNearestOrAwayFromZero) / 100
    }

    // Geometry (SVG user units = CSS px at 100 %). Labels are rotated 45° and cut to `labelColumns`
    // columns; adjacent rotated labels sit `slot × sin 45°` apart, so a slot of at least 30 keeps
    // 11 px labels from touching (the chart grows wider instead of squeezing bars).
    static let minSlot = 30.0, plotMinWidth = 540.0, plotHeight = 200.0
    static let left = 64.0, right = 52.0, top = 28.0, labelArea = 96.0, labelColumns = 16

    public func figure() -> String {
        var out = "<figure class=\"chart pareto\" data-chart=\"\(HTML.escape(key))\">"
        out += "<figcaption>\(HTML.escape(title)) <span class=\"key\">\(HTML.escape(key))</span></figcaption>"
        if bars.isEmpty {
            out += "<p class=\"nodata\" data-empty=\"true\">無資料 · no data for this chart</p>"
        } else {
            out += svg()
        }
        for n in notes { out += "<p class=\"note\">\(HTML.escape(n))</p>" }
        return out + "</figure>"
    }

    func svg() -> String {
        let n = Double(bars.count)
        let slot = max(ParetoChart.minSlot, ParetoChart.plotMinWidth / n)
        let plotW = slot * n
        let width = ParetoChart.left + plotW + ParetoChart.right
        let height = ParetoChart.top + ParetoChart.plotHeight + ParetoChart.labelArea
        let maxValue = Axis.niceMax(bars.map(\.value).max() ?? 0)
        let baseY = ParetoChart.top + ParetoChart.plotHeight
        func y(_ v: Double) -> Double { baseY - v / maxValue * ParetoChart.plotHeight }
        func yPct(_ p: Double) -> Double { baseY - min(max(p, 0), 100) / 100 * ParetoChart.plotHeight }

        var s = "<svg class=\"pareto\" role=\"img\" width=\"\(HTML.px(width))\" height=\"\(HTML.px(height))\" "
            + "viewBox=\"0 0 \(HTML.px(width)) \(HTML.px(height))\" aria-label=\"\(HTML.escape(title))\">"
        // Grid and the left (quantity) axis.
        for i in 0...4 {
            let v = maxValue * Double(i) / 4, yy = y(v)
            s += "<line class=\"grid\" x1=\"\(HTML.px(ParetoChart.left))\" x2=\"\(HTML.px(ParetoChart.left + plotW))\" "
                + "y1=\"\(HTML.px(yy))\" y2=\"\(HTML.px(yy))\"/>"
            s += "<text class=\"tick\" x=\"\(HTML.px(ParetoChart.left - 6))\" y=\"\(HTML.px(yy + 4))\" text-anchor=\"end\">\(Axis.compact(v))</text>"
            let p = Double(i) * 25
            s += "<text class=\"tick pct\" x=\"\(HTML.px(ParetoChart.left + plotW + 6))\" y=\"\(HTML.px(yPct(p) + 4))\">\(Int(p))%</text>"
        }
        s += "<text class=\"axis-label\" x=\"12\" y=\"\(HTML.px(ParetoChart.top - 12))\">\(HTML.escape(valueLabel))</text>"
        s += "<text class=\"axis-label\" x=\"\(HTML.px(width - 8))\" y=\"\(HTML.px(ParetoChart.top - 12))\" text-anchor=\"end\">累計 cumulative %</text>"

        let barW = slot * 0.62
        var points: [(Double, Double, Double)] = []
        for (i, b) in bars.enumerated() {
            let cx = ParetoChart.left + slot * (Double(i) + 0.5)
            let top = y(b.value)
            let tip = "\(b.name): \(HTML.qty(b.value))" + (b.cumulative.map { " · 累計 \(HTML.raw($0))%" } ?? "")
                + (b.detail.isEmpty ? "" : " · \(b.detail)")
            s += "<rect class=\"bar\(b.folded > 0 ? " folded" : "")\" data-index=\"\(i)\" data-name=\"\(HTML.escape(b.name))\" "
                + "data-value=\"\(HTML.raw(b.value))\""
                + (b.cumulative.map { " data-cumulative=\"\(HTML.raw($0))\"" } ?? "")
                + (b.folded > 0 ? " data-folded=\"\(b.folded)\"" : "")
                + " x=\"\(HTML.px(cx - barW / 2))\" y=\"\(HTML.px(top))\" width=\"\(HTML.px(barW))\" "
                + "height=\"\(HTML.px(max(0, baseY - top)))\"><title>\(HTML.escape(tip))</title></rect>"
            if slot >= 40 {
                s += "<text class=\"value\" x=\"\(HTML.px(cx))\" y=\"\(HTML.px(top - 4))\" text-anchor=\"middle\">\(Axis.compact(b.value))</text>"
            }
            // Rotated, truncated category label; the full name is in its tooltip.
            let lx = cx + 4, ly = baseY + 12
            s += "<text class=\"label\" x=\"\(HTML.px(lx))\" y=\"\(HTML.px(ly))\" text-anchor=\"end\" "
                + "transform=\"rotate(-45 \(HTML.px(lx)) \(HTML.px(ly)))\">"
                + "<title>\(HTML.escape(b.name))</title>\(HTML.escape(HTML.truncate(b.name, columns: ParetoChart.labelColumns)))</text>"
            if let c = b.cumulative { points.append((cx, yPct(c), c)) }
        }
        s += "<line class=\"axis\" x1=\"\(HTML.px(ParetoChart.left))\" x2=\"\(HTML.px(ParetoChart.left + plotW))\" "
            + "y1=\"\(HTML.px(baseY))\" y2=\"\(HTML.px(baseY))\"/>"
        if !points.isEmpty {
            s += "<polyline class=\"cum\" points=\"" + points.map { "\(HTML.px($0.0)),\(HTML.px($0.1))" }.joined(separator: " ") + "\"/>"
            for (i, p) in points.enumerated() {
                s += "<circle class=\"cum\" data-index=\"\(i)\" data-cumulative=\"\(HTML.raw(p.2))\" cx=\"\(HTML.px(p.0))\" "
                    + "cy=\"\(HTML.px(p.1))\" r=\"3\"><title>累計 \(HTML.raw(p.2))%</title></circle>"
            }
        }
        return s + "</svg>"
    }
}

/// Axis arithmetic shared by the Pareto and trend charts.
enum Axis {
    /// The smallest 1/2/2.5/5 × 10ⁿ at or above `v` (1 for an all-zero chart, so bars sit at 0).
    static func niceMax(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        let e = pow(10, (log10(v)).rounded(.down))
        for m in [1.0, 2, 2.5, 5, 10] where m * e >= v { return m * e }
        return 10 * e
    }

    /// Tick and bar labels: `950`, `23.3K`, `7.81M` — short enough not to collide.
    static func compact(_ v: Double) -> String {
        let a = abs(v)
        func trim(_ s: String) -> String {
            var t = s
            if t.contains(".") {
                while t.hasSuffix("0") { t.removeLast() }
                if t.hasSuffix(".") { t.removeLast() }
            }
            return t
        }
        if a >= 1_000_000 { return trim(String(format: "%.2f", v / 1_000_000)) + "M" }
        if a >= 10_000 { return trim(String(format: "%.1f", v / 1_000)) + "K" }
        if v == v.rounded() { return String(Int64(v)) }
        return trim(String(format: a < 1 ? "%.4f" : "%.2f", v))
    }
}
