import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolPipeline
import TracespoolSpool

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one trace job in-process and spool its events.",
        discussion: """
            Prints the job id on stdout (or one JSON object with --json); progress goes to stderr.
            \(ExitStatus.helpText)
            """)

    @Option(help: "query_tool, query_tool_reverse or mid_section_defect.")
    var profile = "query_tool"

    @Option(help: "Container ids, comma-separated (repeatable).")
    var cids: [String] = []

    @Option(help: "File of container ids, one per line or comma-separated ('-' reads stdin).")
    var cidsFile: String?

    @Option(help: "Event domains, comma-separated (default: the profile's).")
    var domains: String?

    @Option(help: "CIDs per warehouse statement (else TRACE_CID_BATCH, default 1000).")
    var cidBatch: Int?

    @Option(help: "Rows per in-memory block (else DB_SLOW_FETCHMANY_SIZE, default 5000).")
    var fetchRows: Int?

    @Option(help: "Per-statement timeout in ms (else TRACESPOOL_STATEMENT_TIMEOUT_MS, default 60000).")
    var statementTimeoutMs: Int?

    @OptionGroup var source: SourceOptions
    @OptionGroup var spool: SpoolOptions

    @Flag(help: "Print one JSON object describing the finished job.")
    var json = false

    func validate() throws {
        if let b = cidBatch, !(1...100_000).contains(b) { throw ValidationError("--cid-batch must be in 1...100000") }
        if let f = fetchRows, !(1...1_000_000).contains(f) { throw ValidationError("--fetch-rows must be in 1...1000000") }
        if let t = statementTimeoutMs, t < 0 { throw ValidationError("--statement-timeout-ms must be ≥ 0") }
    }

    func run() throws {
        let logger = LogSetup.logger()
        var raw = cids.flatMap { $0.split(separator: ",").map(String.init) }
        if let file = cidsFile { raw += try readCIDFile(file) }
        let request: TraceRequest
        var config: EventsConfig
        do {
            request = try TraceRequest.make(
                profile: profile, domains: domains.map { $0.split(separator: ",").map(String.init) }, cids: raw)
            config = try EventsConfig.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch let e as TraceRequest.Invalid {
            throw ValidationError(e.message)
        } catch let e as ConfigError {
            throw ValidationError(e.message)
        }
        if let b = cidBatch { config.cidBatchSize = b }
        if let f = fetchRows { config.fetchRows = f }
        if let t = statementTimeoutMs { config.statementTimeoutMs = t }

        let runner = JobRunner(spoolDir: spool.path, conninfo: source.conninfo, config: config, logger: logger,
                               ttlSeconds: Int(ProcessInfo.processInfo.environment["TRACE_JOB_TTL_SECONDS"] ?? "") ?? 86_400)
        let bar = ProgressLine()
        runner.onProgress = { bar.update($0) }
        let cancellation = runner.cancellation
        let interrupt = InterruptHandler { cancellation.cancel() }
        defer { interrupt.release() }

        let result: JobResult
        do {
            result = try runner.run(request)
            bar.finish()
        } catch let f as JobFailure {
            bar.finish()
            if json { printJSON(JobReport.failure(f)) }
            FileHandle.standardError.write(Data("tracespool: \(f.code): \(f.message)\n".utf8))
            throw ExitCode(ExitStatus.forCode(f.code))
        }
        if json {
            printJSON(JobReport.success(result))
        } else {
            print(result.jobId)
            for d in result.domains where d.status != "complete" {
                FileHandle.standardError.write(Data(
                    "tracespool: domain \(d.domain) is \(d.status): \(d.failedRanges.count) batch(es) failed\n".utf8))
            }
        }
        if result.quality == "partial" { throw ExitCode(ExitStatus.partial) }
    }

    private func readCIDFile(_ path: String) throws -> [String] {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read --cids-file \(path)")
            }
            data = d
        }
        return String(decoding: data, as: UTF8.self)
            .split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == "\r" }).map(String.init)
    }
}

func printJSON(_ object: Any) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// The `--json` object of `run`.
enum JobReport {
    static func success(_ r: JobResult) -> [String: Any] {
        var rows: [String: Any] = [:]
        var quality: [String: Any] = [:]
        for d in r.domains {
            rows[d.domain] = d.rows
            quality[d.domain] = [
                "status": d.status,
                "failed_ranges": d.failedRanges.map { ["start": $0.start, "end": $0.end, "code": $0.code] },
            ] as [String: Any]
        }
        return [
            "job_id": r.jobId, "spool_path": r.spoolPath, "state": r.state, "quality": r.quality,
            "cid_count": r.cidCount, "unknown_cid_count": r.unknownCIDs, "duplicate_cid_count": r.duplicateCIDs,
            "rows": rows, "domain_quality": quality,
            "elapsed_seconds": (r.elapsedSeconds * 1000).rounded() / 1000,
        ]
    }

    static func failure(_ f: JobFailure) -> [String: Any] {
        var o: [String: Any] = ["state": "failed", "error": ["code": f.code, "message": f.message]]
        if let id = f.jobId { o["job_id"] = id }
        return o
    }
}
