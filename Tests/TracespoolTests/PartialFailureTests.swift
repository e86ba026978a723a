import Foundation
import Testing
import TracespoolSource
import TracespoolSpool

/// Batches that fail for real in PostgreSQL: a row-level-security policy on a crafted warehouse
/// raises an error for one CID and sleeps past the statement timeout for another, for a role
/// without BYPASSRLS. The batches holding them fail; every other batch is kept.
@Suite("Partial failure")
struct PartialFailureTests {
    @Test("a failing batch and a timed-out batch yield `partial` with their failed_ranges; the rest is kept")
    func partialResult() throws {
        let db = try ScratchDatabase("partial")
        let c = try db.connect()
        // 30 lots, one history row each; CIDs c000…c029 in batches of 5.
        try c.execute("""
            INSERT INTO dwh.dw_mes_container (containerid, containername)
              SELECT format('c%s', lpad(i::text, 3, '0')), format('LOT-%s', i) FROM generate_series(0, 29) i;
            INSERT INTO dwh.dw_mes_lotwiphistory (containerid, workcentername, equipmentid, trackintimestamp, trackinqty)
              SELECT format('c%s', lpad(i::text, 3, '0')), 'TMTT-01', 'EQ1', timestamp '2026-01-01' + i * interval '1 hour', 100
              FROM generate_series(0, 29) i;
            CREATE FUNCTION dwh.gate(cid bpchar) RETURNS boolean LANGUAGE plpgsql AS $$
            BEGIN
              IF cid = 'c012' THEN RAISE EXCEPTION 'poisoned row for %', cid; END IF;
              IF cid = 'c021' THEN PERFORM pg_sleep(2); END IF;
              RETURN true;
            END $$;
            ALTER TABLE dwh.dw_mes_lotwiphistory ENABLE ROW LEVEL SECURITY;
            CREATE POLICY gate ON dwh.dw_mes_lotwiphistory USING (dwh.gate(containerid));
            GRANT USAGE ON SCHEMA dwh TO tracespool_reader;
            GRANT SELECT ON ALL TABLES IN SCHEMA dwh TO tracespool_reader;
            """)
        let folder = TempFolder()
        let cids = (0..<30).map { String(format: "c%03d", $0) }.joined(separator: ",")
        let r = try runCLI(["run", "--source", db.conninfo + " user=tracespool_reader", "--spool-dir", folder.path,
                            "--cids", cids, "--domains", "history", "--cid-batch", "5", "--statement-timeout-ms", "500", "--json"])
        #expect(r.status == 3, "\(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect(o["quality"] as? String == "partial")
        let q = try #require((o["domain_quality"] as? [String: Any])?["history"] as? [String: Any])
        #expect(q["status"] as? String == "partial")
        let ranges = try #require(q["failed_ranges"] as? [[String: Any]])
        #expect(ranges.count == 2)
        #expect(ranges.first?["start"] as? String == "c010" && ranges.first?["end"] as? String == "c014")
        #expect(ranges.first?["code"] as? String == "SOURCE_QUERY_FAILED")
        #expect(ranges.last?["start"] as? String == "c020" && ranges.last?["end"] as? String == "c024")
        #expect(ranges.last?["code"] as? String == "SOURCE_TIMEOUT")
        // 30 lots − 2 failed batches × 5 lots = 20 rows kept, none from the failed ranges.
        #expect((o["rows"] as? [String: Any])?["history"] as? Int == 20)
        let spool = try Spool.open(at: try #require(o["spool_path"] as? String))
        #expect(try spool.database.scalarInt("""
            SELECT count(*) FROM ev_history WHERE "CONTAINERID" BETWEEN 'c010' AND 'c014' OR "CONTAINERID" BETWEEN 'c020' AND 'c024'
            """) == 0)
        let ledger = try spool.ledger(domain: "history")
        #expect(ledger.filter { $0.state == "failed" }.map(\.batch) == [2, 4])
        #expect(ledger.filter { $0.state == "done" }.count == 4)
    }
}
