import Foundation
import Testing
import TracespoolJobs
import TracespoolSpool

/// MSD detection numbers on crafted partial track-ins and multi-reason rejects (`msd.md` §1.3).
@Suite("MSD detection")
struct DetectionTests {
    func warehouse() throws -> CraftedWarehouse {
        let w = try CraftedWarehouse("detect")
        try w.container("D1", name: "GA-D1")
        try w.container("D2", name: "GA-D2")
        try w.container("U", name: "GA-U")
        try w.container("D3", name: "GA-D3", split: "U")
        // D1: an earlier session, then the latest one with three partial track-ins 43200→40680→19440.
        try w.trackIn("D1", workcenter: "TMTT-01", equipment: "T1", at: "2026-03-02 08:00:00", qty: 50000, out: "2026-03-02 09:00:00")
        try w.trackIn("D1", workcenter: "TMTT-01", equipment: "T2", at: "2026-03-05 08:00:00", qty: 43200, out: "2026-03-05 09:00:00")
        try w.trackIn("D1", workcenter: "TMTT-01", equipment: "T2", at: "2026-03-05 08:00:00", qty: 40680, out: "2026-03-05 10:00:00")
        try w.trackIn("D1", workcenter: "TMTT-01", equipment: "T2", at: "2026-03-05 08:00:00", qty: 19440, out: "2026-03-05 11:00:00")
        // Upstream steps are not detection rows.
        try w.trackIn("D1", workcenter: "WC焊接_WB-1", equipment: "WB-01", at: "2026-03-01 08:00:00", qty: 50000)
        // Rejects at the station: two reasons, one of them twice, one without a reason; and one upstream.
        try w.reject("D1", workcenter: "TMTT-01", reason: "刮傷", qty: [5, 1, nil, nil, nil, 2], at: "2026-03-05 09:30:00")
        try w.reject("D1", workcenter: "TMTT-01", reason: "刮傷", qty: [3], at: "2026-03-05 10:30:00")
        try w.reject("D1", workcenter: "TMTT-01", reason: "VOID", qty: [nil, nil, 4, 1, 1, nil], at: "2026-03-05 10:30:00")
        try w.reject("D1", workcenter: "TMTT-01", reason: nil, qty: [7], at: "2026-03-05 10:30:00")
        try w.reject("D1", workcenter: "WC焊接_WB-1", reason: "刮傷", qty: [100], at: "2026-03-01 09:00:00")
        // D2: at the station, no rejects. D3: at the station out of the window.
        try w.trackIn("D2", workcenter: "測試-2", equipment: "T3", at: "2026-03-10 08:00:00", qty: 1000)
        try w.trackIn("D3", workcenter: "TMTT-01", equipment: "T1", at: "2026-04-10 08:00:00", qty: 800)
        try w.trackIn("U", workcenter: "WC焊接_WB-1", equipment: "WB-02", at: "2026-02-10 08:00:00", qty: 900)
        return w
    }

    @Test("date mode: session original load of the latest track-in, rejects per reason as the six-column sum")
    func dateMode() throws {
        let w = try warehouse()
        let folder = TempFolder()
        let (r, spool) = try w.run(input("mid_section_defect") {
            $0.stations = ["測試"]; $0.from = "2026-03-01"; $0.to = "2026-03-31"
        }, folder: folder.path)
        #expect(r.seedCount == 2)
        #expect(r.detectionLots == 2)
        let rows = try spool.strings("""
            SELECT CONTAINERID, DETECTION_EQUIPMENTID, TRACKINQTY, TRACKINTIMESTAMP, LOSSREASONNAME, REJECTQTY
            FROM msd_detection ORDER BY CONTAINERID, LOSSREASONNAME
            """)
        #expect(rows == [
            "D1|T2|43200|2026-03-05 08:00:00|(未填寫)|7",
            "D1|T2|43200|2026-03-05 08:00:00|VOID|6",
            "D1|T2|43200|2026-03-05 08:00:00|刮傷|11",
            "D2|T3|1000|2026-03-10 08:00:00|∅|0",
        ])
        #expect(try spool.meta("msd.mode") == "date_range")
        // Default MSD backward domains were fetched for seeds and ancestors.
        #expect(r.domains.map(\.domain) == ["upstream_history", "materials"])
        #expect(try spool.strings("SELECT DISTINCT CONTAINERID FROM ev_upstream_history ORDER BY 1") == ["D1", "D2"])
    }

    @Test("container mode: seeds that passed the station; detection over seeds and ancestors, no window")
    func containerMode() throws {
        let w = try warehouse()
        let folder = TempFolder()
        let (r, spool) = try w.run(input("mid_section_defect") {
            $0.stations = ["測試"]; $0.values = [.lotId: ["GA-D3", "GA-U", "GA-NONE"]]
        }, folder: folder.path)
        // GA-U never tracked in at the station: not a seed; GA-D3 is, and its ancestor U is traced.
        #expect(r.seedCount == 1)
        #expect(r.notFound == ["GA-U", "GA-NONE"])
        #expect(try spool.strings("SELECT DISTINCT CONTAINERID FROM msd_detection") == ["D3"])
        #expect(try spool.strings("SELECT cid FROM trace_cids ORDER BY 1") == ["D3", "U"])
        #expect(try spool.meta("msd.mode") == "container")
    }

    @Test("MSD over the CID limit runs with a warning")
    func msdWarnsOverLimit() throws {
        let w = try warehouse()
        let folder = TempFolder()
        var i = input("mid_section_defect") { $0.stations = ["測試"]; $0.from = "2026-03-01"; $0.to = "2026-03-31" }
        i.cidLimit = 1
        let (r, _) = try w.run(i, folder: folder.path)
        #expect(r.state == "succeeded")
        #expect(r.warnings.count == 1)
        #expect(r.warnings.first?.contains("exceeds TRACE_EVENTS_CID_LIMIT 1") == true)
    }
}
