import ArgumentParser
import Foundation
import TracespoolJobs

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Queue a trace job for a worker (same flags as run); prints its id.",
        discussion: """
            The whole request — every seed value and CID, --cids-file included — is stored with the \
            job, so any worker can run it (or resume it after a crash) from the spool folder alone. \
            A request identical to a queued or running job returns that job (reused) unless --new.
            \(ExitStatus.helpText)
            """)

    @OptionGroup var trace: TraceOptions
    @OptionGroup var spool: SpoolOptions

    @Flag(name: .customLong("new"), help: "Queue a new job even if an identical one is queued or running.")
    var new = false

    @Flag(name: .customLong("json"), help: "Print {\"job_id\":…, \"state\":…, \"reused\":…}.")
    var json = false

    func run() throws {
        let logger = LogSetup.logger()
        try trace.withRequest(spoolPath: spool.path, json: json) { request, config in
            let runner = try JobCLI.runner(spoolDir: spool.path, conninfo: "", config: config, logger: logger, json: json)
            let submitted: (id: String, reused: Bool)
            do { submitted = try runner.submit(request, reuse: !new) } catch let f as JobFailure {
                throw JobCLI.fail(f.code, f.message, json: json)
            }
            let state = (try? runner.store.get(id: submitted.id))?.state.rawValue ?? "queued"
            if json {
                printJSON(["job_id": submitted.id, "state": state, "reused": submitted.reused])
            } else {
                print(submitted.id)
                if submitted.reused { JobCLI.note("an identical job is already \(state): \(submitted.id) (--new queues another)") }
            }
        }
    }
}
