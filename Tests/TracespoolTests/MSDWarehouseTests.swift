import Foundation
import Logging
import Testing
import TracespoolJobs
import TracespoolMSD
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// End to end through `run` (PostgreSQL warehouse → spool → MSD step) and `msd summary/detail`:
/// the backward worked example of `msd.md` §3.8 as a crafted warehouse, and the backward KPI and
/// `by_machine` of a generated warehouse against an independent computation written as SQL over
/// the warehouse. Needs the cluster of scripts/test.
@Suite struct MSDWarehouseTests {
    typealias J = MSDJSONTest

    func runMSD(_ conninfo: String, folder: String, station: String, from: String, to: String, direction: String = "backward") throws -> String {
        let r = try runCLI(["run", "--profile", "mid_section_defect", "--station", station, "--from", from, "--to", to,
                            "--direction", direction, "--source", conninfo, "--spool-dir", folder])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func backwardWorkedExampleThroughRun() throws {
        let w = try CraftedWarehouse("msd38")
        for (cid, split) in [("P1", nil), ("P2", nil), ("L1", "P1"), ("L2", "P1"), ("L3", "P2")] as [(String, String?)] {
            try w.container(cid, name: cid, split: split)
        }
        try w.trackIn("P1", workcenter: "WC焊接_WB-1", equipment: "E1", at: "2026-05-20 08:00:00", qty: 2000, name: "WB-01")
        try w.trackIn("P1", workcenter: "WC成型-1", equipment: "E7", at: "2026-05-21 08:00:00", qty: 2000, name: "MD-07")
        try w.trackIn("P2", workcenter: "WC焊接_WB-2", equipment: "E1", at: "2026-05-20 09:00:00", qty: 900, name: "WB-01")
        try w.trackIn("L1", workcenter: "WC電鍍-1", equipment: "E2", at: "2026-05-25 08:00:00", qty: 1000, name: "PL-02")
        try w.trackIn("L2", workcenter: "WC電鍍-1", equipment: "E3", at: "2026-05-25 09:00:00", qty: 500, name: "PL-03")
        try w.trackIn("L3", workcenter: "WC電鍍-1", equipment: "E2", at: "2026-05-25 10:00:00", qty: 800, name: "PL-02")
        try w.trackIn("L1", workcenter: "TMTT-01", equipment: "E9", at: "2026-06-01 08:00:00", qty: 1000, name: "TT-1")
        try w.trackIn("L2", workcenter: "TMTT-01", equipment: "E9", at: "2026-06-01 09:00:00", qty: 500, name: "TT-1")
        try w.trackIn("L3", workcenter: "TMTT-02", equipment: "E8", at: "2026-06-02 08:00:00", qty: 800, name: "TT-2")
        try w.reject("L1", workcenter: "TMTT-01", reason: "A", qty: [30], at: "2026-06-01 10:00:00")
        try w.reject("L1", workcenter: "TMTT-01", reason: "B", qty: [10], at: "2026-06-01 10:00:00")
        try w.reject("L2", workcenter: "TMTT-01", reason: "A", qty: [5], at: "2026-06-01 10:00:00")
        let folder = TempFolder()
        let job = try runMSD(w.conninfo, folder: folder.path, station: "測試", from: "2026-06-01", to: "2026-06-02")

        let s = try runCLI(["msd", "summary", job, "--spool-dir", folder.path])
        #expect(s.status == 0, "\(s.stderr)")
        let summary = try J.object(s.stdout)
        let k = J.kpi(summary)
        #expect(J.num(k["lot_count"]) == 3)
        #expect(J.num(k["total_input"]) == 2300)
        #expect(J.num(k["total_defect_qty"]) == 45)
        #expect(J.num(k["total_defect_rate"]) == 1.9565)
        #expect(k["top_loss_reason"] as? String == "A")
        let machines = J.chart(summary, "by_machine")
        #expect(machines.map { $0["name"] as? String } == ["MD-07", "WB-01", "PL-02", "PL-03"])
        #expect(machines.map { J.num($0["lot_count"]) } == [2, 3, 2, 1])
        #expect(machines.map { J.num($0["input_qty"]) } == [1500, 2300, 1800, 500])
        #expect(machines.map { J.num($0["defect_rate"]) } == [3.0, 1.9565, 2.2222, 1.0])
        #expect(J.chart(summary, "by_loss_reason").map { J.num($0["defect_qty"]) } == [35, 10])
        #expect((summary["daily_trend"] as? [[String: Any]])?.map { J.num($0["input_qty"]) } == [1500, 800])

        let d = try runCLI(["msd", "detail", job, "--spool-dir", folder.path])
        #expect(d.status == 0, "\(d.stderr)")
        let rows = try J.object(d.stdout)["detail"] as? [[String: Any]] ?? []
        #expect(rows.map { "\($0["CONTAINERNAME"]!)/\($0["LOSS_REASON"]!)/\(J.num($0["DEFECT_RATE"]))" }
                == ["L1/A/3.0", "L1/B/1.0", "L2/A/1.0", "L3//0.0"])
        #expect(rows.map { J.num($0["UPSTREAM_MACHINE_COUNT"]) } == [3, 3, 3, 2])
        #expect(rows.map { $0["WAFER_ROOT"] as? String } == ["P1", "P1", "P1", "P2"])
    }

    @Test(arguments: TestEnvironment.warehouses)
    func kpiAndByMachineAgreeWithAnIndependentWarehouseQuery(warehouse: String) throws {
        let conninfo = try TestEnvironment.warehouse(warehouse)
        let folder = TempFolder()
        let (from, to) = ("2026-05-01", "2026-05-31")
        let job = try runMSD(conninfo, folder: folder.path, station: "測試", from: from, to: to)
        let s = try runCLI(["msd", "summary", job, "--spool-dir", folder.path])
        #expect(s.status == 0, "\(s.stderr)")
        let summary = try J.object(s.stdout)
        let k = J.kpi(summary)
        #expect(J.num(k["lot_count"]) > 50, "the window should hold a real cohort")

        // Lineage is taken from the spool (checked against an independent walk in LineageIndependentTests);
        // detection, rejects, history, station classification and the attribution are computed here.
        let spool = try Spool.open(at: "\(folder.path)/\(job).sqlite")
        let pairs = try spool.strings("SELECT SEED_ID, ANCESTOR_ID FROM lineage_ancestors").map { $0.split(separator: "|").map(String.init) }
        let pg = try PGConnection(conninfo: conninfo)
        let isTest = "(strpos(upper(%@), 'TMTT') > 0 OR strpos(upper(%@), '測試') > 0)"
        func station(_ col: String) -> String { String(format: isTest, col, col) }
        // Upstream = classified into a group before 測試 (order < 11): literal, case-insensitive substrings.
        let upstreamPatterns = ["切割", "焊接_DB", "焊_DB_料", "焊_DB", "焊接_WB", "焊_WB_料", "焊_WB", "焊接_DW", "焊_DW", "焊_DW_料",
                                "成型", "成型_料", "去膠", "水吹砂", "掛鍍", "滾鍍", "條鍍", "電鍍", "補鍍", "TOTAI", "BANDL", "移印",
                                "切彎腳", "元件切割", "PKG_SAW"]
        let upstream = "(" + upstreamPatterns.map { "strpos(upper(h.workcentername), '\($0.uppercased())') > 0" }.joined(separator: " OR ") + ")"
        let lots = """
            det AS (
              SELECT rtrim(h.containerid) AS cid, h.trackintimestamp AS ts, h.trackouttimestamp AS tout,
                     max(h.trackinqty) OVER (PARTITION BY h.containerid, h.trackintimestamp, h.equipmentid) AS orig
              FROM dwh.dw_mes_lotwiphistory h
              WHERE h.trackintimestamp >= $1::date AND h.trackintimestamp < $2::date + 1
                AND h.equipmentid IS NOT NULL AND \(station("h.workcentername"))),
            kept AS (SELECT DISTINCT ON (cid) cid, coalesce(orig, 0) AS t FROM det ORDER BY cid, ts DESC, tout DESC NULLS LAST),
            rej AS (
              SELECT rtrim(r.containerid) AS cid,
                     sum(coalesce(r.rejectqty, 0) + coalesce(r.standbyqty, 0) + coalesce(r.qtytoprocess, 0)
                         + coalesce(r.inprocessqty, 0) + coalesce(r.processedqty, 0) + coalesce(r.defectqty, 0)) AS d
              FROM dwh.dw_mes_lotrejecthistory r
              WHERE r.txndate >= $1::date AND r.txndate < $2::date + 1 AND \(station("r.workcentername"))
              GROUP BY 1),
            lot AS (SELECT kept.cid, kept.t, coalesce(rej.d, 0) AS d FROM kept LEFT JOIN rej USING (cid))
            """
        let kpi = try pg.query("WITH \(lots) SELECT count(*), sum(t), count(*) FILTER (WHERE d > 0), sum(d) FROM lot", [from, to])
        #expect(J.num(k["lot_count"]) == Double(kpi.string(0, 0)!))
        #expect(J.num(k["total_input"]) == Double(kpi.string(0, 1)!))
        #expect(J.num(k["defective_lot_count"]) == Double(kpi.string(0, 2)!))
        #expect(J.num(k["total_defect_qty"]) == Double(kpi.string(0, 3)!))

        let byMachine = try pg.query("""
            WITH \(lots),
            anc AS (SELECT * FROM unnest($3::text[], $4::text[]) AS a(seed, anc)
                    UNION SELECT cid, cid FROM lot),
            mach AS (SELECT DISTINCT rtrim(h.containerid) AS cid, trim(h.equipmentname) AS name FROM dwh.dw_mes_lotwiphistory h
                     WHERE h.equipmentid IS NOT NULL AND h.trackintimestamp IS NOT NULL AND trim(coalesce(h.equipmentname, '')) <> ''
                       AND \(upstream)),
            pairs AS (SELECT DISTINCT m.name, lot.cid, lot.t, lot.d FROM lot JOIN anc ON anc.seed = lot.cid JOIN mach m ON m.cid = anc.anc)
            SELECT name, count(*), sum(t), sum(d) FROM pairs GROUP BY name ORDER BY sum(d) DESC, name LIMIT 10
            """, [from, to, CIDList.arrayLiteral(pairs.map { $0[0] }), CIDList.arrayLiteral(pairs.map { $0[1] })])
        let chart = J.chart(summary, "by_machine")
        #expect(chart.count == byMachine.rowCount)
        for (i, row) in chart.enumerated() where i < byMachine.rowCount {
            #expect(row["name"] as? String == byMachine.string(i, 0))
            #expect(J.num(row["lot_count"]) == Double(byMachine.string(i, 1)!))
            #expect(J.num(row["input_qty"]) == Double(byMachine.string(i, 2)!))
            #expect(J.num(row["defect_qty"]) == Double(byMachine.string(i, 3)!))
        }
    }
}
