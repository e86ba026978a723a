import Foundation
import Testing
import TracespoolJobs
import TracespoolSource
import TracespoolSpool

/// Real lost connections: the test terminates tracespool's backend (`pg_terminate_backend`) while
/// it is inside a batch that a row-level-security gate makes slow.
@Suite("Lost connections")
struct ConnectionLossTests {
    /// 12 lots; reading lot `c005` takes 1.5 s.
    func slowWarehouse() throws -> ScratchDatabase {
        try gatedWarehouse("lost", lots: 12, gateBody: "IF cid = 'c005' THEN PERFORM pg_sleep(1.5); END IF;")
    }

    /// Terminates the backend of `application` running the COPY of the slow lot's batch, `times` times.
    func terminator(_ application: String, times: Int, for seconds: Double) -> Thread {
        let t = Thread {
            guard let admin = try? PGConnection(conninfo: (try? TestEnvironment.conninfo(database: "postgres")) ?? "") else { return }
            var killed = 0
            let end = Date().addingTimeInterval(seconds)
            while killed < times && Date() < end {
                let r = try? admin.query("""
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE application_name = $1 AND state = 'active' AND query LIKE 'COPY%' AND query LIKE '%c005%'
                    """, [application])
                killed += r?.int(0, 0) ?? 0
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        t.start()
        return t
    }

    @Test("a batch whose connection drops is retried on a new connection in the same snapshot")
    func retried() throws {
        let db = try slowWarehouse()
        let folder = TempFolder()
        _ = terminator("ts_retry", times: 1, for: 20)
        let cids = gatedCIDs(12)
        let r = try runCLI(["run", "--source", db.conninfo + " user=tracespool_reader application_name=ts_retry",
                            "--spool-dir", folder.path, "--cids", cids, "--domains", "history", "--cid-batch", "4", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect((o["rows"] as? [String: Any])?["history"] as? Int == 12)
        let spool = try Spool.open(at: try #require(o["spool_path"] as? String))
        let ledger = try spool.ledger(domain: "history")
        // Batch 1 (c004…c007) holds the slow lot: it was cut off once and succeeded on its second attempt.
        #expect(ledger.map(\.attempts) == [1, 2, 1])
        #expect(ledger.allSatisfy { $0.state == "done" })
    }

    @Test("a connection that keeps dropping fails the job with SOURCE_CONNECTION_LOST and exit 69")
    func givesUp() throws {
        let db = try slowWarehouse()
        let folder = TempFolder()
        _ = terminator("ts_giveup", times: 10, for: 30)
        let cids = gatedCIDs(12)
        // A retry window of 3 s (the default, about a minute, rides out a server restart).
        let r = try runCLI(["run", "--source", db.conninfo + " user=tracespool_reader application_name=ts_giveup",
                            "--spool-dir", folder.path, "--cids", cids, "--domains", "history", "--cid-batch", "4"],
                           environment: ["TRACESPOOL_SOURCE_RETRY_SECONDS": "3"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("SOURCE_CONNECTION_LOST"), "\(r.stderr)")
        // Failed, not lost: the catalog has it, resumable.
        let store = try SQLiteJobStore(folder: folder.path)
        #expect(try store.list(state: .failed, limit: 5, after: nil).first?.errorCode == "SOURCE_CONNECTION_LOST")
    }
}
