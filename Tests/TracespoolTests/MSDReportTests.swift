import Foundation
import Testing
import TracespoolReports

/// The HTML report read back the way a test can: the `data-*` attributes the renderer puts on every
/// bar, card and cell, compared with the JSON `msd summary` prints for the same job and masks.
struct ReportHTML {
    let text: String

    init(_ text: String) { self.text = text }

    init(file: String) throws { text = try String(contentsOfFile: file, encoding: .utf8) }

    /// The markup of the figure with `data-chart="key"` (figures are never nested).
    func chart(_ key: String) -> String? {
        guard let start = text.range(of: "data-chart=\"\(key)\"") else { return nil }
        let end = text.range(of: "</figure>", range: start.upperBound..<text.endIndex)?.upperBound ?? text.endIndex
        return String(text[start.lowerBound..<end])
    }

    /// Attributes of every start tag `<tag …>` in `html` whose class list holds `cls` (any tag of
    /// that name when `cls` is empty).
    static func tags(_ tag: String, class cls: String, in html: String) -> [[String: String]] {
        let re = try! NSRegularExpression(pattern: "<\(tag)(\\s[^>]*)?>")
        let ns = html as NSString
        return re.matches(in: html, range: NSRange(location: 0, length: ns.length)).map { m in
            attributes(ns.substring(with: m.range(at: 0)))
        }.filter { cls.isEmpty || ($0["class"] ?? "").split(separator: " ").contains(Substring(cls)) }
    }

    static func attributes(_ tag: String) -> [String: String] {
        let re = try! NSRegularExpression(pattern: "([a-zA-Z][a-zA-Z0-9-]*)=\"([^\"]*)\"")
        let ns = tag as NSString
        var out: [String: String] = [:]
        for m in re.matches(in: tag, range: NSRange(location: 0, length: ns.length)) {
            out[ns.substring(with: m.range(at: 1))] = unescape(ns.substring(with: m.range(at: 2)))
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The Pareto bars of one chart, in order.
    func bars(_ key: String) -> [[String: String]] {
        guard let c = chart(key) else { return [] }
        return ReportHTML.tags("rect", class: "bar", in: c)
    }

    /// `data-value` of the KPI card `key` (nil when absent or null).
    func kpi(_ key: String) -> String? {
        ReportHTML.tags("div", class: "card", in: text).first { $0["data-kpi"] == key }?["data-value"]
    }

    func notices() -> [String] {
        ReportHTML.tags("div", class: "notice", in: text).compactMap { $0["data-notice"] }
    }

    /// What a self-contained page must never hold: script, external references, remote fonts.
    func selfContainedProblems() -> [String] {
        var p: [String] = []
        let lower = text.lowercased()
        for bad in ["<script", "http://", "https://", "url(", "@import", "<link", "<img", "<iframe", "<object", "javascript:", " onload=", " onclick="] where lower.contains(bad) {
            p.append(bad)
        }
        if !lower.contains("<meta charset=\"utf-8\">") { p.append("no <meta charset=\"utf-8\">") }
        if !text.contains("Noto Sans CJK") { p.append("no CJK font stack") }
        return p
    }
}

func number(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }
func number(_ s: String?) -> Double? { s.flatMap(Double.init) }

@Suite("MSD report")
struct MSDReportTests {
    static let window = ("2026-03-01", "2026-03-31")

    func runMSD(_ folder: TempFolder, station: String = "測試", direction: String = "backward", source: String? = nil) throws -> String {
        let r = try runCLI(["run", "--profile", "mid_section_defect", "--station", station, "--from", Self.window.0, "--to", Self.window.1,
                            "--direction", direction, "--source", try source ?? TestEnvironment.warehouse(), "--spool-dir", folder.path])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(r.stdout.split(separator: "\n").last.map(String.init))
    }

    func summary(_ job: String, _ folder: TempFolder, _ masks: [String] = []) throws -> [String: Any] {
        let r = try runCLI(["msd", "summary", job, "--spool-dir", folder.path] + masks)
        #expect(r.status == 0, "\(r.stderr)")
        return try parseJSONObject(r.stdout)
    }

    func report(_ job: String, _ folder: TempFolder, _ args: [String] = [], name: String = "report.html") throws -> (ReportHTML, String) {
        let file = folder.path + "/" + name
        let r = try runCLI(["msd", "report", job, "--spool-dir", folder.path, "-o", file] + args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("wrote \(file)"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: file + ".part"))
        return (try ReportHTML(file: file), file)
    }

    /// Every bar of `chart` equals the summary row at its index: name, value, cumulative %. With
    /// `top` rows shown, the rest is one 其他/others bar summing them.
    /// `beyond`: the summary's `charts_rest` entry of a backward chart (rows ranked past its top 10);
    /// they join the fold, and then every bar's cumulative % is its running share of the whole chart.
    func expectChart(_ html: ReportHTML, _ key: String, rows: [[String: Any]], top: Int = 10, summaryFolds: Bool,
                     beyond: [String: Any]? = nil,
                     nameKey: String = "name", valueKey: String = "defect_qty", cumulative: Bool = true,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        let bars = html.bars(key)
        #expect(html.chart(key) != nil, "chart \(key) missing", sourceLocation: sourceLocation)
        var real = rows
        var prior: [String: Any]?
        if summaryFolds, (real.last?[nameKey] as? String) == "其他" { prior = real.removeLast() }
        let rest = Array(real.dropFirst(top)) + (prior.map { [$0] } ?? [])
        let kept = Array(real.prefix(top))
        let beyondRows = Int(number(beyond?["rows"]) ?? 0), beyondValue = number(beyond?[valueKey]) ?? 0
        let folds = !rest.isEmpty || beyondRows > 0
        #expect(bars.count == kept.count + (folds ? 1 : 0), "\(key): \(bars.count) bars for \(rows.count) rows", sourceLocation: sourceLocation)
        if rows.isEmpty { #expect(html.chart(key)?.contains("data-empty=\"true\"") == true, sourceLocation: sourceLocation) }
        // With rows beyond the summary's top 10, cumulative % is the running share of the whole
        // chart: recomputed here from the summary's values, 2 dp half away from zero.
        let grand = real.reduce(0) { $0 + (number($1[valueKey]) ?? 0) } + beyondValue
        func share(_ running: Double) -> Double { grand == 0 ? 0 : (running / grand * 10000).rounded(.toNearestOrAwayFromZero) / 100 }
        var running = 0.0
        for (i, row) in kept.enumerated() where i < bars.count {
            #expect(bars[i]["data-name"] == row[nameKey] as? String, "\(key)[\(i)] name", sourceLocation: sourceLocation)
            #expect(number(bars[i]["data-value"]) == number(row[valueKey]), "\(key)[\(i)] value \(bars[i]) vs \(row)", sourceLocation: sourceLocation)
            running += number(row[valueKey]) ?? 0
            if cumulative {
                let want = beyondRows > 0 ? share(running) : number(row["cumulative_pct"])
                #expect(number(bars[i]["data-cumulative"]) == want, "\(key)[\(i)] cumulative", sourceLocation: sourceLocation)
            }
        }
        if folds, let other = bars.last {
            #expect(other["data-name"] == "其他/others", sourceLocation: sourceLocation)
            #expect(number(other["data-value"]) == rest.reduce(0) { $0 + (number($1[valueKey]) ?? 0) } + beyondValue, "\(key) fold", sourceLocation: sourceLocation)
            #expect(other["data-folded"] == String(rest.count + beyondRows), sourceLocation: sourceLocation)
            if cumulative {
                let want = beyondRows > 0 ? (grand == 0 ? 0 : 100) : number(rest.last?["cumulative_pct"])
                #expect(number(other["data-cumulative"]) == want, "\(key) fold cumulative", sourceLocation: sourceLocation)
            }
        }
    }

    static let backwardCharts = ["by_machine", "by_material", "by_wafer_root", "by_workflow", "by_loss_reason", "by_detection_machine"]
    static let forwardCharts = ["by_downstream_station", "by_downstream_machine", "by_downstream_loss_reason", "by_detection_machine"]

    func expectBackward(_ html: ReportHTML, _ s: [String: Any], top: Int = 10, sourceLocation: SourceLocation = #_sourceLocation) {
        let charts = s["charts"] as? [String: Any] ?? [:]
        let rests = s["charts_rest"] as? [String: Any] ?? [:]
        for key in Self.backwardCharts {
            #expect(rests[key] is [String: Any], "charts_rest.\(key)", sourceLocation: sourceLocation)
            expectChart(html, key, rows: charts[key] as? [[String: Any]] ?? [], top: top, summaryFolds: false,
                        beyond: rests[key] as? [String: Any], sourceLocation: sourceLocation)
        }
        let kpi = s["kpi"] as? [String: Any] ?? [:]
        for key in ["total_input", "lot_count", "defective_lot_count", "total_defect_qty", "total_defect_rate", "affected_machine_count"] {
            #expect(number(html.kpi(key)) == number(kpi[key]), "KPI \(key): \(html.kpi(key) ?? "nil") vs \(kpi[key] ?? "nil")",
                    sourceLocation: sourceLocation)
        }
        #expect(html.kpi("top_loss_reason") == kpi["top_loss_reason"] as? String, sourceLocation: sourceLocation)
        // The daily trend: one bar per day per series, the JSON's numbers.
        let trend = s["daily_trend"] as? [[String: Any]] ?? []
        let chart = html.chart("daily_trend") ?? ""
        for series in ["input_qty", "defect_qty"] {
            let bars = ReportHTML.tags("rect", class: "bar", in: chart).filter { $0["data-series"] == series }
            #expect(bars.map { number($0["data-value"]) } == trend.map { number($0[series]) }, "trend \(series)", sourceLocation: sourceLocation)
            #expect(bars.map { $0["data-date"] } == trend.map { $0["date"] as? String }, sourceLocation: sourceLocation)
        }
        let rate = ReportHTML.tags("circle", class: "rate", in: chart).map { number($0["data-value"]) }
        #expect(rate == trend.map { number($0["defect_rate"]) }, "trend defect_rate", sourceLocation: sourceLocation)
    }

    @Test("backward: every Pareto bar, KPI card and trend point equals `msd summary`; the page is self-contained UTF-8")
    func backward() throws {
        let folder = TempFolder()
        let job = try runMSD(folder)
        let s = try summary(job, folder)
        let (html, _) = try report(job, folder)
        #expect(html.selfContainedProblems().isEmpty, "\(html.selfContainedProblems())")
        expectBackward(html, s)
        // The data is real: six charts with bars, not six empty boxes.
        for key in Self.backwardCharts { #expect(!html.bars(key).isEmpty, "\(key) has no bars") }
        // KPI numbers are printed for people too (grouped digits), and the query is on the page.
        let kpi = try #require(s["kpi"] as? [String: Any])
        #expect(html.text.contains(HTML.qty(try #require(number(kpi["total_input"])))))
        #expect(html.text.contains(HTML.pct(try #require(number(kpi["total_defect_rate"])))))
        #expect(html.text.contains("測試") && html.text.contains("2026-03-01 → 2026-03-31") && html.text.contains("backward"))
        #expect(html.notices().isEmpty, "\(html.notices())")
        // The top detail rows, as `msd detail` pages them.
        let detail = try parseJSONObject(try runCLI(["msd", "detail", job, "--spool-dir", folder.path, "--page-size", "20"]).stdout)
        let rows = try #require(detail["detail"] as? [[String: Any]])
        let table = html.text.components(separatedBy: "data-table=\"detail\"").last ?? ""
        #expect(table.components(separatedBy: "<tr>").count - 2 == rows.count)
        for r in rows.prefix(5) { #expect(table.contains(try #require(r["CONTAINERNAME"] as? String))) }

        // Without -o the page goes to stdout: the same charts.
        let out = try runCLI(["msd", "report", job, "--spool-dir", folder.path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("<!DOCTYPE html>"))
        expectBackward(ReportHTML(out.stdout), s)
    }

    @Test("charts_rest holds the whole rest of each backward chart: charts where every lot is in one bar sum to the KPI")
    func chartsRest() throws {
        let folder = TempFolder()
        let job = try runMSD(folder)
        for masks in [[], ["--loss-reasons", "VOID"]] {
            let s = try summary(job, folder, masks)
            let kpi = try #require(s["kpi"] as? [String: Any])
            let charts = try #require(s["charts"] as? [String: Any])
            let rests = try #require(s["charts_rest"] as? [String: Any])
            func whole(_ key: String, _ field: String) throws -> Double {
                let rows = try #require(charts[key] as? [[String: Any]])
                let rest = try #require(rests[key] as? [String: Any])
                return rows.reduce(0) { $0 + (number($1[field]) ?? 0) } + (number(rest[field]) ?? 0)
            }
            // Each population lot has exactly one seed root and one workflow: the whole chart holds
            // every lot, its input and its defects once.
            for key in ["by_wafer_root", "by_workflow"] {
                #expect(try whole(key, "lot_count") == number(kpi["lot_count"]), "\(key) lots \(masks)")
                #expect(try whole(key, "input_qty") == number(kpi["total_input"]), "\(key) input \(masks)")
                #expect(try whole(key, "defect_qty") == number(kpi["total_defect_qty"]), "\(key) defects \(masks)")
            }
            // Every reject is under one reason: the reason chart's whole holds the KPI's defects.
            #expect(try whole("by_loss_reason", "defect_qty") == number(kpi["total_defect_qty"]), "reasons \(masks)")
            #expect((rests["by_loss_reason"] as? [String: Any])?["input_qty"] == nil)
            // A chart of at most 10 rows leaves nothing; one of more leaves exactly the count beyond 10.
            for key in Self.backwardCharts {
                let rows = try #require(charts[key] as? [[String: Any]]), rest = try #require(rests[key] as? [String: Any])
                if rows.count < 10 { #expect(number(rest["rows"]) == 0, "\(key)") }
                if let r = number(rest["rows"]), r > 0 {
                    #expect(rows.count == 10, "\(key)")
                    let last = number(rows.last?["defect_qty"]) ?? 0
                    #expect((number(rest["defect_qty"]) ?? 0) <= last * r, "\(key): the rest ranks below the 10th row")
                }
            }
        }
        // The test warehouse has charts longer than 10 rows: the fold is exercised for real.
        let s = try summary(job, folder)
        let rests = try #require(s["charts_rest"] as? [String: Any])
        #expect(Self.backwardCharts.contains { number((rests[$0] as? [String: Any])?["rows"]) ?? 0 > 0 })
    }

    @Test("forward: KPI with amplification, the reason × station heat tables, Paretos and both trends equal `msd summary`")
    func forward() throws {
        let folder = TempFolder()
        let job = try runMSD(folder, station: "焊接_DB", direction: "forward")
        let s = try summary(job, folder)
        let (html, _) = try report(job, folder)
        #expect(html.selfContainedProblems().isEmpty, "\(html.selfContainedProblems())")
        let charts = try #require(s["charts"] as? [String: Any])
        for key in Self.forwardCharts {
            let rows = charts[key] as? [[String: Any]] ?? []
            #expect(!rows.isEmpty, "the test warehouse has \(key) data for 焊接_DB")
            expectChart(html, key, rows: rows, summaryFolds: key != "by_downstream_station")
        }
        // 前段不良原因分布: its own list (loss_reason / reject_qty), no cumulative in the JSON.
        expectChart(html, "by_detection_loss_reason", rows: s["by_detection_loss_reason"] as? [[String: Any]] ?? [], summaryFolds: true,
                    nameKey: "loss_reason", valueKey: "reject_qty", cumulative: false)
        let kpi = try #require(s["kpi"] as? [String: Any])
        for key in ["detection_lot_count", "detection_defect_qty", "tracked_lot_count", "downstream_stations_reached",
                    "downstream_total_reject", "downstream_reject_rate"] {
            #expect(number(html.kpi(key)) == number(kpi[key]), "KPI \(key)")
        }
        #expect(number(html.kpi("amplification")) == number(s["amplification"]))
        #expect((number(s["amplification"]) ?? 0) > 0)

        // Reason × downstream station: every cell of the crosstab, at its row and column.
        let crosstab = try #require(s["loss_reason_workcenter_crosstab"] as? [String: Any])
        let cells = try #require(crosstab["cells"] as? [[String: Any]])
        #expect(!cells.isEmpty)
        let heat = ReportHTML.tags("td", class: "", in: html.chart("loss_reason_workcenter_crosstab") ?? "")
            .filter { $0["data-value"] != nil }
        #expect(heat.count == cells.count)
        for c in cells {
            let td = heat.first { $0["data-row"] == c["loss_reason"] as? String && $0["data-col"] == c["workcenter_group"] as? String }
            #expect(number(td?["data-value"]) == number(c["reject_qty"]), "\(c)")
            #expect(number(td?["data-rate"]) == number(c["reject_rate"]), "\(c)")
        }
        // Front × downstream reason matrix: cells and row % in grid order.
        let matrix = try #require(s["by_front_downstream_reason_matrix"] as? [String: Any])
        let values = (matrix["cells"] as? [[Any]] ?? []).flatMap { $0.map { number($0) } }
        let pcts = (matrix["row_pct"] as? [[Any]] ?? []).flatMap { $0.map { number($0) } }
        let grid = ReportHTML.tags("td", class: "", in: html.chart("by_front_downstream_reason_matrix") ?? "")
            .filter { $0["data-value"] != nil }
        #expect(grid.map { number($0["data-value"]) } == values)
        #expect(grid.map { number($0["data-pct"]) } == pcts)
        // Downstream trend.
        let down = try #require(s["downstream_trend"] as? [[String: Any]])
        let chart = html.chart("downstream_trend") ?? ""
        #expect(ReportHTML.tags("rect", class: "bar", in: chart).map { number($0["data-value"]) } == down.map { number($0["reject_qty"]) })
        #expect(ReportHTML.tags("circle", class: "rate", in: chart).map { number($0["data-value"]) } == down.map { number($0["reject_rate"]) })
    }

    @Test("--top N folds the rest of each chart into one 其他/others bar summing the summary's rows")
    func topFold() throws {
        let folder = TempFolder()
        let back = try runMSD(folder)
        let s = try summary(back, folder)
        let (html, _) = try report(back, folder, ["--top", "3"], name: "top3.html")
        expectBackward(html, s, top: 3)
        #expect(html.bars("by_machine").count == 4)
        #expect(html.text.contains("其他/others"))
        let fwd = try runMSD(folder, station: "焊接_DB", direction: "forward")
        let f = try summary(fwd, folder)
        let (fh, _) = try report(fwd, folder, ["--top", "3"], name: "ftop3.html")
        let charts = try #require(f["charts"] as? [String: Any])
        for key in Self.forwardCharts {
            expectChart(fh, key, rows: charts[key] as? [[String: Any]] ?? [], top: 3, summaryFolds: key != "by_downstream_station")
        }
        let bad = try runCLI(["msd", "report", back, "--spool-dir", folder.path, "--top", "0"])
        #expect(bad.status == 64, "\(bad.stderr)")
    }

    @Test("masks change the report's numbers exactly as they change `msd summary`'s")
    func masks() throws {
        let folder = TempFolder()
        let job = try runMSD(folder)
        let plain = try summary(job, folder)
        for masks in [["--loss-reasons", "VOID"], ["--pj-types", "PJB"], ["--loss-reasons", "VOID,漏電", "--packages", "SOD-123"]] {
            let s = try summary(job, folder, masks)
            let (html, _) = try report(job, folder, masks, name: "masked.html")
            expectBackward(html, s)
            #expect(number((s["kpi"] as? [String: Any])?["total_defect_qty"]) != number((plain["kpi"] as? [String: Any])?["total_defect_qty"]),
                    "the mask \(masks) changes the numbers")
            #expect(!html.text.contains("無 none"), "the masks are shown")
            for v in masks[1].split(separator: ",") { #expect(html.text.contains(String(v))) }
        }
        let (voidOnly, _) = try report(job, folder, ["--loss-reasons", "VOID"], name: "void.html")
        #expect(voidOnly.bars("by_loss_reason").map { $0["data-name"] } == ["VOID"])
    }

    @Test("an empty result and a job without downstream data say so on the page")
    func empty() throws {
        let folder = TempFolder()
        let job = try runMSD(folder)
        let (html, _) = try report(job, folder, ["--pj-types", "NO_SUCH_TYPE"], name: "empty.html")
        #expect(html.notices().contains("empty"), "\(html.notices())")
        #expect(html.text.contains("NO DATA"))
        for key in Self.backwardCharts { #expect(html.chart(key)?.contains("data-empty=\"true\"") == true, "\(key)") }
        #expect(html.text.contains("no detail rows"))
        #expect(html.kpi("lot_count") == "0")
        // A reason mask that matches nothing keeps the population: lots, no defects.
        let (none, _) = try report(job, folder, ["--loss-reasons", "NO_SUCH_REASON"], name: "nodefects.html")
        #expect(none.text.contains("NO DEFECTS"), "\(none.notices())")
        // Forward from the last station: nothing downstream.
        let fwd = try runMSD(folder, direction: "forward")
        let (f, _) = try report(fwd, folder, name: "fwd-empty.html")
        #expect(f.text.contains("NO DOWNSTREAM DATA"))
        #expect(f.chart("loss_reason_workcenter_crosstab")?.contains("data-empty=\"true\"") == true)
        #expect(f.chart("by_downstream_station")?.contains("data-empty=\"true\"") == true)
        #expect(f.selfContainedProblems().isEmpty)
    }

    @Test("a partial job (a detection batch failed in PostgreSQL): the report and `report` say PARTIAL at the top")
    func partial() throws {
        let w = try DetectionTests().warehouse()
        try w.gate("dw_mes_wip", body: "IF k = 'D2' THEN RAISE EXCEPTION 'gate: wip %', k; END IF;")
        try w.c.execute("INSERT INTO dwh.dw_mes_wip (containerid, workflowname) VALUES ('D1', 'WF1'), ('D2', 'WF2')")
        let folder = TempFolder()
        let run = try runCLI(["run", "--profile", "mid_section_defect", "--station", "測試", "--from", "2026-03-01", "--to", "2026-03-31",
                              "--cid-batch", "1", "--source", try w.asReader(), "--spool-dir", folder.path])
        #expect(run.status == 3, "\(run.stderr)")
        let job = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        let file = folder.path + "/partial.html"
        let r = try runCLI(["msd", "report", job, "--spool-dir", folder.path, "-o", file])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("quality is partial"), "\(r.stderr)")
        let html = try ReportHTML(file: file)
        #expect(html.notices().first == "partial", "the first thing on the page: \(html.notices())")
        #expect(html.text.contains("QUALITY: PARTIAL"))
        #expect(html.text.contains("detection partial"))
        // The numbers are still the summary's.
        expectBackward(html, try summary(job, folder))
        let overview = folder.path + "/job.html"
        let o = try runCLI(["report", job, "--spool-dir", folder.path, "-o", overview])
        #expect(o.status == 0, "\(o.stderr)")
        let page = try ReportHTML(file: overview)
        #expect(page.notices().contains("partial"))
        #expect(page.text.contains("msd report \(job)"))
    }

    @Test("report JOB (any profile): rows per domain, lineage nodes and edges, quality — as `run --json` gave them")
    func jobOverview() throws {
        let folder = TempFolder()
        let lot = try FirstHourTests.warehouseLot()
        let run = try runCLI(["run", "--lot-ids", lot, "--domains", "history,materials,rejects", "--source", try TestEnvironment.warehouse(),
                              "--spool-dir", folder.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let o = try parseJSONObject(run.stdout)
        let job = try #require(o["job_id"] as? String)
        let rows = try #require(o["rows"] as? [String: Int])
        let file = folder.path + "/job.html"
        let r = try runCLI(["report", job, "--spool-dir", folder.path, "-o", file])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try ReportHTML(file: file)
        #expect(html.selfContainedProblems().isEmpty, "\(html.selfContainedProblems())")
        let shown = ReportHTML.tags("span", class: "", in: html.text).filter { $0["data-domain"] != nil }
        #expect(Dictionary(uniqueKeysWithValues: shown.map { ($0["data-domain"]!, Int($0["data-value"] ?? "") ?? -1) }) == rows)
        #expect(html.kpi("lineage_nodes") == (o["node_count"] as? Int).map(String.init))
        #expect(html.kpi("lineage_edges") == (o["edge_count"] as? Int).map(String.init))
        #expect((o["node_count"] as? Int ?? 0) > 0)
        #expect(html.text.contains("complete") && html.notices().isEmpty, "\(html.notices())")
        // stdout, and a job that is not MSD refuses `msd report`.
        let out = try runCLI(["report", job, "--spool-dir", folder.path])
        #expect(out.status == 0 && out.stdout.hasPrefix("<!DOCTYPE html>"))
        let msd = try runCLI(["msd", "report", job, "--spool-dir", folder.path])
        #expect(msd.status == 67, "\(msd.stderr)")
    }

    @Test("-o follows msd export's rules: never over the spool or the catalog; nothing is written then")
    func outputGuard() throws {
        let folder = TempFolder()
        let job = try runMSD(folder)
        let spool = folder.path + "/\(job).sqlite"
        let before = try Data(contentsOf: URL(fileURLWithPath: spool))
        for target in [spool, folder.path + "/catalog.sqlite", folder.path + "/../" + (folder.path as NSString).lastPathComponent + "/\(job).sqlite"] {
            let r = try runCLI(["msd", "report", job, "--spool-dir", folder.path, "-o", target])
            #expect(r.status == 64, "\(target): \(r.stderr)")
            #expect(r.stderr.contains("READER_OUTPUT_IS_INPUT"), "\(r.stderr)")
            let o = try runCLI(["report", job, "--spool-dir", folder.path, "-o", target])
            #expect(o.status == 64, "\(target): \(o.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: spool)) == before)
    }

    @Test("every value from the spool is escaped: a crafted summary cannot inject markup")
    func escaping() throws {
        let evil = "<script>alert(1)</script>\"'&"
        let q = "\"\(evil.replacingOccurrences(of: "\"", with: "\\\""))\""
        let summary = """
            {"direction":"backward","kpi":{"total_input":10,"lot_count":1,"defective_lot_count":1,"total_defect_qty":2,
            "total_defect_rate":20.0,"top_loss_reason":\(q),"affected_machine_count":1},
            "charts":{"by_machine":[{"name":\(q),"lot_count":1,"defect_qty":2,"input_qty":10,"defect_rate":20.0,"cumulative_pct":100.0}]},
            "daily_trend":[{"date":\(q),"input_qty":10,"defect_qty":2,"defect_rate":20.0}],
            "job_id":\(q),"stations":[\(q)],"date_range":[\(q),null],"filters":{"loss_reasons":[\(q)]},"quality":\(q),
            "stage_quality":{\(q):{"status":\(q),"batches":1,"failed_ranges":[{"start":\(q),"end":\(q),"code":\(q)}]}}}
            """
        let detail = "{\"detail\":[{\"CONTAINERNAME\":\(q),\"INPUT_QTY\":10}],\"pagination\":{\"total_count\":1}}"
        let html = try MSDReport.render(MSDReportInput(
            summaryText: summary, detailText: detail, detailColumns: [("CONTAINERNAME", "LOT ID", false), ("INPUT_QTY", "投入數", true)],
            snapshotTimes: [evil], top: 10, command: "tracespool msd report \(evil)", generatedAt: evil, version: "test"))
        #expect(!html.contains("<script"))
        #expect(!html.contains(evil))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        let bars = ReportHTML(html).bars("by_machine")
        #expect(bars.first?["data-name"] == evil)
        #expect(HTML.escape("a\u{01}b") == "a\u{FFFD}b")
    }
}

/// The report as a person sees it: headless Chromium (Debian's `chromium`, installed by
/// scripts/test) renders it to a PNG, decoded here (python3's zlib: no imaging library needed) to
/// check it is not blank.
@Suite("MSD report screenshot")
struct MSDReportScreenshotTests {
    static var chromium: String? {
        for name in ["chromium", "chromium-browser"] {
            for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
                let p = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: p) { return p }
            }
        }
        return nil
    }

    /// Runs `tool` with a deadline; returns the exit status (nil: killed at the deadline).
    static func run(_ tool: String, _ args: [String], seconds: Double) throws -> (Int32?, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        nonisolated(unsafe) var text = Data()
        let reader = Thread { text = out.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            return (nil, "")
        }
        p.waitUntilExit()
        while !reader.isFinished { usleep(10_000) }
        return (p.terminationStatus, String(decoding: text, as: UTF8.self))
    }

    /// Width, height, distinct colours and the share of pixels that differ from the top-left one
    /// (the page background), from the PNG's own bytes.
    static let pngStats = """
        import sys, zlib, struct
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
        pos, idat, w, h, bits, ctype = 8, b'', 0, 0, 0, 0
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
            if kind == b'IHDR': w, h, bits, ctype = struct.unpack('>IIBB', body[:10])
            elif kind == b'IDAT': idat += body
        assert bits == 8 and ctype in (2, 6), (bits, ctype)
        bpp = 3 if ctype == 2 else 4
        raw = zlib.decompress(idat); stride = w * bpp
        prev = bytearray(stride); colours = set(); background = None; other = 0
        for y in range(h):
            f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
                if f == 1: line[i] = (line[i] + a) & 255
                elif f == 2: line[i] = (line[i] + b) & 255
                elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            if y % 2 == 0:
                for x in range(0, stride, bpp * 2):
                    px = bytes(line[x:x + 3]); colours.add(px)
                    if background is None: background = px
                    if px != background: other += 1
            prev = line
        sampled = ((h + 1) // 2) * ((w + 1) // 2)
        print(w, h, len(colours), round(other / sampled, 4))
        """

    @Test("headless Chromium renders the backward and forward reports to PNGs that are not blank")
    func screenshot() throws {
        guard let chromium = Self.chromium else {
            Issue.record("chromium is not installed: scripts/test installs Debian's chromium package")
            return
        }
        let folder = TempFolder()
        let t = MSDReportTests()
        for (station, direction) in [("測試", "backward"), ("焊接_DB", "forward")] {
            let job = try t.runMSD(folder, station: station, direction: direction)
            let (_, file) = try t.report(job, folder, name: "\(direction).html")
            let png = folder.path + "/\(direction).png"
            let (status, log) = try Self.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                        "--user-data-dir=\(folder.path)/chromium-\(direction)",
                                                        "--screenshot=\(png)", "--window-size=1280,2400", "file://\(file)"], seconds: 120)
            #expect(status == 0, "chromium: \(log.suffix(2000))")
            let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
            #expect(size > 20_000, "\(png) is \(size) bytes")
            let (ps, stats) = try Self.run("/usr/bin/env", ["python3", "-c", Self.pngStats, png], seconds: 120)
            #expect(ps == 0, "\(stats)")
            let f = stats.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
            try #require(f.count == 4, "\(stats)")
            #expect(f[0] == 1280 && f[1] == 2400, "\(stats)")
            // A blank or error page has a handful of colours and almost no ink; charts, CJK text and
            // the heat shades give hundreds of colours and a fair share of non-background pixels.
            #expect(f[2] >= 64, "distinct colours: \(stats)")
            #expect(f[3] > 0.05, "share of non-background pixels: \(stats)")
        }
    }
}
