import Foundation
import Testing
import TracespoolSource
import TracespoolSpool

/// Warehouse data and tables shaped as a mirror we did not build may be: job id lists with empty
/// tokens, doubled commas, padding and 12-character legacy ids; tables with extra columns or their
/// columns in another order. Columns are read by name.
@Suite("Warehouse shapes we did not build")
struct WarehouseShapeTests {
    @Test("jobs: whole tokens only, by index and by scan alike", arguments: ["index", "scan"])
    func jobTokens(mode: String) throws {
        let w = try CraftedWarehouse("jobshape")
        for cid in ["A1", "A12", "LEGACY123456", "B7"] { try w.container(cid, name: "N-\(cid)") }
        try w.c.execute("""
            INSERT INTO dwh.dw_mes_job (jobid, resourceid, createdate, containerids) VALUES
              ('J1', 'R1', '2026-01-01', 'A1,,A12'),                 -- doubled comma
              ('J2', 'R1', '2026-01-02', ' A1 , LEGACY123456 ,'),    -- padding, trailing comma
              ('J3', 'R1', '2026-01-03', ',,'),                      -- nothing but empty tokens
              ('J4', 'R1', '2026-01-04', 'A123,XA1,A1X'),            -- substrings of A1/A12 only
              ('J5', 'R1', '2026-01-05', 'LEGACY123456'),            -- a 12-character legacy id alone
              ('J6', 'R1', '2026-01-06', NULL),
              ('J7', 'R1', '2026-01-07', 'B7,B7');                   -- a CID listed twice: one row
            """)
        let folder = TempFolder()
        let r = try runCLI(["run", "--source", w.conninfo, "--spool-dir", folder.path, "--cids", "A1,A12,LEGACY123456,B7",
                            "--domains", "jobs", "--json"], environment: ["TRACESPOOL_JOBS_MATCH": mode])
        #expect(r.status == 0, "\(r.stderr)")
        let spool = try Spool.open(at: try #require(try parseJSONObject(r.stdout)["spool_path"] as? String))
        #expect(try spool.strings("SELECT CONTAINERID, JOBID FROM ev_jobs ORDER BY seq") == [
            "A1|J2", "A1|J1", "A12|J1", "B7|J7", "LEGACY123456|J5", "LEGACY123456|J2",
        ])
        let scanned = try spool.database.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'job_tokens'") == 1
        #expect(scanned == (mode == "scan"))
    }

    @Test("TRACESPOOL_JOBS_MATCH with an unknown value is a usage error")
    func jobsMatchValue() throws {
        let r = try runCLI(["run", "--cids", "A1"], environment: ["TRACESPOOL_JOBS_MATCH": "fast"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("TRACESPOOL_JOBS_MATCH=fast"))
    }

    @Test("a table with an extra column and its columns in another order still reads by name")
    func columnsByName() throws {
        let w = try CraftedWarehouse("colorder")
        try w.container("M1", name: "LOT-M1")
        try w.c.execute("""
            DROP TABLE dwh.dw_mes_lotmaterialshistory;
            CREATE TABLE dwh.dw_mes_lotmaterialshistory (
              extra_note varchar(40), txndate timestamp(0), equipmentname varchar(40), specname varchar(40),
              workcentername varchar(40), qtyconsumed numeric, description varchar(255), materiallotname varchar(40),
              materialpartname varchar(40), containerid char(16), another_extra int
            );
            CREATE INDEX ON dwh.dw_mes_lotmaterialshistory (containerid);
            INSERT INTO dwh.dw_mes_lotmaterialshistory VALUES
              ('x', '2026-02-03 04:05:06', 'EQ-9', 'SPEC-9', 'WC-9', 2.50, 'desc-9', 'ML-9', 'MP-9', 'M1', 7);
            """)
        let folder = TempFolder()
        let r = try runCLI(["run", "--source", w.conninfo, "--spool-dir", folder.path, "--cids", "M1",
                            "--domains", "materials", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let spool = try Spool.open(at: try #require(try parseJSONObject(r.stdout)["spool_path"] as? String))
        #expect(try spool.strings("""
            SELECT CONTAINERID, CONTAINERNAME, MATERIALPARTNAME, MATERIALLOTNAME, MATERIALDESCRIPTION, QTYCONSUMED,
                   WORKCENTERNAME, SPECNAME, EQUIPMENTNAME, TXNDATE FROM ev_materials
            """) == ["M1|LOT-M1|MP-9|ML-9|desc-9|2.5|WC-9|SPEC-9|EQ-9|2026-02-03 04:05:06"])
    }
}
