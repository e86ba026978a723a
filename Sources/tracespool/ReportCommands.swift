import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolMSD
import TracespoolReaders
import TracespoolReports
import TracespoolServer
import TracespoolSpool

/// `tracespool msd report JOB`: the MSD summary and the top detail rows as one self-contained HTML
/// file. The page is rendered from exactly the JSON `msd summary` / `msd detail` print for the same
/// masks (obtained the same way), so a report never shows a number the JSON does not have.
struct MSDReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the MSD report: one self-contained HTML file (inline SVG and CSS, no script, no URL).",
        discussion: """
            The query (station, window, direction, masks, snapshot, quality), the KPI cards, the Pareto \
            charts with their cumulative % lines (top N, the rest folded into 其他/others), the daily \
            trend, forward's reason × station heat tables, and the top \(MSDReportSource.detailRows) detail \
            rows. A partial job or an empty result says so at the top of the page. Masks as for `msd \
            summary`. -o as for `msd export -o`; without it the page goes to stdout.
            """)

    @OptionGroup var job: MSDJobOptions
    @OptionGroup var mask: MSDMaskOptions

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file, or - for stdout (default).", valueName: "FILE"))
    var output: String?

    @Option(name: .customLong("top"), parsing: .unconditional, help: "Bars per Pareto chart before the rest is folded into 其他/others (1...50, default 10).")
    var top = 10

    func validate() throws {
        if !(1...50).contains(top) { throw ValidationError("--top must be in 1...50") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let file = output.flatMap { $0 == "-" ? nil : $0 }
        if let file { MSDCLI.checkOutput(file, source: job.job, spoolDir: job.spool.path) }
        let m = MSDCLI.open(job)
        let html = MSDCLI.timed("report") {
            MSDCLI.attempt { try MSDReportSource.html(m, masks: mask.masks, top: top, command: command) }
        }
        let data = Data(html.utf8)
        if let file {
            MSDCLI.writeFile(file) { h in try h.write(contentsOf: data) }
            FileHandle.standardError.write(Data("tracespool: wrote \(file) (\(data.count) bytes)\n".utf8))
        } else {
            MSDCLI.attempt { try MSDCLI.writeStdout(data) }
        }
    }

    /// The command as shown in the page's footer: what makes this report again (no -o, no folder).
    var command: String {
        var parts = ["tracespool", "msd", "report", job.job]
        let m = mask.masks
        if !m.lossReasons.isEmpty { parts += ["--loss-reasons", m.lossReasons.joined(separator: ",")] }
        if !m.pjTypes.isEmpty { parts += ["--pj-types", m.pjTypes.joined(separator: ",")] }
        if !m.packages.isEmpty { parts += ["--packages", m.packages.joined(separator: ",")] }
        if top != 10 { parts += ["--top", String(top)] }
        return parts.joined(separator: " ")
    }
}

/// `tracespool report JOB`: any job's overview as one HTML file — rows per domain, lineage size,
/// quality per domain and per stage. A command of its own rather than `export --format html`:
/// export's flags (layout, domain, cursor, limit, batch size, BOM) are about streaming rows and none
/// of them means anything for an overview page.
struct JobReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a job's overview as one self-contained HTML file: rows per domain, lineage size, quality.",
        discussion: """
            Works for every profile; an MSD job's charts are `tracespool msd report JOB`. -o as for \
            `msd export -o` (never over a spool or catalog; written under FILE.part, then renamed); \
            without it the page goes to stdout.
            \(ExitStatus.helpText)
            """)

    @Argument(help: ArgumentHelp("A job id or a spool file path.", valueName: "JOB|SPOOL_FILE"))
    var source: String

    @OptionGroup var spool: SpoolOptions

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file, or - for stdout (default).", valueName: "FILE"))
    var output: String?

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let file = output.flatMap { $0 == "-" ? nil : $0 }
        if let file { MSDCLI.checkOutput(file, source: source, spoolDir: spool.path) }
        let html = MSDCLI.attempt { try JobOverviewReport.render(JobReportCommand.input(source: source, spoolDir: spool.path)) }
        let data = Data(html.utf8)
        if let file {
            MSDCLI.writeFile(file) { h in try h.write(contentsOf: data) }
            FileHandle.standardError.write(Data("tracespool: wrote \(file) (\(data.count) bytes)\n".utf8))
        } else {
            MSDCLI.attempt { try MSDCLI.writeStdout(data) }
        }
    }

    static func input(source: String, spoolDir: String) throws -> JobReportInput {
        let (path, jobId) = try SpoolLocator.resolve(source, spoolDir: spoolDir)
        let spool = try Spool.open(at: path, readOnly: true)
        let reader: SpoolReader
        do {
            reader = try SpoolReader(spool: spool)
        } catch let e as ReaderError {
            throw ExportFailure(code: e.code, message: e.message)
        }
        if let jobId, let held = reader.jobId, held != jobId {
            throw SpoolError(.corrupt, "\(path) holds job \(held), not \(jobId)")
        }
        func meta(_ k: String) -> String? { (try? spool.meta(k)).flatMap { $0 }.flatMap { $0.isEmpty ? nil : $0 } }
        let db = spool.database
        func count(_ table: String) -> Int? {
            guard (try? db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [table])) == 1 else { return nil }
            return try? db.scalarInt("SELECT count(*) FROM \(table)")
        }
        let stages = try spool.stageQualities()
        let domainQuality = QueryQuality(reader.domains.map(\.quality))
        let quality = stages.isEmpty ? domainQuality.status : StageQuality.job(stages.map(\.quality)).rawValue
        var lineage: JobReportInput.Lineage?
        if let direction = meta("lineage.direction") {
            lineage = .init(direction: direction, nodes: count("lineage_nodes") ?? Int(meta("result.node_count") ?? "") ?? 0,
                            edges: count("lineage_edges") ?? Int(meta("result.edge_count") ?? "") ?? 0)
        }
        let profile = reader.profile ?? "—"
        var facts: [(String, String)] = [
            ("任務 job", reader.jobId ?? path), ("profile", profile),
            ("建立 created", meta("created_at") ?? "—"), ("完成 finished", meta("finished_at") ?? "not finished"),
            ("快照 snapshot", meta("snapshot_times") ?? meta("snapshot_time") ?? "—"),
            ("種子 seeds", meta("result.seed_count") ?? "—"), ("CID 數 CIDs", meta("cid_count") ?? "—"),
        ]
        if let nf = meta("result.not_found") { facts.append(("查無 not found", nf)) }
        facts.append(("資料域 domains", reader.domains.map(\.name).joined(separator: ", ")))
        facts.append(("品質 quality", quality))
        facts.append(("spool", path))
        func ranges(_ r: [SpoolStageQuality.FailedRange]) -> [String] { r.map { "\($0.start)…\($0.end) \($0.code)" } }
        return JobReportInput(
            jobId: reader.jobId ?? path, profile: profile, facts: facts,
            domains: reader.domains.map { d in
                .init(name: d.name, rows: d.total, status: d.status, failedRanges: d.failedRanges.map { "\($0.start)…\($0.end)" })
            },
            stages: stages.map { .init(name: $0.stage, status: $0.quality.rawValue, batches: $0.batches, failedRanges: ranges($0.failedRanges)) },
            lineage: lineage, quality: quality, qualityReasons: domainQuality.reasons, finished: reader.finished,
            warnings: (meta("warnings") ?? "").split(separator: "\n").map(String.init),
            msdHint: profile == MSDSpool.profile ? "tracespool msd report \(reader.jobId ?? path) -o report.html" : nil,
            command: "tracespool report \(source)", generatedAt: UTCTime.iso(Date()), version: TracespoolVersion.current)
    }
}
