import Foundation

/// What an MSD report is made of: the summary JSON `msd summary` prints (same masks) and one page of
/// `msd detail`. The report reads nothing else, so every figure on the page is one the JSON has —
/// the tests compare them number by number.
public struct MSDReportInput {
    public var summaryText: String
    /// A `msd detail` page (JSON), or nil to leave the detail table out.
    public var detailText: String?
    /// Detail columns: JSON key, header (the CSV export's Chinese headers), right-aligned or not.
    public var detailColumns: [(key: String, label: String, numeric: Bool)]
    /// `meta.snapshot_times` of the spool: when the warehouse snapshot(s) were taken.
    public var snapshotTimes: [String]
    /// Bars per Pareto chart before the rest is folded into 其他/others.
    public var top: Int
    /// The command that made the report (shown, so anyone can make it again).
    public var command: String
    public var generatedAt: String
    public var version: String

    public init(summaryText: String, detailText: String?, detailColumns: [(key: String, label: String, numeric: Bool)],
                snapshotTimes: [String], top: Int, command: String, generatedAt: String, version: String) {
        self.summaryText = summaryText
        self.detailText = detailText
        self.detailColumns = detailColumns
        self.snapshotTimes = snapshotTimes
        self.top = top
        self.command = command
        self.generatedAt = generatedAt
        self.version = version
    }
}

public struct ReportError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The MSD report page (`msd.md` §6.5): query, notices, KPI cards, Paretos, trends, heat tables
/// (forward) and the top detail rows.
public enum MSDReport {
    /// Chart keys in the summary JSON, in the reference dashboard's order, with their titles.
    public static let backwardCharts: [(String, String)] = [
        ("by_machine", "依上游機台歸因 · upstream machine"), ("by_material", "依原物料歸因 · material"),
        ("by_wafer_root", "依源頭批次歸因 · wafer root"), ("by_workflow", "依Workflow歸因 · workflow"),
        ("by_loss_reason", "依報廢原因 · loss reason"), ("by_detection_machine", "依偵測機台 · detection machine"),
    ]
    public static let forwardCharts: [(String, String)] = [
        ("by_downstream_station", "依下游站點 · downstream station"), ("by_downstream_machine", "依下游機台 · downstream machine"),
        ("by_downstream_loss_reason", "依下游不良原因 · downstream loss reason"),
        ("by_detection_machine", "依偵測機台 · detection machine"),
    ]
    /// The forward front-reason list lives outside `charts` in the summary (its rows say
    /// `loss_reason` / `reject_qty`), but it is the reference's 前段不良原因分布 Pareto.
    public static let frontReasons = ("by_detection_loss_reason", "前段不良原因分布 · detection loss reason")

    public static func render(_ input: MSDReportInput) throws -> String {
        guard let o = try? JSONSerialization.jsonObject(with: Data(input.summaryText.utf8)) as? [String: Any] else {
            throw ReportError("the summary is not a JSON object")
        }
        let detail = input.detailText.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let forward = J.str(o["direction"]) == "forward"
        let stations = J.strings(o["stations"])
        let range = (o["date_range"] as? [Any] ?? []).map { J.str($0) ?? "…" }
        let window = range.isEmpty ? "—" : range.joined(separator: " → ")
        let stationText = stations.isEmpty ? "—" : stations.joined(separator: ", ")

        var page = ReportPage(
            title: "MSD \(forward ? "forward" : "backward") · \(stationText) · \(window)",
            heading: "中段不良分析 MSD report · \(forward ? "正向 forward" : "反向 backward")",
            subheading: "偵測站 \(stationText) · \(window) · job \(J.str(o["job_id"]) ?? "—")",
            footer: "tracespool \(input.version) · generated \(input.generatedAt) · \(input.command)")
        page.body += notices(o, forward: forward)
        page.body.append(ReportPage.section("查詢條件 Query", id: "query", query(o, input, forward: forward)))
        page.body.append(ReportPage.section("關鍵指標 KPI", id: "kpi", ReportPage.cards(forward ? forwardCards(o) : backwardCards(o, stations))))
        if forward {
            page.body.append(ReportPage.section("不良原因 × 下游站 Reason × downstream station", id: "heat",
                                                crosstab(o).figure() + matrix(o).figure()))
        }
        page.body.append(ReportPage.section("柏拉圖 Pareto charts", id: "pareto", paretos(o, forward: forward, top: input.top)))
        page.body.append(ReportPage.section("每日趨勢 Daily trend", id: "trend", trends(o, forward: forward)))
        if let detail {
            page.body.append(ReportPage.section("LOT 明細 Detail", id: "detail", detailTable(detail, input.detailColumns)))
        }
        return page.render()
    }

    // MARK: notices

    static func notices(_ o: [String: Any], forward: Bool) -> [String] {
        var out: [String] = []
        let quality = J.str(o["quality"]) ?? "unknown"
        if quality != "complete" {
            // The same facts `msd summary --table` prints as QUALITY: …, where people look first.
            let stages = J.obj(o["stage_quality"]).sorted { $0.key < $1.key }.compactMap { k, v -> String? in
                let st = J.obj(v)
                guard let status = J.str(st["status"]), status != "complete" else { return nil }
                return "\(k) \(status): \(J.arr(st["failed_ranges"]).count) of \(J.str(st["batches"]) ?? "?") batch(es) failed"
            }
            let domains = J.obj(o["domain_quality_meta"]).sorted { $0.key < $1.key }.compactMap { k, v -> String? in
                let d = J.obj(v)
                guard let status = J.str(d["status"]), status != "complete" else { return nil }
                return "domain \(k) \(status)"
            }
            out.append(ReportPage.notice(quality == "failed" ? "failed" : "partial",
                "品質 QUALITY: \(quality.uppercased()) — 結果不完整 these results are incomplete: some batches failed, the numbers below leave them out",
                detail: (stages + domains).isEmpty ? nil : (stages + domains).joined(separator: "; ")))
        }
        if J.str(o["genealogy_status"]) == "error" {
            out.append(ReportPage.notice("error", "族譜錯誤 genealogy error: the lineage stage failed; attribution to ancestors is missing"))
        }
        let kpi = J.obj(o["kpi"])
        let filters = maskText(o)
        let masked = filters != "無 none"
        let lots = J.num(kpi[forward ? "detection_lot_count" : "lot_count"]) ?? 0
        if lots == 0 {
            out.append(ReportPage.notice("empty", "無資料 NO DATA — no detection lots match this query",
                detail: masked ? "the masks (\(filters)) match no lot of this job; without them the job has data"
                    : "the job found no lots at the detection station in this window"))
        } else if (J.num(kpi[forward ? "detection_defect_qty" : "total_defect_qty"]) ?? 0) == 0 {
            out.append(ReportPage.notice("empty", "無不良 NO DEFECTS — \(HTML.qty(lots)) lots, none with a defect under this query",
                detail: masked ? "masks: \(filters)" : nil))
        } else if forward && (J.num(kpi["downstream_stations_reached"]) ?? 0) == 0 {
            out.append(ReportPage.notice("empty", "無下游資料 NO DOWNSTREAM DATA — the flagged lots reached no later station",
                detail: "downstream charts, heat tables and the downstream trend are empty (a detection station late in the flow has nothing after it)"))
        }
        return out
    }

    static func maskText(_ o: [String: Any]) -> String {
        let f = J.obj(o["filters"])
        let parts = [("loss_reasons", "報廢原因 loss reasons"), ("pj_types", "TYPE"), ("packages", "PACKAGE")].compactMap { k, label -> String? in
            let v = J.strings(f[k])
            return v.isEmpty ? nil : "\(label) = \(v.joined(separator: ", "))"
        }
        return parts.isEmpty ? "無 none" : parts.joined(separator: " · ")
    }

    // MARK: query

    static func query(_ o: [String: Any], _ input: MSDReportInput, forward: Bool) -> String {
        let range = (o["date_range"] as? [Any] ?? []).map { J.str($0) ?? "…" }
        let mode = J.str(o["mode"]) ?? "—"
        var pairs: [(String, String)] = [
            ("任務 job", J.str(o["job_id"]) ?? "—"),
            ("方向 direction", forward ? "forward 正向 (detection lots → downstream)" : "backward 反向 (detection lots → upstream)"),
            ("偵測站 station", J.strings(o["stations"]).joined(separator: ", ")),
            ("期間 window", mode == "container" ? "container mode (seeded by lots, no window)" : range.joined(separator: " → ")),
            ("遮罩 masks", maskText(o)),
            ("快照 snapshot", input.snapshotTimes.isEmpty ? "—" : input.snapshotTimes.joined(separator: ", ")),
            ("品質 quality", J.str(o["quality"]) ?? "unknown"),
            ("族譜 genealogy", J.str(o["genealogy_status"]) ?? "—"),
            ("偵測站序 detection order", J.str(o["detection_station_order"]) ?? "—"),
            ("明細筆數 detail rows", J.num(o["detail_total_count"]).map(HTML.qty) ?? "—"),
        ]
        if !forward, let a = J.num(o["total_ancestor_count"]) { pairs.append(("上游批次 ancestors", HTML.qty(a))) }
        pairs.append(("Pareto", "top \(input.top) bars per chart, the rest folded into 其他/others"))
        var out = ReportPage.definitions(pairs)
        var tables: [String] = []

        let stages = J.obj(o["stage_quality"]).sorted { $0.key < $1.key }
        if !stages.isEmpty {
            tables.append("<div><h3>各階段品質 Quality per stage</h3>" + ReportPage.tableHTML(header: ["stage", "status", "batches", "failed ranges"], rows: stages.map { k, v in
                let st = J.obj(v)
                return [HTML.escape(k), ReportPage.status(J.str(st["status"]) ?? "?"), HTML.escape(J.str(st["batches"]) ?? "—"),
                        HTML.escape(ranges(J.arr(st["failed_ranges"])))]
            }, numeric: [false, false, true, false], key: "stage_quality") + "</div>")
        }
        let domains = J.obj(o["domain_quality_meta"]).sorted { $0.key < $1.key }
        if !domains.isEmpty {
            tables.append("<div><h3>各資料域品質 Quality per domain</h3>" + ReportPage.tableHTML(header: ["domain", "status", "rows", "failed ranges"], rows: domains.map { k, v in
                let d = J.obj(v)
                return [HTML.escape(k), ReportPage.status(J.str(d["status"]) ?? "?"), HTML.escape(J.num(d["observed_rows"]).map(HTML.qty) ?? "—"),
                        HTML.escape(ranges(J.arr(d["failed_ranges"])))]
            }, numeric: [false, false, true, false], key: "domain_quality") + "</div>")
        }
        // Side by side: the quality tables are short and the page is read on one screen.
        if !tables.isEmpty { out += "<div class=\"grid2 compact\">" + tables.joined() + "</div>" }
        return out
    }

    static func ranges(_ r: [[String: Any]]) -> String {
        r.isEmpty ? "—" : r.map { "\(J.str($0["start"]) ?? "?")…\(J.str($0["end"]) ?? "?")" + (J.str($0["code"]).map { " \($0)" } ?? "") }
            .joined(separator: "; ")
    }

    // MARK: KPI

    static func card(_ kpi: [String: Any], _ key: String, _ label: String, percent: Bool = false, hint: String = "") -> ReportPage.Card {
        let v = kpi[key]
        if let n = J.num(v) {
            return ReportPage.Card(key: key, label: label, raw: HTML.raw(n), shown: percent ? HTML.pct(n) : HTML.qty(n), hint: hint)
        }
        return ReportPage.Card(key: key, label: label, raw: J.str(v), shown: J.str(v) ?? "—", hint: hint)
    }

    static func backwardCards(_ o: [String: Any], _ stations: [String]) -> [ReportPage.Card] {
        let k = J.obj(o["kpi"])
        return [
            card(k, "total_input", "\(stations.joined(separator: ",")) 投入數 · input"),
            card(k, "lot_count", "LOT 數量 · lots"),
            card(k, "defective_lot_count", "不良 LOT 數 · defective lots"),
            card(k, "total_defect_qty", "不良總數 · defects"),
            card(k, "total_defect_rate", "不良率 · defect rate", percent: true),
            card(k, "top_loss_reason", "首要報廢原因 · top loss reason"),
            card(k, "affected_machine_count", "上游關聯機台 · upstream machines"),
        ]
    }

    static func forwardCards(_ o: [String: Any]) -> [ReportPage.Card] {
        let k = J.obj(o["kpi"])
        var amp = card(o, "amplification", "放大倍率 · amplification", hint: "downstream reject rate ÷ detection defect rate")
        if let n = J.num(o["amplification"]) { amp.shown = HTML.raw(n) + "×" }
        return [
            card(k, "detection_lot_count", "偵測批次數 · detection lots"),
            card(k, "detection_defect_qty", "偵測不良數 · detection defects"),
            card(k, "tracked_lot_count", "追蹤批次數 · tracked lots"),
            card(k, "downstream_stations_reached", "下游到達站數 · stations reached"),
            card(k, "downstream_total_reject", "下游不良總數 · downstream rejects"),
            card(k, "downstream_reject_rate", "下游不良率 · downstream reject rate", percent: true),
            amp,
        ]
    }

    // MARK: Paretos

    static func bars(_ items: [[String: Any]], nameKey: String = "name", valueKey: String = "defect_qty") -> [ParetoChart.Bar] {
        items.map { item in
            var extra: [String] = []
            if let l = J.num(item["lot_count"]) { extra.append("lots \(HTML.qty(l))") }
            if let i = J.num(item["input_qty"]) { extra.append("input \(HTML.qty(i))") }
            if let r = J.num(item["defect_rate"]) { extra.append("rate \(HTML.raw(r))%") }
            if let r = J.num(item["reject_rate"]) { extra.append("rate \(HTML.raw(r * 100))%") }
            return ParetoChart.Bar(name: J.str(item[nameKey]) ?? "", value: J.num(item[valueKey]) ?? 0,
                                   cumulative: J.num(item["cumulative_pct"]), detail: extra.joined(separator: " · "))
        }
    }

    static func paretos(_ o: [String: Any], forward: Bool, top: Int) -> String {
        let charts = J.obj(o["charts"])
        var figures: [String] = []
        let rests = J.obj(o["charts_rest"])
        func add(_ key: String, _ title: String, _ rows: [ParetoChart.Bar], valueLabel: String, summaryFolded: Bool, notes: [String] = []) {
            // Backward charts: the summary's `charts_rest` holds what its top 10 left out (a spool
            // summarised before it existed has none: the fold then covers the summary's rows only).
            let rest = rests[key].map { J.obj($0) }
            let beyond = rest.map { ParetoChart.Beyond(rows: Int(J.num($0["rows"]) ?? 0), value: J.num($0["defect_qty"]) ?? 0) }
            let shown = ParetoChart.fold(rows, top: top, summaryFolded: summaryFolded, beyond: beyond)
            var notes = notes
            if let f = shown.last, f.folded == 1, summaryFolded, rows.last?.name == ParetoChart.otherName {
                notes.append("其他/others is the summary's own fold of the rows beyond its top 10")
            } else if let f = shown.last, f.folded > 0 {
                if let beyond, beyond.rows > 0 {
                    notes.append("其他/others folds the \(f.folded) row(s) after the top \(min(top, rows.count)); "
                        + "cumulative % is the share of the whole chart (the summary's cumulative_pct covers its top 10)")
                    if key == "by_machine" || key == "by_material" {
                        notes.append("a lot counts in every \(key == "by_machine" ? "machine" : "material") it touched: "
                            + "bars overlap, so their sum (and the fold) can exceed the KPI's defects")
                    }
                } else {
                    notes.append("其他/others folds \(f.folded) row(s) of the summary"
                        + (summaryFolded ? " (including the summary's own 其他 row)"
                            : rest == nil ? " (this spool's summary predates charts_rest: ranks beyond its top 10 are not in the fold)" : ""))
                }
            }
            figures.append(ParetoChart(key: key, title: title, valueLabel: valueLabel, bars: shown, notes: notes).figure())
        }
        if forward {
            // Front reasons: the summary has no cumulative % for this list; the report adds the
            // running share of its rows (2 dp, like every chart's cumulative_pct).
            var rows = bars(J.arr(o[frontReasons.0]), nameKey: "loss_reason", valueKey: "reject_qty")
            let total = rows.reduce(0) { $0 + $1.value }
            var running = 0.0
            for i in rows.indices {
                running += rows[i].value
                rows[i].cumulative = total == 0 ? 0 : (running / total * 100 * 100).rounded(.toNearestOrAwayFromZero) / 100
            }
            add(frontReasons.0, frontReasons.1, rows, valueLabel: "偵測不良 reject qty", summaryFolded: true,
                notes: ["cumulative % computed by the report from the rows shown (the summary has none for this list)"])
            for (key, title) in forwardCharts {
                add(key, title, bars(J.arr(charts[key])), valueLabel: key == "by_detection_machine" ? "偵測不良 defects" : "下游不良 rejects",
                    summaryFolded: key != "by_downstream_station")
            }
        } else {
            for (key, title) in backwardCharts {
                add(key, title, bars(J.arr(charts[key])), valueLabel: "不良數 defects", summaryFolded: false)
            }
        }
        return "<div class=\"grid2\">" + figures.joined() + "</div>"
    }

    // MARK: trends

    static func trends(_ o: [String: Any], forward: Bool) -> String {
        let rows = J.arr(o["daily_trend"])
        let dates = rows.map { J.str($0["date"]) ?? "—" }
        func series(_ rows: [[String: Any]], _ key: String) -> [Double] { rows.map { J.num($0[key]) ?? 0 } }
        var out = TrendChart(key: "daily_trend", title: forward ? "偵測站每日趨勢 · detection daily trend" : "每日趨勢 · daily trend",
                             dates: dates, panels: [
                                 .init(bars: .init(key: "input_qty", label: "投入數 input", values: series(rows, "input_qty"))),
                                 .init(bars: .init(key: "defect_qty", label: "不良數 defects", values: series(rows, "defect_qty")),
                                       line: .init(key: "defect_rate", label: "不良率 defect rate %", values: series(rows, "defect_rate"),
                                                   percent: true)),
                             ],
                             notes: J.str(o["mode"]) == "container" ? ["container mode: the summary has no daily trend"] : []).figure()
        if forward {
            let down = J.arr(o["downstream_trend"])
            out += TrendChart(key: "downstream_trend", title: "下游每日不良 · downstream daily rejects",
                              dates: down.map { J.str($0["date"]) ?? "—" }, panels: [
                                  .init(bars: .init(key: "reject_qty", label: "下游不良 rejects", values: series(down, "reject_qty")),
                                        line: .init(key: "reject_rate", label: "下游不良率 reject rate %", values: series(down, "reject_rate"),
                                                    percent: true, displayScale: 100)),
                              ]).figure()
        }
        return out
    }

    // MARK: heat tables (forward)

    /// Reason × downstream station (`loss_reason_workcenter_crosstab`): shade by reject qty.
    static func crosstab(_ o: [String: Any]) -> HeatTable {
        let x = J.obj(o["loss_reason_workcenter_crosstab"])
        let reasons = J.strings(x["loss_reasons"]), groups = J.strings(x["workcenter_groups"])
        var grid: [String: [String: [String: Any]]] = [:]
        for c in J.arr(x["cells"]) { grid[J.str(c["loss_reason"]) ?? "", default: [:]][J.str(c["workcenter_group"]) ?? ""] = c }
        let maxQty = grid.values.flatMap(\.values).compactMap { J.num($0["reject_qty"]) }.max() ?? 0
        let cells: [[HeatTable.Cell?]] = reasons.map { r in
            groups.map { g in
                guard let c = grid[r]?[g], let q = J.num(c["reject_qty"]) else { return nil }
                let rate = J.num(c["reject_rate"]) ?? 0
                return HeatTable.Cell(value: q, intensity: maxQty == 0 ? 0 : q / maxQty, text: HTML.qty(q),
                                      attributes: [("data-rate", HTML.raw(rate))],
                                      tooltip: "\(r) @ \(g): \(HTML.qty(q)) rejects · rate \(HTML.raw(rate * 100))% of the station's input")
            }
        }
        return HeatTable(key: "loss_reason_workcenter_crosstab", title: "前段不良原因 × 下游站 · detection reason × downstream station",
                         corner: "原因 \\ 站", rows: reasons, columns: groups, cells: cells,
                         notes: ["cell: downstream rejects; shade by quantity"])
    }

    /// Front reason × downstream reason (`by_front_downstream_reason_matrix`): shade by row %.
    static func matrix(_ o: [String: Any]) -> HeatTable {
        let m = J.obj(o["by_front_downstream_reason_matrix"])
        let rows = J.arr(m["rows"]), cols = J.arr(m["cols"])
        let values = (m["cells"] as? [Any] ?? []).map { ($0 as? [Any] ?? []).map { J.num($0) ?? 0 } }
        let pcts = (m["row_pct"] as? [Any] ?? []).map { ($0 as? [Any] ?? []).map { J.num($0) ?? 0 } }
        let cells: [[HeatTable.Cell?]] = rows.indices.map { r in
            cols.indices.map { c in
                guard r < values.count, c < values[r].count else { return nil }
                let v = values[r][c], p = r < pcts.count && c < pcts[r].count ? pcts[r][c] : 0
                return HeatTable.Cell(value: v, intensity: p / 100, text: v == 0 ? "·" : "\(HTML.qty(v)) (\(HTML.raw(p))%)",
                                      attributes: [("data-pct", HTML.raw(p))], tooltip: "\(HTML.qty(v)) · \(HTML.raw(p))% of the row")
            }
        }
        return HeatTable(key: "by_front_downstream_reason_matrix", title: "前段原因 × 下游原因 · front reason × downstream reason",
                         corner: "前段 \\ 下游", rows: rows.map { J.str($0["name"]) ?? "" }, columns: cols.map { J.str($0["name"]) ?? "" },
                         cells: cells, rowTotals: rows.map { J.num($0["total"]).map(HTML.qty) ?? "" },
                         columnTotals: cols.map { J.num($0["total"]).map(HTML.qty) ?? "" },
                         notes: ["cell: downstream rejects (share of the row); shade by row %"])
    }

    // MARK: detail

    static func detailTable(_ d: [String: Any], _ columns: [(key: String, label: String, numeric: Bool)]) -> String {
        let rows = J.arr(d["detail"])
        let p = J.obj(d["pagination"])
        let total = J.num(p["total_count"]) ?? Double(rows.count)
        guard !rows.isEmpty else {
            return "<p class=\"nodata\" data-empty=\"true\">無資料 · no detail rows under this query</p>"
        }
        let table = ReportPage.table(header: columns.map(\.label), rows: rows.map { r in
            columns.map { c in
                if c.numeric, let n = J.num(r[c.key]) { return HTML.qty(n) }
                return J.str(r[c.key]) ?? "—"
            }
        }, numeric: columns.map(\.numeric), key: "detail")
        return "<p class=\"note\">top \(rows.count) of \(HTML.qty(total)) rows, by \(J.str(d["sort_by"]) ?? "defect_rate") "
            + "\(J.str(d["order"]) ?? "desc") — every row: <code>tracespool msd export JOB -o detail.csv</code></p>" + table
    }
}
