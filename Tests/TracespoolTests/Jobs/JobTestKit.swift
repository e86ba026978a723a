import Foundation
import Testing
import TracespoolJobs
import TracespoolSource

/// Shared steps of the job queue tests: real lots and CIDs of the test warehouse, `jobs show`,
/// and exports with the job id masked (everything else must be byte-identical across runs).
enum JobKit {
    /// Short leases so a killed or stopped worker's job is taken over within about a second.
    static let fastLease = ["TRACESPOOL_LEASE_SECONDS": "1"]

    static func warehouse() throws -> PGConnection { try PGConnection(conninfo: try TestEnvironment.warehouse()) }

    /// `n` real lot names (CONTAINERNAME) of GA work orders, in name order from `offset`.
    static func lots(_ n: Int, offset: Int = 0) throws -> [String] {
        let r = try warehouse().query("""
            SELECT containername FROM dwh.dw_mes_container WHERE containername LIKE 'GA%'
            ORDER BY containername LIMIT $1 OFFSET $2
            """, [String(n), String(offset)])
        return (0..<r.rowCount).compactMap { r.string($0, 0) }
    }

    /// `n` real container ids that have history rows, in id order from `offset`.
    static func cids(_ n: Int, offset: Int = 0) throws -> [String] {
        let r = try warehouse().query("""
            SELECT DISTINCT btrim(containerid) AS c FROM dwh.dw_mes_lotwiphistory ORDER BY c LIMIT $1 OFFSET $2
            """, [String(n), String(offset)])
        return (0..<r.rowCount).compactMap { r.string($0, 0) }
    }

    /// True once the job (or, without an id, the newest running job) has committed some but not
    /// all batches of `domain` (progress "history 2/6"; two fetch lanes may commit in pairs).
    static func midway(_ id: String?, _ folder: String, domain: String = "history") throws -> Bool {
        guard let store = SQLiteJobStore.reading(folder: folder) else { return false }
        let job = try id.map { try store.get(id: $0) } ?? store.list(state: .running, limit: 1, after: nil).first
        guard let job, job.state == .running, let p = job.progress, p.hasPrefix(domain + " ") else { return false }
        let parts = p.dropFirst(domain.count + 1).split(separator: "/").compactMap { Int($0) }
        return parts.count == 2 && parts[0] >= 1 && parts[0] < parts[1]
    }

    static func show(_ id: String, _ folder: String) throws -> [String: Any] {
        let r = try runCLI(["jobs", "show", id, "--json", "--spool-dir", folder])
        #expect(r.status == 0, "\(r.stderr)")
        return try parseJSONObject(r.stdout)
    }

    static func state(_ id: String, _ folder: String) throws -> String { try show(id, folder)["state"] as? String ?? "?" }

    static func submit(_ args: [String], _ folder: String, environment: [String: String] = [:]) throws -> String {
        let r = try runCLI(["submit", "--new", "--json", "--spool-dir", folder] + args, environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        return try parseJSONObject(r.stdout)["job_id"] as? String ?? ""
    }

    /// The NDJSON export (records layout) with the job id replaced by `JOB`.
    static func ndjson(_ id: String, _ folder: String) throws -> String {
        let r = try runCLI(["export", id, "--spool-dir", folder])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.replacingOccurrences(of: id, with: "JOB")
    }

    static func csv(_ id: String, _ folder: String, domain: String) throws -> String {
        let r = try runCLI(["export", id, "--format", "csv", "--domain", domain, "--spool-dir", folder])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.replacingOccurrences(of: id, with: "JOB")
    }

    /// Runs `worker --once` until the job is finished (a killed worker's lease must expire first).
    static func finish(_ id: String, _ folder: String, source: String, environment: [String: String] = fastLease) throws {
        let finished = try eventually(60) {
            let state = try JobKit.state(id, folder)
            if ["succeeded", "failed", "cancelled"].contains(state) { return true }
            let r = try runCLI(["worker", "--once", "--source", source, "--spool-dir", folder], environment: environment)
            #expect(r.status == 0 || r.status == 3, "\(r.stderr)")
            return false
        }
        #expect(finished, "job \(id) did not finish")
    }
}
