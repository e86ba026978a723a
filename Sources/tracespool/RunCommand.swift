import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolMSD
import TracespoolPipeline
import TracespoolSpool
import Logging

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

    @OptionGroup var trace: TraceOptions
    @OptionGroup var source: SourceOptions
    @OptionGroup var spool: SpoolOptions

    @Flag(name: .customLong("json"), help: "Print one JSON object describing the finished job.")
    var json = false

    func run() throws {
        let logger = LogSetup.logger()
        let env = ProcessInfo.processInfo.environment
        try trace.withRequest(spoolPath: spool.path, json: json) { request, config in
            try run(request, config, logger: logger, env: env)
        }
    }

    private func run(_ request: TraceRequest, _ config: EventsConfig, logger: Logger, env: [String: String]) throws {
        let runner = try JobCLI.runner(spoolDir: spool.path, conninfo: source.conninfo, config: config, logger: logger, json: json)
        // The CLI prints a failure itself (one line); the log gets it only when asked for (TRACESPOOL_LOG_LEVEL).
        runner.failureLogLevel = .notice
        let bar = ProgressLine()
        runner.onProgress = { bar.update($0) }
        runner.onStageProgress = { bar.update($0) }
        runner.onStage = { bar.note($0) }
        // An MSD job computes and stores its unmasked summary, so reading it later is instant.
        runner.afterMSDEvents = { spool in _ = try MSDSummaryStore.computeAndStore(spool: spool) }
        // Ctrl-C or SIGTERM cancels the job (it ends `cancelled`, its spool kept); a second one quits
        // at once, leaving a job whose lease expires and which a worker resumes.
        let interrupt = InterruptHandler { runner.stopAll(.cancelRequested) }
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
