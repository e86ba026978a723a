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
        // 30 lots in batches of 5: c012 raises, c021 outlasts the 500 ms statement timeout.
        let db = try gatedWarehouse("partial", lots: 30, gateBody: """
            IF cid = 'c012' THEN RAISE EXCEPTION 'poisoned row for %', cid; END IF;
            IF cid = 'c021' THEN PERFORM pg_sleep(2); END IF;
            """)
        let folder = TempFolder()
        let cids = gatedCIDs(30)
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
