import Foundation
import TracespoolJobs
import TracespoolSpool

/// How `jobs list` and `jobs show` render a job (text for people, JSON for machines). Rows per
/// domain, failed ranges, resumes and snapshot times come from the job's spool, opened read-only.
enum JobView {
    static func summary(_ j: JobRecord) -> [String: Any] {
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

    static func detail(_ j: JobRecord, spoolDir: String) -> [String: Any] {
        var o = summary(j)
        o["progress"] = j.progress
        o["worker"] = j.worker
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
        if FileManager.default.fileExists(atPath: path), let spool = try? Spool.open(at: path) {
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

    static func text(_ o: [String: Any]) -> [String] {
        let order = ["job_id", "state", "quality", "profile", "stage", "pct", "progress", "attempts", "worker", "lease_until",
                     "worker_gone", "cancel_requested", "created_at", "started_at", "heartbeat_at", "finished_at", "cid_count",
                     "rows", "warnings", "error", "snapshot_times", "resumes", "expires_at", "spool_file", "bytes"]
        var lines: [String] = []
        for k in order {
            guard let v = o[k] else { continue }
            switch v {
            case let d as [String: Any]: lines.append("\(k): \(d["code"] ?? "") \(d["message"] ?? "")")
            case let a as [String]: lines.append("\(k): " + a.joined(separator: "; "))
            default: lines.append("\(k): \(v)")
            }
        }
        if let domains = o["domains"] as? [String: Any] {
            for (name, value) in domains.sorted(by: { $0.key < $1.key }) {
                guard let d = value as? [String: Any] else { continue }
                let failed = (d["failed_ranges"] as? [[String: Any]])?.count ?? 0
                lines.append("domain \(name): \(d["rows"] ?? 0) rows, \(d["status"] ?? "")" + (failed > 0 ? ", \(failed) failed batch(es)" : ""))
            }
        }
        return lines
    }

    static let tableHeader = pad(["JOB", "STATE", "QUALITY", "PROFILE", "STAGE", "PCT", "TRY", "CREATED", "FINISHED"])

    static func tableRow(_ j: JobRecord) -> String {
        pad([j.id, j.state.rawValue + (j.leaseExpired() ? " (worker gone)" : ""), j.quality?.rawValue ?? "-", j.profile,
             j.stage ?? "-", j.pct.map { String(format: "%.0f%%", $0) } ?? "-", String(j.attempt), j.createdAt, j.finishedAt ?? "-"])
    }

    private static func pad(_ cells: [String]) -> String {
        let widths = [23, 22, 8, 19, 10, 5, 4, 21, 20]
        return zip(cells, widths).map { c, w in c.count >= w ? c + " " : c + String(repeating: " ", count: w - c.count + 1) }
            .joined().trimmingCharacters(in: .whitespaces)
    }
}
