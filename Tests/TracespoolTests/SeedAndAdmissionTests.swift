import Foundation
import Testing
import TracespoolJobs
import TracespoolSource
import TracespoolSpool

@Suite("Seeds, admission control and bad input")
struct SeedAndAdmissionTests {
    func warehouse() throws -> CraftedWarehouse {
        let w = try CraftedWarehouse("seeds")
        try w.container("R1", name: "GA26010001-A00-001", order: "GA26010001", firstname: "WL1")
        try w.container("C1", name: "GA26010001-A01-001", order: "GA26010001", split: "R1", firstname: "WL1")
        try w.container("C2", name: "GA26010001-A01-002", order: "GA26010001", split: "R1", firstname: "WL1")
        try w.container("R2", name: "GC26010002-A00-001", order: "GC26010002")
        try w.container("G1", name: "GD26010003-R00-001", order: "GD26010003", original: "C2")
        try w.container("F1", name: "GA26010001-F001", order: "GA26010001")
        try w.merge(source: "C1", into: "F1", serial: "SN26010001")
        return w
    }

    func cli(_ w: CraftedWarehouse, _ folder: TempFolder, _ args: [String]) throws -> CLIResult {
        try runCLI(["run", "--source", w.conninfo, "--spool-dir", folder.path] + args)
    }

    @Test("query_tool resolves lot ids, wafer lots, work orders and wildcards; reports not_found")
    func queryToolSeeds() throws {
        let w = try warehouse()
        let folder = TempFolder()
        let byLot = try cli(w, folder, ["--lot-ids", "GA26010001-A01-001, NOPE", "--json"])
        #expect(byLot.status == 0, "\(byLot.stderr)")
        let o = try parseJSONObject(byLot.stdout)
        #expect(o["seed_count"] as? Int == 1)
        #expect(o["not_found"] as? [String] == ["NOPE"])
        #expect(o["cid_count"] as? Int == 1)  // forward from C1: C1 only (R1 and C2 are in the graph, not descendants)
        #expect(o["node_count"] as? Int == 4)  // R1, C1, C2, G1
        let byWafer = try parseJSONObject(try cli(w, folder, ["--wafer-lots", "WL1", "--json"]).stdout)
        #expect(byWafer["seed_count"] as? Int == 3)
        let byOrder = try parseJSONObject(try cli(w, folder, ["--work-orders", "ga26010001,GC26010002", "--json"]).stdout)
        #expect(byOrder["seed_count"] as? Int == 5)
        let wild = try parseJSONObject(try cli(w, folder, ["--lot-ids", "GA26010001-A01*", "--json"]).stdout)
        #expect(wild["seed_count"] as? Int == 2)
    }

    @Test("query_tool_reverse resolves serials (finished name first), GD work orders and GD lot ids")
    func reverseSeeds() throws {
        let w = try warehouse()
        let folder = TempFolder()
        let serial = try cli(w, folder, ["--profile", "query_tool_reverse", "--serials", "SN26010001", "--json"])
        #expect(serial.status == 0, "\(serial.stderr)")
        let o = try parseJSONObject(serial.stdout)
        #expect(o["seed_count"] as? Int == 1)
        let spool = try Spool.open(at: try #require(o["spool_path"] as? String))
        #expect(try spool.strings("SELECT CID FROM seeds") == ["F1"])
        #expect(try spool.strings("SELECT ANCESTOR_ID FROM lineage_ancestors WHERE SEED_ID = 'F1' ORDER BY 1") == ["C1", "F1", "R1"])
        let gd = try parseJSONObject(try cli(w, folder, ["--profile", "query_tool_reverse", "--gd-work-orders", "GD26010003", "--json"]).stdout)
        #expect(gd["seed_count"] as? Int == 1)
        #expect(gd["cid_count"] as? Int == 2)  // G1 and its rework source C2 (one level: C2's parents are not followed)
    }

    @Test("admission control at limit − 1, limit and limit + 1")
    func admission() throws {
        let w = try warehouse()
        // Forward from R1: R1, C1, C2, G1 = 4 CIDs.
        for (limit, refused) in [(3, true), (4, false), (5, false)] {
            let folder = TempFolder()
            let r = try cli(w, folder, ["--lot-ids", "GA26010001-A00-001", "--cid-limit", String(limit), "--json"])
            if refused {
                #expect(r.status == 4, "\(r.stderr)")
                #expect(r.stderr.contains("container_ids count (4) exceeds limit (3)"))
                let o = try parseJSONObject(r.stdout)
                let e = try #require(o["error"] as? [String: Any])
                #expect(e["code"] as? String == "CID_LIMIT_EXCEEDED" && e["cid_count"] as? Int == 4 && e["limit"] as? Int == 3)
                let catalog = try SQLiteDatabase(path: folder.path + "/catalog.sqlite", mode: .readOnly)
                #expect(try catalog.scalarText("SELECT state || ' ' || error_code FROM jobs") == "failed CID_LIMIT_EXCEEDED")
                #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sqlite") && $0.hasPrefix("j") && !$0.hasSuffix(".request.sqlite") }.isEmpty)
            } else {
                #expect(r.status == 0, "\(r.stderr)")
                #expect(try parseJSONObject(r.stdout)["cid_count"] as? Int == 4)
            }
        }
        // At submission: explicit --cids over the limit are refused before connecting.
        let folder = TempFolder()
        let r = try runCLI(["run", "--source", "host=/nonexistent", "--spool-dir", folder.path, "--cids", "A,B,C", "--cid-limit", "2"])
        #expect(r.status == 4)
        #expect(r.stderr.contains("container_ids count (3) exceeds limit (2)"))
    }

    @Test("bad seed input: precise messages, exit 64, nothing created", arguments: [
        (["--serials", "SN1"], "--serials is not a seed type of query_tool"),
        (["--work-orders", "GD26010003"], "GD (rework) work order"),
        (["--work-orders", "XX1"], "must start with GA or GC"),
        (["--profile", "query_tool_reverse", "--gd-work-orders", "GA26010001"], "must start with GD"),
        (["--lot-ids", "G*"], "needs at least two characters before '*'"),
        (["--lot-ids", "A", "--work-orders", "GA1"], "one kind of seed at a time"),
        (["--profile", "mid_section_defect", "--from", "2026-13-01", "--to", "2026-12-31"], "is not a date"),
        (["--profile", "mid_section_defect", "--from", "2026-02-30", "--to", "2026-03-31"], "is not a date"),
        (["--profile", "mid_section_defect", "--from", "2026-03-02", "--to", "2026-03-01"], "is after --to"),
        (["--profile", "mid_section_defect", "--from", "2024-01-01", "--to", "2026-01-02"], "at most 730 are allowed"),
        (["--profile", "mid_section_defect", "--station", "焊接,測試", "--from", "2026-03-01", "--to", "2026-03-02"],
         "unknown station \"焊接\"; valid: 切割, 焊接_DB"),
        (["--profile", "mid_section_defect", "--direction", "sideways", "--from", "2026-03-01", "--to", "2026-03-02"], "unknown direction"),
        (["--direction", "forward", "--lot-ids", "A"], "--direction applies to mid_section_defect only"),
    ])
    func badSeedInput(args: [String], message: String) throws {
        let folder = TempFolder()
        let r = try runCLI(["run", "--source", "host=/nonexistent", "--spool-dir", folder.path] + args)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/catalog.sqlite"))
    }

    @Test("a window of exactly 730 days is accepted")
    func maxWindow() throws {
        let w = try warehouse()
        let folder = TempFolder()
        let r = try cli(w, folder, ["--profile", "mid_section_defect", "--from", "2024-01-01", "--to", "2025-12-31"])
        // Accepted (no usage error); the crafted warehouse has no track-ins, so nothing is found.
        #expect(r.status == 5, "\(r.stderr)")
        #expect(r.stderr.contains("NO_DETECTION_RECORDS"))
    }

    @Test("seeds that resolve to nothing: exit 5, no job and no spool left behind; SQL in values is harmless")
    func nothingFound() throws {
        let w = try warehouse()
        let folder = TempFolder()
        let hostile = "x'); DROP TABLE dwh.dw_mes_container; --"
        let r = try cli(w, folder, ["--lot-ids", "\(hostile),\"quoted\",a\\b", "--json"])
        #expect(r.status == 5, "\(r.stderr)")
        #expect(r.stderr.contains("NO_SEEDS"))
        let o = try parseJSONObject(r.stdout)
        #expect(o["not_found"] as? [String] == [hostile, "\"quoted\"", "a\\b"])
        let catalog = try SQLiteDatabase(path: folder.path + "/catalog.sqlite", mode: .readOnly)
        #expect(try catalog.scalarInt("SELECT count(*) FROM jobs") == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("j") }.isEmpty)
        // The table is still there, and a value with a quote can be found when it exists.
        try w.container("Q1", name: "GA'quote\"d")
        let q = try cli(w, folder, ["--lot-ids", "GA'quote\"d", "--json"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(try parseJSONObject(q.stdout)["seed_count"] as? Int == 1)
    }
}
