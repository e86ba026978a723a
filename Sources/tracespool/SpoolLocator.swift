import Foundation
import TracespoolJobs
import TracespoolSpool

/// Finds the spool of a `JOB|SPOOL_FILE` argument: a job id is looked up in the spool folder (the
/// path is built from the validated id only); anything else is a spool file path, which works on
/// a spool copied to another machine (no catalog needed).
enum SpoolLocator {
    struct NotFound: Error {
        let code = "JOB_NOT_FOUND"
        let message: String
    }

    static func resolve(_ argument: String, spoolDir dir: String) throws -> (path: String, jobId: String?) {
        if JobId.isValid(argument) && !FileManager.default.fileExists(atPath: argument) {
            let path = "\(dir)/\(argument).sqlite"
            if FileManager.default.fileExists(atPath: path) { return (path, argument) }
            var why = "no job \(argument) in \(dir)"
            if FileManager.default.fileExists(atPath: "\(dir)/catalog.sqlite"), let job = try? Catalog(folder: dir).job(argument) {
                why = "job \(argument) is \(job.state) and has no spool file"
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
