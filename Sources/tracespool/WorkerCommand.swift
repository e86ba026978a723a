import ArgumentParser
import Foundation
import Logging
import TracespoolJobs
import TracespoolPipeline

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Claim and run queued (and lease-expired) jobs of a spool folder.",
        discussion: """
            Runs until SIGTERM or Ctrl-C, or with --once until nothing is left to claim. The first \
            signal stops claiming and hands the running jobs back to the queue after their current \
            statement (they resume from their ledger); a second one exits at once (their leases expire \
            and another worker resumes them). Collects expired spools (jobs gc) once a minute. \
            One line per job it ran on stdout (`JOB succeeded (complete), N CIDs in S s`). With --once the exit code is 0 when every job it ran \
            succeeded complete, 3 otherwise.
            \(ExitStatus.helpText)
            """)

    @Option(name: .customLong("concurrency"), parsing: .unconditional, help: "Jobs run at once by this process (default 1).")
    var concurrency = 1

    @Flag(name: .customLong("once"), help: "Exit when no job is left to claim.")
    var once = false

    @Option(name: .customLong("poll-ms"), parsing: .unconditional, help: "Wait between looks at an empty queue (default 1000).")
    var pollMs = 1000

    @Flag(name: .customLong("json"), help: "One JSON object per job it ran: {\"job_id\", \"outcome\", \"state\", \"quality\", \"code\", \"seconds\"}.")
    var json = false

    @OptionGroup var source: SourceOptions
    @OptionGroup var spool: SpoolOptions

    func validate() throws {
        if !(1...64).contains(concurrency) { throw ValidationError("--concurrency must be in 1...64") }
        if !(10...600_000).contains(pollMs) { throw ValidationError("--poll-ms must be in 10...600000") }
    }

    func run() throws {
        let logger = LogSetup.logger()
        let config = try JobCLI.eventsConfig()
        let runner = try JobCLI.runner(spoolDir: spool.path, conninfo: source.conninfo, config: config, logger: logger, json: false)
        runner.failureLogLevel = .notice
        let pool = WorkerPool(runner: runner, concurrency: concurrency, once: once, pollSeconds: Double(pollMs) / 1000, logger: logger)
        if json {
            pool.onFinished = { id, outcome, seconds in
                var o: [String: Any] = ["job_id": id, "seconds": (seconds * 1000).rounded() / 1000]
                switch outcome {
                case .finished(let r): o["outcome"] = "finished"; o["state"] = "succeeded"; o["quality"] = r.quality.rawValue
                case .failed(let f): o["outcome"] = "finished"; o["state"] = f.code == "CANCELLED" ? "cancelled" : "failed"; o["code"] = f.code
                case .stoodDown: o["outcome"] = "stood_down"
                case .released: o["outcome"] = "released"; o["state"] = "queued"
                }
                printJSON(o)
            }
        }
        let interrupt = InterruptHandler(message: "stopping: no new jobs; running ones go back to the queue (again to quit now)") {
            pool.shutdown()
        }
        defer { interrupt.release() }
        let allGood = pool.run()
        if once && !allGood { throw ExitCode(ExitStatus.partial) }
    }
}
