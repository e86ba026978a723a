import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolPipeline
import TracespoolSpool

/// `tracespool jobs …`: the queue as people (and scripts, with --json) see it.
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, inspect, cancel, resume, retry, remove and collect jobs.",
        discussion: ExitStatus.helpText,
        subcommands: [List.self, Show.self, Cancel.self, Resume.self, RetryFailed.self, Remove.self, Collect.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Jobs, newest first.")
        @Option(name: .customLong("state"), help: "Only jobs in this state: \(JobState.allCases.map(\.rawValue).joined(separator: ", ")).")
        var state: String?
        @Option(name: .customLong("limit"), parsing: .unconditional, help: "At most this many (1...10000, default 100).")
        var limit = 100
        @OptionGroup var spool: SpoolOptions
        @Flag(name: .customLong("json"), help: "One JSON object: {\"jobs\":[…]}.") var json = false

        func validate() throws {
            if let s = state, JobState(rawValue: s) == nil {
                throw ValidationError("unknown state \"\(s)\"; valid: \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !(1...10_000).contains(limit) { throw ValidationError("--limit must be in 1...10000") }
        }

        func run() throws {
            let store = try JobCLI.store(spool.path, json: json)
            let jobs = try store.list(state: state.flatMap(JobState.init(rawValue:)), limit: limit, after: nil)
            if json {
                printJSON(["jobs": jobs.map { JobDescription.summary($0) }])
                return
            }
            print(JobView.tableHeader)
            for j in jobs { print(JobView.tableRow(j)) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One job: state, stage, progress, lease, quality, rows, expiry.")
        @Argument(help: "Job id.") var id: String
        @OptionGroup var spool: SpoolOptions
        @Flag(name: .customLong("json"), help: "One JSON object.") var json = false

        func run() throws {
            let store = try JobCLI.store(spool.path, json: json)
            let job = try JobCLI.job(id, in: store, json: json)
            let view = JobDescription.detail(job, spoolDir: spool.path)
            if json { printJSON(view); return }
            for line in JobView.text(view) { print(line) }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel", abstract: "Cancel a queued job now, or ask a running job's worker to stop (within a second).")
        @Argument(help: "Job id.") var id: String
        @Flag(name: .customLong("wait"), help: "Wait until the job is cancelled (or finished).") var wait = false
        @OptionGroup var spool: SpoolOptions
        @Flag(name: .customLong("json"), help: "One JSON object.") var json = false

        func run() throws {
            let store = try JobCLI.store(spool.path, json: json)
            _ = try JobCLI.job(id, in: store, json: json)
            let answer: CancelAnswer
            do { answer = try store.cancel(id: id) } catch {
                let (code, message) = JobCLI.describe(error)
                throw JobCLI.fail(code, message, json: json)
            }
            var state = answer == .cancelled ? JobState.cancelled : .running
            let t0 = Date()
            if wait && answer == .requested {
                while let j = try store.get(id: id), j.state == .running, !j.leaseExpired() {
                    Thread.sleep(forTimeInterval: 0.05)
                }
                state = try store.get(id: id)?.state ?? .cancelled
            }
            let seconds = Date().timeIntervalSince(t0)
            if json {
                var o: [String: Any] = ["job_id": id, "state": state.rawValue, "cancel": answer == .cancelled ? "done" : "requested"]
                if wait { o["waited_seconds"] = (seconds * 1000).rounded() / 1000 }
                printJSON(o)
            } else if answer == .cancelled {
                print("\(id) cancelled")
            } else if wait {
                print("\(id) \(state.rawValue) (\(String(format: "%.2f", seconds)) s after the request)")
            } else {
                print("\(id) cancel requested: its worker stops within a second")
            }
        }
    }

    /// What `resume` and `retry-failed` take: they run a job again in this process.
    struct RunAgainOptions: ParsableArguments {
        @Argument(help: "Job id.") var id: String
        @OptionGroup var source: SourceOptions
        @OptionGroup var spool: SpoolOptions
        @Flag(name: .customLong("json"), help: "One JSON object describing the finished job.") var json = false
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume",
            abstract: "Take over a job whose worker is gone (lease expired), or a failed one, and finish it in this process.")
        @OptionGroup var o: RunAgainOptions

        func run() throws { try JobsCommand.runAgain(o.id, source: o.source, spool: o.spool, json: o.json, retryFailedBatches: false) }
    }

    struct RetryFailed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry-failed",
            abstract: "Fetch again the event batches that failed in a finished job; they land in grouped order.")
        @OptionGroup var o: RunAgainOptions

        func run() throws { try JobsCommand.runAgain(o.id, source: o.source, spool: o.spool, json: o.json, retryFailedBatches: true) }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a finished job: its row and its files.")
        @Argument(help: "Job id.") var id: String
        @OptionGroup var spool: SpoolOptions
        @Flag(name: .customLong("json"), help: "One JSON object.") var json = false

        func run() throws {
            let store = try JobCLI.store(spool.path, json: json)
            let job = try JobCLI.job(id, in: store, json: json)
            if job.state == .running || job.state == .queued {
                throw JobCLI.fail("JOB_STATE_CONFLICT", "job \(id) is \(job.state.rawValue): cancel it first (tracespool jobs cancel \(id) --wait)", json: json)
            }
            let bytes = JobFiles.bytes(spoolDir: spool.path, id: id)
            JobFiles.remove(spoolDir: spool.path, id: id)
            try store.delete(id: id)
            if json { printJSON(["job_id": id, "removed": true, "freed_bytes": bytes]) } else { print("\(id) removed (\(bytes) bytes)") }
        }
    }

    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove expired spools (TRACE_JOB_TTL_SECONDS) and, over TRACESPOOL_SPOOL_MAX_BYTES, the oldest finished ones.")
        @Flag(name: .customLong("dry-run"), help: "Say what would be removed; change nothing.") var dryRun = false
        @OptionGroup var spool: SpoolOptions
        @Flag(name: .customLong("json"), help: "One JSON object.") var json = false

        func run() throws {
            let store = try JobCLI.store(spool.path, json: json)
            let report: Retention.Report
            do { report = try Retention(store: store, spoolDir: spool.path).collect(dryRun: dryRun) } catch {
                let (code, message) = JobCLI.describe(error)
                throw JobCLI.fail(code, message, json: json)
            }
            if json {
                printJSON(["dry_run": dryRun, "expired": report.expired, "evicted": report.evicted, "cleaned": report.cleaned,
                           "freed_bytes": report.freedBytes, "kept_bytes": report.keptBytes])
                return
            }
            let verb = dryRun ? "would remove" : "removed"
            print("\(verb) \(report.expired.count) expired, \(report.evicted.count) over the size cap, "
                + "\(report.cleaned.count) left over: \(report.freedBytes) bytes; \(report.keptBytes) bytes kept")
            for id in report.expired { print("expired \(id)") }
            for id in report.evicted { print("evicted \(id)") }
        }
    }

    /// `resume` and `retry-failed`: claim the job for this process and run it to its end.
    static func runAgain(_ id: String, source: SourceOptions, spool: SpoolOptions, json: Bool, retryFailedBatches: Bool) throws {
        // The id and the folder are checked before anything is opened or created.
        try JobCLI.checkId(id, json: json)
        _ = try JobCLI.job(id, in: try JobCLI.store(spool.path, json: json), json: json)
        let logger = LogSetup.logger()
        let config = try JobCLI.eventsConfig()
        let runner = try JobCLI.runner(spoolDir: spool.path, conninfo: source.conninfo, config: config, logger: logger, json: json)
        runner.failureLogLevel = .notice
        let job = try JobCLI.job(id, in: runner.store, json: json)
        if retryFailedBatches {
            guard job.state == .failed || (job.state == .succeeded && job.quality == .partial) else {
                throw JobCLI.fail("JOB_STATE_CONFLICT", "job \(id) is \(job.state.rawValue)\(job.quality.map { " (\($0.rawValue))" } ?? ""): "
                    + "only a partial or failed job has batches to retry", json: json)
            }
        } else {
            switch job.state {
            case .running where job.leaseExpired(), .queued, .failed: break
            case .running:
                throw JobCLI.fail("JOB_STATE_CONFLICT", "job \(id) is running and its worker \(job.worker ?? "?") holds a live lease: "
                    + "nothing to resume", json: json)
            default:
                throw JobCLI.fail("JOB_STATE_CONFLICT", "job \(id) is \(job.state.rawValue): only a job whose worker is gone, a queued or a failed job can be resumed", json: json)
            }
        }
        if job.state.isFinished {
            guard try runner.store.requeue(id: id, from: job.state) else {
                throw JobCLI.fail("JOB_STATE_CONFLICT", "job \(id) changed state meanwhile; look again (tracespool jobs show \(id))", json: json)
            }
        }
        guard let claim = try runner.store.claim(worker: runner.worker, leaseSeconds: runner.leaseSeconds, only: id) else {
            throw JobCLI.fail("JOB_STATE_CONFLICT", "another worker took job \(id) first", json: json)
        }
        if retryFailedBatches, FileManager.default.fileExists(atPath: runner.spoolPath(id)) {
            let s = try Spool.open(at: runner.spoolPath(id), readOnly: false)
            try s.database.execute("PRAGMA journal_mode = WAL")
            let n = try s.resetFailedBatches()
            JobCLI.note("\(id): \(n) failed batch(es) to fetch again")
        }
        let bar = ProgressLine()
        runner.onProgress = { bar.update($0) }
        runner.onStageProgress = { bar.update($0) }
        runner.onStage = { bar.note($0) }
        let interrupt = InterruptHandler { runner.stopAll(.cancelRequested) }
        defer { interrupt.release() }
        let outcome = runner.execute(claim)
        bar.finish()
        switch outcome {
        case .finished(let r):
            if json { printJSON(JobReport.success(r)) } else { print(r.jobId) }
            if r.quality != .complete { throw ExitCode(ExitStatus.partial) }
        case .failed(let f):
            if json { printJSON(JobReport.failure(f)) }
            FileHandle.standardError.write(Data("tracespool: \(f.code): \(f.message)\n".utf8))
            throw ExitCode(ExitStatus.forCode(f.code))
        case .stoodDown, .released:
            throw JobCLI.fail("SPOOL_LEASE_LOST", "job \(id) was taken over by another worker", json: json)
        }
    }
}
