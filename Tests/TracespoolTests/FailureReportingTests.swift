import Foundation
import Testing
import TracespoolJobs
import TracespoolSource
import TracespoolSpool

extension CraftedWarehouse {
    /// Row-level security on `dwh.<table>`: `body` (PL/pgSQL, the row's key as `k`) runs for every
    /// row `tracespool_reader` reads, so a test can make a real batch fail inside PostgreSQL.
    func gate(_ table: String, key: String = "containerid", body: String) throws {
        try c.execute("""
            CREATE OR REPLACE FUNCTION dwh.gate_\(table)(k text) RETURNS boolean LANGUAGE plpgsql AS $$
            BEGIN
              \(body)
              RETURN true;
            END $$;
            ALTER TABLE dwh.\(table) ENABLE ROW LEVEL SECURITY;
            CREATE POLICY gate ON dwh.\(table) USING (dwh.gate_\(table)(btrim(\(key))));
            """)
    }

    /// The warehouse as `tracespool_reader` (no BYPASSRLS) sees it.
    func asReader() throws -> String {
        try c.execute("GRANT USAGE ON SCHEMA dwh TO tracespool_reader; GRANT SELECT ON ALL TABLES IN SCHEMA dwh TO tracespool_reader;")
        return conninfo + " user=tracespool_reader"
    }
}

/// Every stage's failed batch reaches the job (README → "Exit codes", `run --json` stage_quality):
/// seeds and lineage fail the job with the source's code; detection and resources make it partial.
@Suite("No swallowed failure")
struct FailureReportingTests {
    func run(_ source: String, _ folder: TempFolder, _ args: [String]) throws -> (CLIResult, [String: Any]) {
        let r = try runCLI(["run", "--source", source, "--spool-dir", folder.path, "--json"] + args)
        return (r, (try? parseJSONObject(r.stdout)) ?? [:])
    }

    func errorCode(_ o: [String: Any]) -> String? { (o["error"] as? [String: Any])?["code"] as? String }

    @Test("a failed seed batch fails the job with the source's code, never NO_SEEDS")
    func seedFailure() throws {
        let w = try SeedAndAdmissionTests().warehouse()
        try w.gate("dw_mes_container", body: "IF k = 'C2' THEN RAISE EXCEPTION 'gate: container %', k; END IF;")
        let folder = TempFolder()
        let (r, o) = try run(try w.asReader(), folder, ["--lot-ids", "GA26010001-A01-002,GA26010001-A01-001"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(errorCode(o) == "SOURCE_QUERY_FAILED")
        #expect(r.stderr.contains("seeds"), "\(r.stderr)")
        #expect(!r.stderr.contains("NO_SEEDS"))
    }

    @Test("a failed lineage batch fails the job with the source's code")
    func lineageFailure() throws {
        let w = try SeedAndAdmissionTests().warehouse()
        try w.gate("dw_mes_pj_combinedassylots", body: "RAISE EXCEPTION 'gate: merges of %', k;")
        let folder = TempFolder()
        let (r, o) = try run(try w.asReader(), folder, ["--lot-ids", "GA26010001-A01-001"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(errorCode(o) == "SOURCE_QUERY_FAILED")
        #expect(r.stderr.contains("lineage"), "\(r.stderr)")
        // The catalog row says failed with the warehouse's code (the spool stays for a resume).
        let store = try SQLiteJobStore(folder: folder.path)
        let job = try #require(try store.list(state: nil, limit: 1, after: nil).first)
        #expect(job.state == .failed && job.errorCode == "SOURCE_QUERY_FAILED", "\(job)")
    }

    @Test("a failed detection batch: partial under `detection`, exit 3, and every MSD output says so")
    func detectionFailure() throws {
        let w = try DetectionTests().warehouse()
        try w.gate("dw_mes_wip", body: "IF k = 'D2' THEN RAISE EXCEPTION 'gate: wip %', k; END IF;")
        try w.c.execute("INSERT INTO dwh.dw_mes_wip (containerid, workflowname) VALUES ('D1', 'WF1'), ('D2', 'WF2')")
        let folder = TempFolder()
        let (r, o) = try run(try w.asReader(), folder, ["--profile", "mid_section_defect", "--station", "測試",
                                                       "--from", "2026-03-01", "--to", "2026-03-31", "--cid-batch", "1"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(o["quality"] as? String == "partial")
        let stages = try #require(o["stage_quality"] as? [String: Any])
        let detection = try #require(stages["detection"] as? [String: Any])
        #expect(detection["status"] as? String == "partial")
        let ranges = detection["failed_ranges"] as? [[String: Any]] ?? []
        #expect(ranges.count == 1)
        #expect(ranges.first?["start"] as? String == "D2")
        #expect(ranges.first?["code"] as? String == "SOURCE_QUERY_FAILED")
        #expect((stages["seeds"] as? [String: Any])?["status"] as? String == "complete")
        #expect(r.stderr.contains("detection is partial"), "\(r.stderr)")
        let job = try #require(o["job_id"] as? String)
        // The catalog holds the quality: a partial job is not a plain success.
        let store = try SQLiteJobStore(folder: folder.path)
        #expect(try store.get(id: job)?.quality == .partial)
        // Every MSD output carries it.
        let summary = try runCLI(["msd", "summary", job, "--spool-dir", folder.path])
        #expect(summary.status == 0, "\(summary.stderr)")
        #expect(try parseJSONObject(summary.stdout)["quality"] as? String == "partial")
        #expect(summary.stderr.contains("quality is partial"))
        let table = try runCLI(["msd", "summary", job, "--table", "--spool-dir", folder.path])
        #expect(table.stdout.contains("QUALITY: PARTIAL"), "\(table.stdout)")
        let detail = try runCLI(["msd", "detail", job, "--spool-dir", folder.path])
        #expect(try parseJSONObject(detail.stdout)["quality"] as? String == "partial")
        let csv = folder.path + "/detail.csv"
        let export = try runCLI(["msd", "export", job, "-o", csv, "--spool-dir", folder.path])
        #expect(export.status == 0, "\(export.stderr)")
        let firstLine = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.contains("quality: partial"), "\(firstLine)")
    }

    @Test("a failed resources batch: partial under `resources`, exit 3")
    func resourcesFailure() throws {
        let w = try DetectionTests().warehouse()
        try w.gate("dw_mes_resource", key: "resourceid", body: "RAISE EXCEPTION 'gate: resource %', k;")
        try w.c.execute("INSERT INTO dwh.dw_mes_resource VALUES ('T1', 'T1', 'FAM-A'), ('T2', 'T2', 'FAM-B')")
        let folder = TempFolder()
        let (r, o) = try run(try w.asReader(), folder, ["--profile", "mid_section_defect", "--station", "測試",
                                                       "--from", "2026-03-01", "--to", "2026-03-31"])
        #expect(r.status == 3, "\(r.stderr)")
        let stages = try #require(o["stage_quality"] as? [String: Any])
        #expect((stages["resources"] as? [String: Any])?["status"] as? String == "failed")
        #expect((stages["detection"] as? [String: Any])?["status"] as? String == "complete")
        #expect(o["quality"] as? String == "partial")
    }

    @Test("a role without SELECT on one table: the job fails with 69 and names the table")
    func permissionDenied() throws {
        let w = try SeedAndAdmissionTests().warehouse()
        let reader = try w.asReader()
        try w.c.execute("REVOKE SELECT ON dwh.dw_mes_lotmaterialshistory FROM tracespool_reader")
        let folder = TempFolder()
        let (r, o) = try run(reader, folder, ["--lot-ids", "GA26010001-A01-001", "--domains", "history,materials"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(errorCode(o) == "SOURCE_PERMISSION_DENIED")
        #expect(r.stderr.contains("dw_mes_lotmaterialshistory"), "\(r.stderr)")
    }
}
