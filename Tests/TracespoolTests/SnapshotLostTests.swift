import Foundation
import Testing
import TracespoolJobs
import TracespoolSource
import TracespoolSpool

/// A warehouse restarted mid-job: the exported snapshot died with the server, so the job must stop
/// with `SOURCE_SNAPSHOT_LOST` (exit 69) instead of carrying on into batches of another state —
/// and never be recorded as a success.
@Suite("Snapshot lost")
struct SnapshotLostTests {
    @Test("PostgreSQL restarted during the events stage: SOURCE_SNAPSHOT_LOST, exit 69, catalog failed; jobs resume finishes it")
    func restartMidJob() throws {
        let cluster = try PrivateCluster()
        try cluster.shell("""
            psql -X -q -v ON_ERROR_STOP=1 -c "CREATE ROLE tracespool_reader LOGIN" -c "CREATE DATABASE w" &&
            psql -X -q -v ON_ERROR_STOP=1 -d w -f "$TRACESPOOL_ROOT/scripts/warehouse/schema.sql" \
                 -f "$TRACESPOOL_ROOT/scripts/warehouse/indexes-minimal.sql"
            """)
        let c = try PGConnection(conninfo: cluster.conninfo("w"))
        // 200 lots with one history row each; every history row read by tracespool_reader sleeps
        // 20 ms, so the events stage takes several seconds in batches of 10 CIDs.
        try c.execute("""
            INSERT INTO dwh.dw_mes_container (containerid, containername)
              SELECT format('c%s', lpad(i::text, 3, '0')), format('LOT-%s', i) FROM generate_series(0, 199) i;
            INSERT INTO dwh.dw_mes_lotwiphistory (containerid, workcentername, equipmentid, trackintimestamp, trackinqty)
              SELECT format('c%s', lpad(i::text, 3, '0')), 'TMTT-01', 'EQ1', timestamp '2026-01-01' + i * interval '1 hour', 100
              FROM generate_series(0, 199) i;
            CREATE FUNCTION dwh.slow(cid bpchar) RETURNS boolean LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep(0.02); RETURN true; END $$;
            ALTER TABLE dwh.dw_mes_lotwiphistory ENABLE ROW LEVEL SECURITY;
            CREATE POLICY slow ON dwh.dw_mes_lotwiphistory USING (dwh.slow(containerid));
            GRANT USAGE ON SCHEMA dwh TO tracespool_reader;
            GRANT SELECT ON ALL TABLES IN SCHEMA dwh TO tracespool_reader;
            """)
        c.close()
        let folder = TempFolder()
        let cids = (0..<200).map { String(format: "c%03d", $0) }.joined(separator: ",")

        // Restart the server once the job has committed an events batch.
        let restarter = Thread { [cluster, path = folder.path] in
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if SnapshotLostTests.committedEventBatches(in: path) >= 1 { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            try? cluster.restart()
        }
        restarter.start()
        let started = Date()
        let r = try runCLI(["run", "--source", cluster.conninfo("w", user: "tracespool_reader"), "--spool-dir", folder.path,
                            "--cids", cids, "--domains", "history", "--cid-batch", "10", "--json"])
        let seconds = Date().timeIntervalSince(started)
        #expect(r.status == 69, "\(r.stdout)\n\(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect((o["error"] as? [String: Any])?["code"] as? String == "SOURCE_SNAPSHOT_LOST", "\(r.stdout)")
        #expect(seconds < 30, "took \(seconds) s")
        // The catalog says failed with the code, never a success; the spool is kept, resumable.
        let catalog = try SQLiteDatabase(path: folder.path + "/catalog.sqlite", mode: .readOnly)
        let s = try catalog.prepare("SELECT state, error_code, quality, id FROM jobs")
        #expect(try s.step())
        #expect(s.text(0) == "failed")
        #expect(s.text(1) == "SOURCE_SNAPSHOT_LOST")
        #expect(s.text(2) == "failed")
        let id = s.text(3) ?? ""
        s.reset()
        // Resumed in a new snapshot: the committed batches are kept, the rest fetched, nothing twice.
        let resumed = try runCLI(["jobs", "resume", id, "--json", "--source", cluster.conninfo("w", user: "tracespool_reader"),
                                  "--spool-dir", folder.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let spool = try Spool.open(at: folder.path + "/\(id).sqlite")
        #expect(try spool.database.scalarInt("SELECT count(*) FROM \(SpoolDomain.named("history")!.tableName)") == 200)
        #expect(try spool.database.scalarInt("SELECT count(DISTINCT CONTAINERID) FROM \(SpoolDomain.named("history")!.tableName)") == 200)
        #expect(try spool.meta("snapshot_times")?.split(separator: ",").count == 2)
    }

    /// Events batches committed so far by the running job in `folder` (0 while there is none).
    static func committedEventBatches(in folder: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder),
              let spool = names.first(where: { $0.hasPrefix("j") && $0.hasSuffix(".sqlite") && !$0.hasSuffix(".request.sqlite") }),
              let db = try? SQLiteDatabase(path: folder + "/" + spool, mode: .readOnly),
              let n = try? db.scalarInt("SELECT count(*) FROM ledger WHERE domain = 'history' AND state = 'done'")
        else { return 0 }
        return n
    }
}
