import Foundation
import Testing
@testable import TracespoolJobs
@testable import TracespoolSource

/// `/readyz` proves what a worker needs (README "HTTP API"): the job store takes a write (a write
/// that changes nothing, rolled back) and the warehouse answers. Each failing check is named in
/// the envelope's `checks`, with 503 `NOT_READY` and `Retry-After`.
@Suite(.serialized) struct ReadinessTests {
    @Test("/readyz: 200 on a writable SQLite catalog and a reachable warehouse; 503 NOT_READY naming the warehouse when it is down")
    func sqliteStoreAndWarehouse() throws {
        let folder = TempFolder()
        let up = try APIServerProcess(folder: folder.path, arguments: ["--no-workers"])
        let ready = try up.get("/readyz")
        #expect(ready.status == 200, "\(ready.text)")
        #expect((ready.data["checks"] as? [String: String]) == ["store": "ok", "warehouse": "ok"], "\(ready.text)")
        // The probe wrote nothing: the catalog still has no job.
        #expect((try up.get("/api/v1/jobs").data["jobs"] as? [Any])?.isEmpty == true)

        let downFolder = TempFolder()
        let down = try APIServerProcess(folder: downFolder.path,
                                        arguments: ["--no-workers", "--source", "host=/nonexistent-tracespool-socket dbname=nowhere connect_timeout=2"])
        let r = try down.get("/readyz")
        #expect(r.status == 503 && r.errorCode == "NOT_READY", "\(r.status) \(r.text)")
        #expect(r.header("Retry-After") == "5")
        let checks = (r.json["error"] as? [String: Any])?["checks"] as? [String: String] ?? [:]
        #expect(checks["store"] == "ok", "\(r.text)")
        #expect(checks["warehouse"]?.hasPrefix("warehouse: SOURCE_") == true, "\(r.text)")
        // Liveness is not readiness: the process still answers.
        #expect(try down.get("/healthz").status == 200)
    }

    @Test("/readyz on a PostgreSQL store: a role whose transactions are read-only can read the queue but is not ready; the writable role is")
    func postgresStoreReadOnly() throws {
        let store = try ScratchDatabase("rzstore", schema: false)
        _ = try PostgresJobStore.migrate(url: store.conninfo)
        let role = "tracespool_ro_store"
        let admin = try store.connect()
        defer { admin.close() }
        if try admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]).rowCount == 0 {
            try admin.execute("CREATE ROLE \(role) LOGIN")
        }
        try admin.execute("ALTER ROLE \(role) SET default_transaction_read_only = on")
        try admin.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role)")
        try admin.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO \(role)")

        let writable = try TestEnvironment.uri(database: store.name)
        let readOnly = writable.replacingOccurrences(of: "user=\(ProcessInfo.processInfo.environment["PGUSER"] ?? "postgres")", with: "user=\(role)")
        #expect(readOnly != writable)

        // (The folders are held for the servers' lifetime: a TempFolder removes itself when released.)
        let goodFolder = TempFolder(), badFolder = TempFolder()
        let good = try APIServerProcess(folder: goodFolder.path, arguments: ["--no-workers"], environment: ["TRACESPOOL_STORE": writable])
        let ok = try good.get("/readyz")
        #expect(ok.status == 200, "\(ok.text)")

        let bad = try APIServerProcess(folder: badFolder.path, arguments: ["--no-workers"],
                                       environment: ["TRACESPOOL_STORE": readOnly, "TRACESPOOL_STORE_RETRY_SECONDS": "1"])
        // Reads work for this role …
        #expect(try bad.get("/api/v1/jobs").status == 200)
        // … but the store takes no writes, so the node is not ready.
        let r = try bad.get("/readyz")
        #expect(r.status == 503 && r.errorCode == "NOT_READY", "\(r.status) \(r.text)")
        let message = (r.json["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("job store takes no writes"), "\(message)")
        #expect(try bad.get("/healthz").status == 200)
    }
}
