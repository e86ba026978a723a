import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolMSD
import TracespoolPipeline
import TracespoolReports
import TracespoolServer

/// `tracespool nightly FILE`: the unattended batch (README "Nightly"). The whole file is validated
/// first (nothing is queued when any trace is wrong); then every trace is submitted, its job run
/// here (or, with --no-run, by a separate worker), its report written, and the Prometheus textfile
/// updated for the traces that succeeded. One failing trace never stops the others.
struct NightlyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightly",
        abstract: "Submit and run the traces of a nightly config file, write their reports and a Prometheus textfile.",
        discussion: """
            FILE is YAML (see README "Nightly"): a list of named traces with the same fields as \
            `submit`'s flags, and windows relative to --now ("yesterday", "last N days": ending \
            yesterday). A bad file is refused whole with FILE:LINE: message (exit 64) and nothing is \
            queued. Each trace's job is submitted like `submit`, then run in this process one after \
            another (only these jobs are claimed); with --no-run a separate `worker` runs them and \
            this command waits. Reports go to --reports-dir as NAME-YYYY-MM-DD.html (MSD: the msd \
            report, others: the job overview), and tracespool-nightly.prom there gets \
            tracespool_last_success_timestamp_seconds{trace="NAME"} for each trace that succeeded \
            complete (with its report). One line per trace on stdout (NAME JOB STATE QUALITY REPORT), \
            or one JSON object per trace with --json.
            Exit: 0 every trace succeeded complete · 3 some partial · a failed trace: its error's code \
            (4 refused, 5 nothing found, 69 source, …; the first failed trace's) · 75 a job not finished \
            within --wait-seconds (or stopped by SIGTERM: it goes back to the queue) · 64 bad file.
            \(ExitStatus.helpText)
            """)

    @Argument(help: ArgumentHelp("The nightly config file (YAML).", valueName: "FILE"))
    var file: String

    @OptionGroup var source: SourceOptions
    @OptionGroup var spool: SpoolOptions

    @Option(name: .customLong("reports-dir"), help: ArgumentHelp("Where reports and tracespool-nightly.prom go (default <spool-dir>/reports).", valueName: "DIR"))
    var reportsDir: String?

    @Option(name: .customLong("now"), help: ArgumentHelp("The day windows are relative to (default today, UTC).", valueName: "YYYY-MM-DD"))
    var now: String?

    @Option(name: .customLong("wait-seconds"), parsing: .unconditional,
            help: "Longest wait for all the jobs to finish, 1...604800 (default 21600); then unfinished jobs go back to the queue.")
    var waitSeconds = 21_600

    @Flag(name: .customLong("no-run"), help: "Submit and wait, but let a separate worker (tracespool worker or serve) run the jobs.")
    var noRun = false

    @Flag(name: .customLong("json"), help: "One JSON object per trace: {\"name\", \"job_id\", \"state\", \"quality\", \"report\", \"error\"}.")
    var json = false

    func validate() throws {
        if let now, NightlyWindow.parseDay(now) == nil { throw ValidationError("--now \(now): expected a date YYYY-MM-DD") }
        if !(1...604_800).contains(waitSeconds) { throw ValidationError("--wait-seconds must be in 1...604800") }
        if let d = reportsDir, d.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reports-dir is empty") }
    }

    func run() throws {
        let logger = LogSetup.logger()
        let env = ProcessInfo.processInfo.environment
        let today = now ?? NightlyWindow.today()
        var cidLimit = 50_000
        if let raw = env["TRACE_EVENTS_CID_LIMIT"] {
            guard let l = Int(raw), l >= 1 else { throw ValidationError("TRACE_EVENTS_CID_LIMIT=\(raw) is not a positive integer") }
            cidLimit = l
        }
        // 1. The whole file, before anything is queued.
        let traces: [NightlyTrace]
        do { traces = try NightlyConfig.load(path: file, today: today, defaultCIDLimit: cidLimit) } catch let e as NightlyConfigError {
            if e.line == 0 { throw JobCLI.fail("CONFIG_NOT_FOUND", "\(e.file): \(e.message)", json: json) }
            FileHandle.standardError.write(Data("tracespool: INVALID_CONFIG: \(e.description)\n".utf8))
            if json { printJSON(["error": ["code": "INVALID_CONFIG", "message": e.description]]) }
            throw ExitCode(ExitStatus.usage)
        }
        let config = try JobCLI.eventsConfig()
        let runner = try JobCLI.runner(spoolDir: spool.path, conninfo: source.conninfo, config: config, logger: logger, json: json)
        // This command prints each failure itself, once.
        runner.failureLogLevel = .notice
        let reports = reportsDir ?? spool.path + "/reports"

        // 2. Submit every trace: the same request `submit` would store.
        var runs: [NightlyRun] = []
        for t in traces {
            do {
                let id = try runner.submit(t.request, reuse: true).id
                runs.append(NightlyRun(trace: t, jobId: id))
            } catch {
                let (code, message) = StableError.describe(error)
                runs.append(NightlyRun(trace: t, jobId: nil, state: "failed", code: code, message: message))
            }
        }

        // 3. Run (or wait for) the jobs, each to its end; a signal or the deadline hands a running job back.
        let stop = NightlyStop(runner: runner)
        let interrupt = InterruptHandler(message: "stopping: the running job goes back to the queue (again to quit now)") { stop.trigger() }
        defer { interrupt.release() }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(waitSeconds)) { stop.trigger() }
        for i in runs.indices where runs[i].jobId != nil {
            let id = runs[i].jobId!
            let record = NightlyDriver.finish(id, runner: runner, run: !noRun, stop: stop)
            runs[i].state = record?.state.rawValue ?? "unknown"
            runs[i].quality = record?.quality?.rawValue
            runs[i].code = record?.errorCode
            runs[i].message = record?.errorMessage
        }

        // 4. Reports and the textfile for what succeeded.
        try? FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
        var succeeded: [String: Int] = [:]
        for i in runs.indices {
            guard runs[i].state == JobState.succeeded.rawValue, let id = runs[i].jobId else { continue }
            if runs[i].trace.report {
                let path = "\(reports)/\(runs[i].trace.name)-\(today).html"
                do {
                    try NightlyReport.write(jobId: id, profile: runs[i].trace.request.profile, runner: runner, to: path)
                    runs[i].report = path
                } catch {
                    let (code, message) = NightlyReport.describe(error)
                    runs[i].state = "report_failed"
                    runs[i].code = code
                    runs[i].message = "report \(path): \(message)"
                    continue
                }
            }
            if runs[i].quality == JobQuality.complete.rawValue { succeeded[runs[i].trace.name] = Int(Date().timeIntervalSince1970) }
        }
        let prom = reports + "/tracespool-nightly.prom"
        do { try NightlyMetricsFile.update(prom, succeeded: succeeded) } catch {
            JobCLI.note("cannot write \(prom): \(error)")
        }

        // 5. One line (or object) per trace; the exit says the worst.
        for r in runs { r.print(json: json) }
        let status = NightlyRun.exitStatus(runs)
        if status != 0 { throw ExitCode(status) }
    }
}
