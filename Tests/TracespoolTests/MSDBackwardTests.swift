import Foundation
import Testing
import TracespoolMSD
import TracespoolSpool

/// The backward worked example of `msd.md` §3.8 with tracespool's rules (all-lots cohort, upstream
/// cut-off on machine counts, name tie-breaks).
@Suite struct MSDBackwardTests {
    typealias J = MSDJSONTest

    @Test func kpiMatchesTheWorkedExample() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let k = J.kpi(try b.summary())
        #expect(J.num(k["lot_count"]) == 3)
        #expect(J.num(k["total_input"]) == 2300)
        #expect(J.num(k["defective_lot_count"]) == 2)
        #expect(J.num(k["total_defect_qty"]) == 45)
        #expect(J.num(k["total_defect_rate"]) == 1.9565)
        #expect(k["top_loss_reason"] as? String == "A")
        // The reference counted 5 (TT-1 at the detection station itself); the cut-off leaves E1, E2, E3, E7.
        #expect(J.num(k["affected_machine_count"]) == 4)
    }

    @Test func byMachineUsesAllLots() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let rows = J.chart(try b.summary(), "by_machine")
        #expect(rows.map { $0["name"] as? String } == ["MD-07", "WB-01", "PL-02", "PL-03"])
        func row(_ n: String) -> [String: Any] { rows.first { $0["name"] as? String == n } ?? [:] }
        #expect(J.num(row("WB-01")["lot_count"]) == 3)
        #expect(J.num(row("WB-01")["defect_qty"]) == 45)
        #expect(J.num(row("WB-01")["input_qty"]) == 2300)
        #expect(J.num(row("WB-01")["defect_rate"]) == 1.9565)
        #expect(J.num(row("PL-02")["lot_count"]) == 2)
        #expect(J.num(row("PL-02")["defect_qty"]) == 40)
        #expect(J.num(row("PL-02")["input_qty"]) == 1800)
        #expect(J.num(row("PL-02")["defect_rate"]) == 2.2222)
        #expect(J.num(row("MD-07")["lot_count"]) == 2)
        #expect(J.num(row("MD-07")["defect_qty"]) == 45)
        #expect(J.num(row("MD-07")["input_qty"]) == 1500)
        #expect(J.num(row("MD-07")["defect_rate"]) == 3.0)
        #expect(J.num(row("PL-03")["lot_count"]) == 1)
        #expect(J.num(row("PL-03")["defect_qty"]) == 5)
        #expect(J.num(row("PL-03")["input_qty"]) == 500)
        #expect(J.num(row("PL-03")["defect_rate"]) == 1.0)
        #expect(rows.map { J.num($0["cumulative_pct"]) } == [33.33, 66.67, 96.3, 100.0])
        // TT-1 is at the detection station: never an upstream factor.
        #expect(!rows.contains { $0["name"] as? String == "TT-1" })
    }

    @Test func attributionCarriesGroupIdAndFamily() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let s = try b.summary()
        let attribution = s["attribution"] as? [[String: Any]] ?? []
        #expect(attribution.count == 4)
        let wb = attribution.first { $0["EQUIPMENT_NAME"] as? String == "WB-01" } ?? [:]
        #expect(wb["WORKCENTER_GROUP"] as? String == "焊接_WB")
        #expect(wb["EQUIPMENT_ID"] as? String == "E1")
        #expect(wb["RESOURCEFAMILYNAME"] as? String == "K&S ICONN")
        #expect(J.num(wb["DETECTION_LOT_COUNT"]) == 3)
        let md = attribution.first { $0["EQUIPMENT_NAME"] as? String == "MD-07" } ?? [:]
        #expect(md["RESOURCEFAMILYNAME"] as? String == "(未知)")
        let materials = s["materials_attribution"] as? [[String: Any]] ?? []
        // LF01 reaches L1 and L2 (45) through P1, AU7 only L1 (40), LF02 only the clean L3.
        #expect(materials.map { $0["MATERIAL_KEY"] as? String } == ["LF-CU (LF01)", "AUW (AU7)", "LF-CU (LF02)"])
        #expect(materials.map { J.num($0["DEFECT_QTY"]) } == [45, 40, 0])
        #expect(materials.first?["MATERIAL_PART_DESC"] as? String == "導線架")
        let byMaterial = J.chart(s, "by_material")
        #expect(byMaterial.map { $0["name"] as? String } == ["LF-CU", "AUW"])
        #expect(J.num(byMaterial.first?["lot_count"]) == 3)
    }

    @Test func lossReasonsTrendAndLotDimensions() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let s = try b.summary()
        let reasons = J.chart(s, "by_loss_reason")
        #expect(reasons.map { $0["name"] as? String } == ["A", "B"])
        #expect(reasons.map { J.num($0["defect_qty"]) } == [35, 10])
        #expect(reasons.map { J.num($0["lot_count"]) } == [2, 1])
        #expect(reasons.map { J.num($0["defect_rate"]) } == [1.5217, 0.4348])
        #expect(reasons.map { J.num($0["cumulative_pct"]) } == [77.78, 100.0])
        let trend = s["daily_trend"] as? [[String: Any]] ?? []
        #expect(trend.map { $0["date"] as? String } == ["2026-06-01", "2026-06-02"])
        #expect(trend.map { J.num($0["input_qty"]) } == [1500, 800])
        #expect(trend.map { J.num($0["defect_qty"]) } == [45, 0])
        #expect(trend.map { J.num($0["defect_rate"]) } == [3.0, 0.0])
        let roots = J.chart(s, "by_wafer_root")
        #expect(roots.map { $0["name"] as? String } == ["P1", "P2"])
        #expect(roots.map { J.num($0["lot_count"]) } == [2, 1])
        #expect(J.chart(s, "by_detection_machine").map { $0["name"] as? String } == ["TT-1", "TT-2"])
        #expect(J.chart(s, "by_workflow").map { $0["name"] as? String } == ["WF-1", "WF-2"])
        #expect(s["available_loss_reasons"] as? [String] == ["A", "B"])
        #expect(J.num(s["detail_total_count"]) == 4)
        #expect(J.num(s["total_ancestor_count"]) == 2)
        #expect(s["genealogy_status"] as? String == "ready")
        let quality = s["domain_quality_meta"] as? [String: Any] ?? [:]
        #expect((quality["upstream_history"] as? [String: Any])?["status"] as? String == "complete")
    }

    @Test func detailRowsAndLists() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let page = try b.detail()
        let rows = page["detail"] as? [[String: Any]] ?? []
        #expect(rows.map { "\($0["CONTAINERNAME"]!)/\($0["LOSS_REASON"]!)" } == ["L1/A", "L1/B", "L2/A", "L3/"])
        #expect(rows.map { J.num($0["DEFECT_QTY"]) } == [30, 10, 5, 0])
        #expect(rows.map { J.num($0["DEFECT_RATE"]) } == [3.0, 1.0, 1.0, 0.0])
        #expect(rows.map { J.num($0["ANCESTOR_COUNT"]) } == [1, 1, 1, 1])
        #expect(rows.map { J.num($0["UPSTREAM_MACHINE_COUNT"]) } == [3, 3, 3, 2])
        #expect(rows.map { $0["WAFER_ROOT"] as? String } == ["P1", "P1", "P1", "P2"])
        #expect(rows.first?["PJ_TYPE"] as? String == "PJA")
        let machines = (rows.first?["UPSTREAM_MACHINES"] as? [[String: String]]) ?? []
        #expect(machines == [["station": "焊接_WB", "machine": "WB-01"], ["station": "成型", "machine": "MD-07"],
                             ["station": "電鍍", "machine": "PL-02"]])
        let materials = (rows.first?["UPSTREAM_MATERIALS"] as? [[String: String]]) ?? []
        #expect(materials == [["part": "AUW", "lot": "AU7"], ["part": "LF-CU", "lot": "LF01"]])
        let pagination = page["pagination"] as? [String: Any] ?? [:]
        #expect(J.num(pagination["total_count"]) == 4)
        #expect(J.num(pagination["total_pages"]) == 1)

        // Sorted by the upstream machine count (computed for every lot), ascending: L3 first.
        let byCount = try b.detail(MSDDetailRequest(sortBy: "upstream_machine_count", order: "asc"))
        let countRows = byCount["detail"] as? [[String: Any]] ?? []
        #expect(countRows.map { "\($0["CONTAINERNAME"]!)/\($0["LOSS_REASON"]!)" } == ["L3/", "L1/A", "L1/B", "L2/A"])
        #expect(countRows.map { J.num($0["UPSTREAM_MACHINE_COUNT"]) } == [2, 3, 3, 3])

        // Paging: 2 per page, page 2 holds rows 3-4; past the end is empty, not an error.
        let p2 = try b.detail(MSDDetailRequest(page: 2, pageSize: 2))
        #expect((p2["detail"] as? [[String: Any]] ?? []).map { $0["CONTAINERNAME"] as? String } == ["L2", "L3"])
        #expect(J.num((p2["pagination"] as? [String: Any])?["total_pages"]) == 2)
        let p9 = try b.detail(MSDDetailRequest(page: 9, pageSize: 2))
        #expect((p9["detail"] as? [[String: Any]] ?? []).isEmpty)
    }

    @Test func reasonMaskShrinksOnlyTheNumerator() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let s = try b.summary(MSDMasks(lossReasons: ["B"]))
        let k = J.kpi(s)
        #expect(J.num(k["lot_count"]) == 3)
        #expect(J.num(k["total_input"]) == 2300)
        #expect(J.num(k["total_defect_qty"]) == 10)
        #expect(J.num(k["defective_lot_count"]) == 1)
        #expect(k["top_loss_reason"] as? String == "B")
        let wb = J.chart(s, "by_machine").first { $0["name"] as? String == "WB-01" } ?? [:]
        #expect(J.num(wb["lot_count"]) == 3)
        #expect(J.num(wb["input_qty"]) == 2300)
        #expect(J.num(wb["defect_qty"]) == 10)
        #expect(s["available_loss_reasons"] as? [String] == ["A", "B"])
        // L2's only reason is masked out: it leaves the detail (reference det view); L3 (clean) stays.
        let rows = try b.detail(MSDDetailRequest(masks: MSDMasks(lossReasons: ["B"])))["detail"] as? [[String: Any]] ?? []
        #expect(rows.map { "\($0["CONTAINERNAME"]!)/\($0["LOSS_REASON"]!)" } == ["L1/B", "L3/"])
    }

    @Test func populationMasksTrimAndCombine() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let onlyPJA = J.kpi(try b.summary(MSDMasks(pjTypes: [" PJA"])))
        #expect(J.num(onlyPJA["lot_count"]) == 2)
        #expect(J.num(onlyPJA["total_input"]) == 1800)
        #expect(J.num(onlyPJA["total_defect_qty"]) == 40)
        let both = try b.summary(MSDMasks(pjTypes: ["PJA"], packages: ["SOD-123"]))
        #expect(J.num(J.kpi(both)["lot_count"]) == 1)
        #expect(J.chart(both, "by_machine").map { $0["name"] as? String } == ["PL-02", "WB-01"])
        // Values that match nothing: empty results, not errors.
        let none = try b.summary(MSDMasks(pjTypes: ["NOPE"]))
        #expect(J.num(J.kpi(none)["lot_count"]) == 0)
        #expect(J.chart(none, "by_machine").isEmpty)
        #expect((none["daily_trend"] as? [Any])?.isEmpty == true)
        #expect(J.num(none["detail_total_count"]) == 0)
        let noReason = try b.summary(MSDMasks(lossReasons: ["NOPE"]))
        #expect(J.num(J.kpi(noReason)["lot_count"]) == 3)
        #expect(J.num(J.kpi(noReason)["total_defect_qty"]) == 0)
        #expect(J.chart(noReason, "by_loss_reason").isEmpty)
        let emptyPage = try b.detail(MSDDetailRequest(masks: MSDMasks(packages: ["NOPE"])))
        #expect((emptyPage["detail"] as? [Any])?.isEmpty == true)
        #expect(J.num((emptyPage["pagination"] as? [String: Any])?["total_pages"]) == 1)
    }

    @Test func unnamedRejectIsALabelOfItsOwn() throws {
        let b = try MSDSpoolBuilder(stations: "測試")
        try b.lot("L1", t: 100, reasons: [("(未填寫)", 7), ("A", 3)])
        try b.lot("L2", t: 100, reasons: [(nil, 4)])  // a NULL reason with qty: the same label
        try b.ancestors("L1", [])
        try b.ancestors("L2", [])
        try b.finish()
        let all = try b.summary()
        #expect(all["available_loss_reasons"] as? [String] == ["(未填寫)", "A"])
        #expect(J.chart(all, "by_loss_reason").map { $0["name"] as? String } == ["(未填寫)", "A"])
        #expect(J.num(J.kpi(all)["total_defect_qty"]) == 14)
        #expect(J.num(J.kpi(try b.summary(MSDMasks(lossReasons: ["A"])))["total_defect_qty"]) == 3)
        #expect(J.num(J.kpi(try b.summary(MSDMasks(lossReasons: ["(未填寫)"])))["total_defect_qty"]) == 11)
    }

    @Test func csvExportHasBOMHeadersAndMasks() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        var data = Data()
        let n = try MSDExport.csv(try b.reader(), masks: MSDMasks(pjTypes: ["PJA"])) { data.append($0) }
        #expect(n == 3)
        #expect(data.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        let lines = text.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "LOT ID,TYPE,PACKAGE,WORKFLOW,偵測設備,投入數,報廢原因,不良數,不良率(%),上游LOT數,上游台數")
        #expect(lines.dropFirst().first == "L1,PJA,SOT-23,WF-1,TT-1,1000,A,30,3.0,1,3")
        #expect(lines.last == "L3,PJA,SOD-123,WF-1,TT-2,800,,0,0.0,1,2")
    }

    @Test func tableViewShowsKPIAndCharts() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let text = try MSDSummaryStore.summaryText(try b.reader(), masks: .none)
        let table = try MSDSummaryTable.render(summaryText: text)
        #expect(table.contains("lot_count"))
        #expect(table.contains("by_machine (top 4 of 4)"))
        #expect(table.contains("WB-01"))
        #expect(table.contains("1.9565"))
    }

    @Test func storedSummaryIsTheUnmaskedOne() throws {
        let b = try MSDWorkedExamples.backward()
        let stored = try b.finish()
        #expect(try b.spool.meta(MSDSummaryStore.metaKey) == stored)
        #expect(try MSDSummaryStore.summaryText(try b.reader(), masks: .none) == stored)
        #expect(try MSDSummaryStore.compute(try b.reader(), masks: .none).text == stored)
    }
}
