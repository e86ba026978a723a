import Foundation
import TracespoolJobs

/// How one nightly trace ended: what is printed for it and what it adds to the exit code.
struct NightlyRun {
    let trace: NightlyTrace
    /// Nil when the submit itself failed (the catalog could not take it).
    let jobId: String?
    var state = "queued"
    var quality: String?
    var code: String?
    var message: String?
    var report: String?

    func print(json: Bool) {
        if json {
            var o: [String: Any] = ["name": trace.name, "job_id": jobId ?? NSNull(), "state": state,
                                    "quality": quality ?? NSNull(), "report": report ?? NSNull()]
            if let code { o["error"] = ["code": code, "message": message ?? ""] }
            printJSON(o)
            return
        }
        var line = "\(trace.name) \(jobId ?? "-") \(state) \(quality ?? "-") \(report ?? "-")"
        // One line per trace, even when libpq's message has several.
        if let code { line += " \(code): \((message ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))" }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// A failed trace wins (the first one's error code, so a refused or empty trace reads as 4 or 5
    /// as it would from `run`), then an unfinished job (75), then a partial one (3).
    static func exitStatus(_ runs: [NightlyRun]) -> Int32 {
        if let f = runs.first(where: { ["failed", "cancelled", "expired", "report_failed", "unknown"].contains($0.state) }) {
            if f.state == "cancelled" { return ExitStatus.cancelled }
            if f.state == "expired" { return ExitStatus.expired }
            let s = ExitStatus.forCode(f.code ?? "INTERNAL_ERROR")
            // A code that maps to "ok" or "partial" must not hide a failure.
            return s == ExitStatus.ok || s == ExitStatus.partial ? ExitStatus.internalError : s
        }
        if runs.contains(where: { $0.state == "queued" || $0.state == "running" }) { return ExitStatus.notYet }
        if runs.contains(where: { $0.quality != JobQuality.complete.rawValue }) { return ExitStatus.partial }
        return ExitStatus.ok
    }
}
