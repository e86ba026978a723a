import Foundation
import Testing
import TracespoolSource
import TracespoolSpool

/// Real lost connections: the test terminates tracespool's backend (`pg_terminate_backend`) while
/// it is inside a batch that a row-level-security gate makes slow.
@Suite("Lost connections")
struct ConnectionLossTests {
    /// 12 lots with one history row each; reading lot `c005` takes 1.5 s, for a role without BYPASSRLS.
    func slowWarehouse() throws -> ScratchDatabase {
        let db = try ScratchDatabase("lost")
        let c = try db.connect()
        try c.execute("""
            INSERT INTO dwh.dw_mes_container (containerid, containername)
              SELECT format('c%s', lpad(i::text, 3, '0')), format('LOT-%s', i) FROM generate_series(0, 11) i;
            INSERT INTO dwh.dw_mes_lotwiphistory (containerid, workcentername, equipmentid, trackintimestamp, trackinqty)
              SELECT format('c%s', lpad(i::text, 3, '0')), 'TMTT-01', 'EQ1', timestamp '2026-01-01' + i * interval '1 hour', 100
              FROM generate_series(0, 11) i;
            CREATE FUNCTION dwh.slow_gate(cid bpchar) RETURNS boolean LANGUAGE plpgsql AS $$
            BEGIN
              IF cid = 'c005' THEN PERFORM pg_sleep(1.5); END IF;
              RETURN true;
            END $$;
            ALTER TABLE dwh.dw_mes_lotwiphistory ENABLE ROW LEVEL SECURITY;
            CREATE POLICY gate ON dwh.dw_mes_lotwiphistory USING (dwh.slow_gate(containerid));
            GRANT USAGE ON SCHEMA dwh TO tracespool_reader;
            GRANT SELECT ON ALL TABLES IN SCHEMA dwh TO tracespool_reader;
            """)
        return db
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
        let cids = (0..<12).map { String(format: "c%03d", $0) }.joined(separator: ",")
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
        let cids = (0..<12).map { String(format: "c%03d", $0) }.joined(separator: ",")
        let r = try runCLI(["run", "--source", db.conninfo + " user=tracespool_reader application_name=ts_giveup",
                            "--spool-dir", folder.path, "--cids", cids, "--domains", "history", "--cid-batch", "4"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("SOURCE_CONNECTION_LOST"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("j") }.isEmpty)
    }
}
