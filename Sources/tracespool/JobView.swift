import Foundation
import TracespoolJobs
import TracespoolSpool

/// How `jobs list` and `jobs show` render a job for people; the JSON is `JobDescription`'s.
enum JobView {
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
