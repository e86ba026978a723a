import Foundation

/// What `tracespool report JOB` shows of any job (query_tool, reverse, MSD): rows per domain, the
/// lineage size and the quality per domain and per stage — the morning check of "did last night's
/// trace get everything", without opening the spool.
public struct JobReportInput {
    public struct Domain {
        public var name: String
        public var rows: Int
        /// complete / partial / failed / pending as the spool records it.
        public var status: String
        public var failedRanges: [String]
        public init(name: String, rows: Int, status: String, failedRanges: [String]) {
            self.name = name
            self.rows = rows
            self.status = status
            self.failedRanges = failedRanges
        }
    }

    public struct Stage {
        public var name: String
        public var status: String
        public var batches: Int
        public var failedRanges: [String]
        public init(name: String, status: String, batches: Int, failedRanges: [String]) {
            self.name = name
            self.status = status
            self.batches = batches
            self.failedRanges = failedRanges
        }
    }

    public struct Lineage {
        public var direction: String
        public var nodes: Int
        public var edges: Int
        public init(direction: String, nodes: Int, edges: Int) {
            self.direction = direction
            self.nodes = nodes
            self.edges = edges
        }
    }

    public var jobId: String
    public var profile: String
    /// Label / value facts of the job (created, finished, snapshot, seeds …), already text.
    public var facts: [(String, String)]
    public var domains: [Domain]
    public var stages: [Stage]
    /// nil: the job has no lineage (explicit CIDs).
    public var lineage: Lineage?
    /// The query-level quality (`quality_meta` of an export) and its reasons.
    public var quality: String
    public var qualityReasons: [String]
    public var finished: Bool
    public var warnings: [String]
    /// Set for an MSD job: where its charts are (`tracespool msd report JOB`).
    public var msdHint: String?
    public var command: String
    public var generatedAt: String
    public var version: String

    public init(jobId: String, profile: String, facts: [(String, String)], domains: [Domain], stages: [Stage], lineage: Lineage?,
                quality: String, qualityReasons: [String], finished: Bool, warnings: [String], msdHint: String?,
                command: String, generatedAt: String, version: String) {
        self.jobId = jobId
        self.profile = profile
        self.facts = facts
        self.domains = domains
        self.stages = stages
        self.lineage = lineage
        self.quality = quality
        self.qualityReasons = qualityReasons
        self.finished = finished
        self.warnings = warnings
        self.msdHint = msdHint
        self.command = command
        self.generatedAt = generatedAt
        self.version = version
    }
}

public enum JobOverviewReport {
    public static func render(_ r: JobReportInput) -> String {
        var page = ReportPage(title: "tracespool job \(r.jobId) · \(r.profile)", heading: "追溯任務報告 Job report · \(r.profile)",
                              subheading: "job \(r.jobId) · quality \(r.quality)",
                              footer: "tracespool \(r.version) · generated \(r.generatedAt) · \(r.command)")
        if !r.finished {
            page.body.append(ReportPage.notice("partial", "進行中 IN PROGRESS — the job is still writing its spool",
                                               detail: "rows are counted up to the last committed batch; run the report again when it ends"))
        }
        if r.quality != "complete" {
            let bad = r.domains.filter { $0.status != "complete" }.map { "\($0.name) \($0.status)" }
                + r.stages.filter { $0.status != "complete" }.map { "stage \($0.name) \($0.status): \($0.failedRanges.count) of \($0.batches) batch(es) failed" }
            page.body.append(ReportPage.notice(r.quality == "failed" ? "failed" : "partial",
                "品質 QUALITY: \(r.quality.uppercased()) — 結果不完整 this job's results are incomplete"
                    + (r.qualityReasons.isEmpty ? "" : " (\(r.qualityReasons.joined(separator: ", ")))"),
                detail: bad.isEmpty ? nil : bad.joined(separator: "; ")))
        }
        let total = r.domains.reduce(0) { $0 + $1.rows }
        if r.domains.isEmpty || total == 0 {
            page.body.append(ReportPage.notice("empty", "無資料 NO ROWS — the job's domains hold no rows",
                                               detail: r.domains.isEmpty ? "the job asked for no event domain" : nil))
        }
        if let hint = r.msdHint {
            page.body.append("<p class=\"note\">MSD charts and KPI: <code>\(HTML.escape(hint))</code></p>")
        }
        page.body.append(ReportPage.section("任務 Job", id: "job", ReportPage.definitions(r.facts)))

        // Rows per domain: the number, and a CSS bar (share of the largest domain) to compare at a glance.
        let maxRows = max(1, r.domains.map(\.rows).max() ?? 0)
        var rows = r.domains.map { d -> [String] in
            let w = Int((Double(d.rows) / Double(maxRows) * 220).rounded())
            return ["<span data-domain=\"\(HTML.escape(d.name))\" data-value=\"\(d.rows)\">\(HTML.escape(d.name))</span>",
                    HTML.escape(HTML.qty(Double(d.rows))),
                    "<span class=\"bar-inline\" style=\"width:\(w)px\"></span>",
                    ReportPage.status(d.status), HTML.escape(d.failedRanges.isEmpty ? "—" : d.failedRanges.joined(separator: "; "))]
        }
        rows.append(["<strong>合計 total</strong>", "<strong>\(HTML.escape(HTML.qty(Double(total))))</strong>", "", "", ""])
        page.body.append(ReportPage.section("各資料域筆數 Rows per domain", id: "domains",
            r.domains.isEmpty ? "<p class=\"nodata\" data-empty=\"true\">無資料 · no domains</p>"
                : ReportPage.tableHTML(header: ["domain", "rows", "", "status", "failed ranges"], rows: rows,
                                       numeric: [false, true, false, false, false], key: "domains")))

        let lineage: String
        if let l = r.lineage {
            lineage = ReportPage.cards([
                .init(key: "lineage_nodes", label: "節點 nodes", raw: String(l.nodes), shown: HTML.qty(Double(l.nodes))),
                .init(key: "lineage_edges", label: "邊 edges", raw: String(l.edges), shown: HTML.qty(Double(l.edges))),
                .init(key: "lineage_direction", label: "方向 direction", raw: l.direction, shown: l.direction),
            ])
        } else {
            lineage = "<p class=\"nodata\" data-empty=\"true\">無族譜 · no lineage (the job was run with explicit CIDs)</p>"
        }
        page.body.append(ReportPage.section("族譜規模 Lineage size", id: "lineage", lineage))

        if !r.stages.isEmpty {
            page.body.append(ReportPage.section("各階段品質 Quality per stage", id: "stages",
                ReportPage.tableHTML(header: ["stage", "status", "batches", "failed ranges"], rows: r.stages.map { s in
                    [HTML.escape(s.name), ReportPage.status(s.status), String(s.batches),
                     HTML.escape(s.failedRanges.isEmpty ? "—" : s.failedRanges.joined(separator: "; "))]
                }, numeric: [false, false, true, false], key: "stages")))
        }
        if !r.warnings.isEmpty {
            page.body.append(ReportPage.section("警告 Warnings", id: "warnings",
                "<ul>" + r.warnings.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"))
        }
        return page.render()
    }
}
