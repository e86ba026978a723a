import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolMSD
import TracespoolPipeline
import TracespoolSpool

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one trace job in-process: seeds → lineage → events, spooled to SQLite.",
        discussion: """
            Seeds (one kind per job): query_tool takes --lot-ids, --wafer-lots, --work-orders (GA/GC); \
            query_tool_reverse takes --serials, --gd-work-orders, --gd-lot-ids; mid_section_defect takes \
            --station with --from/--to (date mode) or any value flag (container mode). --seed-cids gives \
            seeds as CIDs for any profile. --cids/--cids-file skip seeds and lineage: the events of exactly \
            those CIDs (CIDs not in the warehouse are counted and named on stderr; if none is known the run \
            ends with exit 5). Values are comma-separated; '*' is a prefix wildcard after at least two \
            characters. A flag that does not apply to the chosen profile or trace is a usage error.

            Prints the job id on stdout (or one JSON object with --json); progress goes to stderr.
            \(ExitStatus.helpText)
            """)

    // Every flag is named explicitly: ArgumentParser's own spelling of a property can differ from
    // the documented one (`seedCIDs` would be `--seed-ci-ds`). Numbers parse unconditionally, so
    // `--cid-limit -1` is refused by validate() with a reason, not as "Missing value".
    @Option(name: .customLong("profile"), help: "query_tool, query_tool_reverse or mid_section_defect.")
    var profile = "query_tool"

    @Option(name: .customLong("cids"), help: "Trace exactly these container ids, comma-separated (repeatable): no seeds, no lineage.")
    var cids: [String] = []

    @Option(name: .customLong("cids-file"), help: "File of container ids for --cids, one per line or comma-separated ('-' reads stdin).")
    var cidsFile: String?

    @Option(name: .customLong("seed-cids"), help: "Seeds given as container ids (then lineage expands them).")
    var seedCIDs: [String] = []

    @Option(name: .customLong("lot-ids"), help: "Seeds: lot ids (CONTAINERNAME).") var lotIds: [String] = []
    @Option(name: .customLong("wafer-lots"), help: "Seeds: wafer lots (FIRSTNAME).") var waferLots: [String] = []
    @Option(name: .customLong("work-orders"), help: "Seeds: GA/GC work orders.") var workOrders: [String] = []
    @Option(name: .customLong("serials"), help: "Seeds: serial numbers (finished name, then lot id, then wafer lot).") var serials: [String] = []
    @Option(name: .customLong("gd-work-orders"), help: "Seeds: GD work orders.") var gdWorkOrders: [String] = []
    @Option(name: .customLong("gd-lot-ids"), help: "Seeds: GD lot ids.") var gdLotIds: [String] = []

    @Option(name: .customLong("station"), help: "MSD detection station group(s), comma-separated (default 測試).")
    var station: String?
    @Option(name: .customLong("from"), help: "MSD date mode: first day, YYYY-MM-DD (inclusive).") var from: String?
    @Option(name: .customLong("to"), help: "MSD date mode: last day, YYYY-MM-DD (inclusive, at most 730 days after --from).") var to: String?
    @Option(name: .customLong("direction"), help: "MSD lineage direction: backward (default) or forward.") var direction: String?

    @Option(name: .customLong("domains"), help: "Event domains, comma-separated (default: the profile's).")
    var domains: String?

    @Option(name: .customLong("cid-limit"), parsing: .unconditional,
            help: "Refuse query_tool traces over this many CIDs (else TRACE_EVENTS_CID_LIMIT, default 50000).")
    var cidLimit: Int?

    @Option(name: .customLong("cid-batch"), parsing: .unconditional, help: "CIDs per warehouse statement (else TRACE_CID_BATCH, default 1000).")
    var cidBatch: Int?

    @Option(name: .customLong("fetch-rows"), parsing: .unconditional, help: "Rows per in-memory block (else DB_SLOW_FETCHMANY_SIZE, default 5000).")
    var fetchRows: Int?

    @Option(name: .customLong("statement-timeout-ms"), parsing: .unconditional,
            help: "Per-statement timeout in ms (else TRACESPOOL_STATEMENT_TIMEOUT_MS, default 60000).")
    var statementTimeoutMs: Int?

    @OptionGroup var source: SourceOptions
    @OptionGroup var spool: SpoolOptions

    @Flag(name: .customLong("json"), help: "Print one JSON object describing the finished job.")
    var json = false

    func validate() throws {
        if let b = cidBatch, !(1...100_000).contains(b) { throw ValidationError("--cid-batch must be in 1...100000") }
        if let f = fetchRows, !(1...1_000_000).contains(f) { throw ValidationError("--fetch-rows must be in 1...1000000") }
        if let t = statementTimeoutMs, t < 0 { throw ValidationError("--statement-timeout-ms must be ≥ 0") }
        if let l = cidLimit, l < 1 { throw ValidationError("--cid-limit must be ≥ 1") }
    }

    func run() throws {
        let logger = LogSetup.logger()
        let env = ProcessInfo.processInfo.environment
        func split(_ list: [String]) -> [String] { list.flatMap { $0.split(separator: ",").map(String.init) } }
        var input = TraceRequest.Input()
        input.profile = profile
        input.domains = domains.map { $0.split(separator: ",").map(String.init) }
        input.cids = split(cids)
        if let file = cidsFile {
            if file == "-" {
                input.cidsFile = try CIDFile.fromStandardInput(into: spool.path)
            } else {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir) else {
                    throw ValidationError("--cids-file \(file): no such file")
                }
                if isDir.boolValue {
                    throw ValidationError("--cids-file \(file) is a folder: give a file of container ids (one per line or comma-separated)")
                }
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw ValidationError("cannot read --cids-file \(file): permission denied")
                }
                input.cidsFile = CIDFile(path: file)
            }
        }
        defer { if cidsFile == "-", let f = input.cidsFile { try? FileManager.default.removeItem(atPath: f.path) } }
        input.seedCIDs = split(seedCIDs)
        input.values = [.lotId: split(lotIds), .waferLot: split(waferLots), .workOrder: split(workOrders),
                        .serialNumber: split(serials), .gdWorkOrder: split(gdWorkOrders), .gdLotId: split(gdLotIds)]
        input.stations = station.map { $0.split(separator: ",").map(String.init) }
        input.from = from
        input.to = to
        input.direction = direction
        let request: TraceRequest
        var config: EventsConfig
        do {
            if let l = cidLimit {
                input.cidLimit = l
            } else if let raw = env["TRACE_EVENTS_CID_LIMIT"] {
                guard let l = Int(raw), l >= 1 else { throw ValidationError("TRACE_EVENTS_CID_LIMIT=\(raw) is not a positive integer") }
                input.cidLimit = l
            }
            request = try TraceRequest.make(input)
            config = try EventsConfig.fromEnvironment(env)
        } catch let e as TraceRequest.Invalid {
            throw ValidationError(e.message)
        } catch let e as ConfigError {
            throw ValidationError(e.message)
        } catch let e as CIDLimitExceeded {
            if json { printJSON(["state": "failed", "error": ["code": "CID_LIMIT_EXCEEDED", "message": e.description,
                                                              "cid_count": e.cidCount, "limit": e.limit] as [String: Any]]) }
            FileHandle.standardError.write(Data("tracespool: CID_LIMIT_EXCEEDED: \(e.description)\n".utf8))
            throw ExitCode(ExitStatus.refused)
        }
        if let b = cidBatch { config.cidBatchSize = b }
        if let f = fetchRows { config.fetchRows = f }
        if let t = statementTimeoutMs { config.statementTimeoutMs = t }

        let runner = JobRunner(spoolDir: spool.path, conninfo: source.conninfo, config: config, logger: logger,
                               ttlSeconds: Int(env["TRACE_JOB_TTL_SECONDS"] ?? "") ?? 86_400)
        // The CLI prints a failure itself (one line); the log gets it only when asked for (TRACESPOOL_LOG_LEVEL).
        runner.failureLogLevel = .notice
        let bar = ProgressLine()
        runner.onProgress = { bar.update($0) }
        runner.onStageProgress = { bar.update($0) }
        runner.onStage = { bar.note($0) }
        // An MSD job computes and stores its unmasked summary, so reading it later is instant.
        runner.afterMSDEvents = { spool in _ = try MSDSummaryStore.computeAndStore(spool: spool) }
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
            for w in result.warnings { FileHandle.standardError.write(Data("tracespool: warning: \(w)\n".utf8)) }
        }
        if result.unknownCIDs > 0 {
            FileHandle.standardError.write(Data(("tracespool: warning: \(result.unknownCIDs) of \(Wording.count(result.cidCount, "container id")) "
                + "\(result.unknownCIDs == 1 ? "is" : "are") not in the warehouse and have no rows: "
                + Wording.sample(result.unknownCIDSample, total: result.unknownCIDs) + "\n").utf8))
        }
        for st in result.stages where st.quality != .complete {
            FileHandle.standardError.write(Data(
                "tracespool: \(st.stage) is \(st.quality.rawValue): \(st.failedRanges.count) of \(st.batches) batch(es) failed\n".utf8))
        }
        if result.quality != .complete { throw ExitCode(ExitStatus.partial) }
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
        var stages: [String: Any] = [:]
        for st in r.stages {
            stages[st.stage] = [
                "status": st.quality.rawValue, "batches": st.batches,
                "failed_ranges": st.failedRanges.map { ["start": $0.start, "end": $0.end, "code": $0.code] },
            ] as [String: Any]
        }
        var o: [String: Any] = [
            "job_id": r.jobId, "spool_path": r.spoolPath, "state": r.state, "quality": r.quality.rawValue, "profile": r.profile,
            "stage_quality": stages,
            "cid_count": r.cidCount, "unknown_cid_count": r.unknownCIDs, "unknown_cids_sample": r.unknownCIDSample, "duplicate_cid_count": r.duplicateCIDs,
            "rows": rows, "domain_quality": quality, "warnings": r.warnings, "not_found": r.notFound,
            "stage_seconds": Dictionary(r.stageSeconds.map { ($0.0, ($0.1 * 1000).rounded() / 1000) }, uniquingKeysWith: { a, _ in a }),
            "elapsed_seconds": (r.elapsedSeconds * 1000).rounded() / 1000,
        ]
        if let n = r.seedCount { o["seed_count"] = n }
        if let n = r.nodeCount { o["node_count"] = n }
        if let n = r.edgeCount { o["edge_count"] = n }
        if let n = r.detectionLots { o["detection_lot_count"] = n }
        return o
    }

    static func failure(_ f: JobFailure) -> [String: Any] {
        var o: [String: Any] = ["state": "failed", "error": ["code": f.code, "message": f.message]]
        if let id = f.jobId { o["job_id"] = id }
        if let n = f.underlying as? NoSeedsFound { o["not_found"] = n.notFound }
        if let c = f.underlying as? CIDLimitExceeded {
            o["error"] = ["code": f.code, "message": f.message, "cid_count": c.cidCount, "limit": c.limit] as [String: Any]
        }
        return o
    }
}
