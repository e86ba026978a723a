import Foundation
import TracespoolJobs
import TracespoolSpool

/// Finds the spool of a `JOB|SPOOL_FILE` argument: a job id is looked up in the spool folder (the
/// path is built from the validated id only); anything else is a spool file path, which works on
/// a spool copied to another machine (no catalog needed). The catalog is only read, never
/// created or migrated by a reader.
enum SpoolLocator {
    /// Why there is nothing to read: `JOB_NOT_FOUND`, `JOB_RESULT_EXPIRED` (retention removed it),
    /// `JOB_NOT_STARTED` (queued), `JOB_WORKER_LOST` (running, but its lease expired).
    struct NotFound: Error {
        var code = "JOB_NOT_FOUND"
        let message: String
    }

    static func resolve(_ argument: String, spoolDir dir: String) throws -> (path: String, jobId: String?) {
        if JobId.isValid(argument) && !FileManager.default.fileExists(atPath: argument) {
            let path = "\(dir)/\(argument).sqlite"
            let env = ProcessInfo.processInfo.environment
            let store = try? StoreLocation.fromEnvironment(env, spoolDir: dir)
                .openForReading(node: NodeIdentity.fromEnvironment(env))
            let job = try? store?.get(id: argument)
            if let job {
                switch job.state {
                case .expired:
                    throw NotFound(code: "JOB_RESULT_EXPIRED", message: "job \(argument) finished \(job.finishedAt ?? "?") and its "
                        + "result expired (retention removed its spool; TRACE_JOB_TTL_SECONDS, TRACESPOOL_SPOOL_MAX_BYTES): run the trace again")
                case .queued:
                    throw NotFound(code: "JOB_NOT_STARTED", message: "job \(argument) is queued: no worker has started it yet (tracespool worker)")
                case .running where job.leaseExpired():
                    throw NotFound(code: "JOB_WORKER_LOST", message: "job \(argument)'s worker is gone (its lease expired at "
                        + "\(job.leaseUntil.map { UTCTime.iso(Date(timeIntervalSince1970: $0)) } ?? "?")): the spool is incomplete; "
                        + "a worker resumes it (tracespool worker, or tracespool jobs resume \(argument))")
                default: break
                }
            }
            if FileManager.default.fileExists(atPath: path) { return (path, argument) }
            var why = "no job \(argument) in \(dir)"
            if let job {
                why = "job \(argument) is \(job.state.rawValue) and has no spool file"
                if let code = job.errorCode { why += " (\(code): \(job.errorMessage ?? ""))" }
            }
            throw NotFound(message: why)
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDir) else {
            throw NotFound(message: "no such job or spool file: \(argument)")
        }
        if isDir.boolValue { throw SpoolError(.notASpool, "\(argument) is a folder, not a spool file") }
        return (argument, nil)
    }
}
