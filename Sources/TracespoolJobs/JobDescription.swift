import Foundation
import TracespoolSpool

/// A job as `jobs show --json` and the API's `GET /api/v1/jobs/{id}` describe it: the catalog row,
/// plus rows per domain, failed ranges, resumes and snapshot times read from its spool (opened
/// read-only). Not a hot path: small dictionaries, serialised with JSONSerialization.
public enum JobDescription {
    public static func summary(_ j: JobRecord) -> [String: Any] {
        var o: [String: Any] = ["job_id": j.id, "state": j.state.rawValue, "profile": j.profile, "attempts": j.attempt,
                                "created_at": j.createdAt]
        o["quality"] = j.quality?.rawValue
        o["stage"] = j.stage
        o["pct"] = j.pct.map { ($0 * 10).rounded() / 10 }
        o["finished_at"] = j.finishedAt
        o["error_code"] = j.errorCode
        if j.leaseExpired() { o["worker_gone"] = true }
        return o
    }

    /// `spoolHere: false` (a node that does not hold the job's spool, README "Many hosts"): only
    /// the store's row, never a file an earlier attempt may have left here.
    public static func detail(_ j: JobRecord, spoolDir: String, spoolHere: Bool = true) -> [String: Any] {
        var o = summary(j)
        o["progress"] = j.progress
        o["worker"] = j.worker
        o["node"] = j.node
        if !spoolHere { o["spool_available"] = false }
        o["lease_until"] = j.leaseUntil.map { UTCTime.iso(Date(timeIntervalSince1970: $0)) }
        o["cancel_requested"] = j.cancelRequested
        o["started_at"] = j.startedAt
        o["heartbeat_at"] = j.heartbeatAt
        o["cid_count"] = j.cidCount
        o["rows"] = j.rows
        o["warnings"] = j.warnings
        if let code = j.errorCode { o["error"] = ["code": code, "message": j.errorMessage ?? ""] }
        o["expires_at"] = j.expiresAt
        o["spool_file"] = j.spoolFile
        o["bytes"] = j.bytes
        let path = "\(spoolDir)/\(j.id).sqlite"
        if spoolHere, FileManager.default.fileExists(atPath: path), let spool = try? Spool.open(at: path) {
            var domains: [String: Any] = [:]
            let ledger = (try? spool.ledger()) ?? []
            let s = try? spool.database.prepare("SELECT domain, rows, status FROM domains ORDER BY position")
            while let s, (try? s.step()) == true {
                let name = s.text(0) ?? ""
                let failed = ledger.filter { $0.domain == name && $0.state == "failed" }
                domains[name] = ["rows": s.int(1) ?? 0, "status": s.text(2) ?? "",
                                 "failed_ranges": failed.map { ["start": $0.firstCID, "end": $0.lastCID, "code": $0.errorCode ?? ""] }]
                    as [String: Any]
            }
            o["domains"] = domains
            o["snapshot_times"] = (try? spool.meta("snapshot_times"))??.split(separator: ",").map(String.init)
            o["resumes"] = (try? spool.meta("resumes"))??.split(separator: "\n").map(String.init)
        }
        return o
    }

}
