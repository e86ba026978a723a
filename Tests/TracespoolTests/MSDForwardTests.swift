import Foundation
import Testing
import TracespoolMSD
import TracespoolSpool

/// The forward worked example of `msd.md` §3.8, with the corrected (re-keyed) detail.
@Suite struct MSDForwardTests {
    typealias J = MSDJSONTest

    @Test func stationTotalsAndKPI() throws {
        let b = try MSDWorkedExamples.forward()
        try b.finish()
        let s = try b.summary()
        let stations = J.chart(s, "by_downstream_station")
        #expect(stations.map { $0["name"] as? String } == ["成型", "電鍍"])
        #expect(stations.map { J.num($0["input_qty"]) } == [1965, 560])
        #expect(stations.map { J.num($0["defect_qty"]) } == [10, 6])
        #expect(stations.map { J.num($0["lot_count"]) } == [2, 1])
        #expect(stations.map { J.num($0["defect_rate"]) } == [0.5089, 1.0714])
        #expect(stations.map { J.num($0["cumulative_pct"]) } == [62.5, 100.0])
        let k = J.kpi(s)
        #expect(J.num(k["detection_lot_count"]) == 3)
        #expect(J.num(k["detection_defect_qty"]) == 35)
        #expect(J.num(k["tracked_lot_count"]) == 2)
        #expect(J.num(k["downstream_stations_reached"]) == 2)
        #expect(J.num(k["downstream_total_reject"]) == 16)
        #expect(J.num(k["downstream_reject_rate"]) == 0.6337)
        #expect(J.num(s["amplification"]) == 0.452617)
        #expect(J.num(s["detail_total_count"]) == 2)
        #expect(s["available_loss_reasons"] as? [String] == ["NSOL", "NSOP"])
    }

    @Test func reasonMatrixAndRowPercent() throws {
        let b = try MSDWorkedExamples.forward()
        try b.finish()
        let m = try b.summary()["by_front_downstream_reason_matrix"] as? [String: Any] ?? [:]
        let rows = m["rows"] as? [[String: Any]] ?? []
        let cols = m["cols"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["name"] as? String } == ["NSOP", "NSOL"])
        #expect(rows.map { J.num($0["total"]) } == [16, 14])
        #expect(cols.map { $0["name"] as? String } == ["OPEN", "PLATING"])
        #expect(cols.map { J.num($0["total"]) } == [18, 12])
        #expect((m["cells"] as? [[NSNumber]])?.map { $0.map(\.doubleValue) } == [[10, 6], [8, 6]])
        #expect((m["row_pct"] as? [[NSNumber]])?.map { $0.map(\.doubleValue) } == [[62.5, 37.5], [57.14, 42.86]])
    }

    @Test func frontReasonsCrosstabAndCharts() throws {
        let b = try MSDWorkedExamples.forward()
        try b.finish()
        let s = try b.summary()
        let front = s["by_detection_loss_reason"] as? [[String: Any]] ?? []
        #expect(front.map { $0["loss_reason"] as? String } == ["NSOP", "NSOL"])
        #expect(front.map { J.num($0["reject_qty"]) } == [25, 10])
        #expect(front.map { J.num($0["input_qty"]) } == [2000, 1000])
        #expect(front.map { J.num($0["lot_count"]) } == [2, 1])
        #expect(front.map { J.num($0["reject_rate"]) } == [0.0125, 0.01])
        let x = s["loss_reason_workcenter_crosstab"] as? [String: Any] ?? [:]
        #expect(x["loss_reasons"] as? [String] == ["NSOP", "NSOL"])
        #expect(x["workcenter_groups"] as? [String] == ["成型", "電鍍"])
        let cells = x["cells"] as? [[String: Any]] ?? []
        // NSOP: S1 (C1 OPEN 8, C2 PLATING 6) and S2 (OPEN 2); NSOL: S1 only.
        #expect(cells.map { "\($0["loss_reason"]!)/\($0["workcenter_group"]!)/\(J.num($0["reject_qty"]))" }
                == ["NSOP/成型/10.0", "NSOP/電鍍/6.0", "NSOL/成型/8.0", "NSOL/電鍍/6.0"])
        #expect(cells.map { J.num($0["reject_rate"]) } == [0.005089, 0.010714, 0.004071, 0.010714])
        #expect(J.chart(s, "by_downstream_loss_reason").map { $0["name"] as? String } == ["OPEN", "PLATING"])
        let machines = J.chart(s, "by_downstream_machine")
        #expect(machines.map { $0["name"] as? String } == ["MD-01", "PL-01", "MD-02"])
        #expect(machines.map { J.num($0["input_qty"]) } == [1395, 560, 570])
        let det = J.chart(s, "by_detection_machine")
        #expect(det.map { $0["name"] as? String } == ["WB-01"])
        #expect(J.num(det.first?["input_qty"]) == 2500)
        #expect(J.num(det.first?["lot_count"]) == 3)
        #expect(J.num(det.first?["defect_rate"]) == 1.4)
        // Downstream trend counts the descendants' events too (re-keyed).
        let trend = s["downstream_trend"] as? [[String: Any]] ?? []
        #expect(trend.map { $0["date"] as? String } == ["2026-06-03", "2026-06-04"])
        #expect(trend.map { J.num($0["reject_qty"]) } == [10, 6])
        #expect(trend.map { J.num($0["reject_rate"]) } == [0.005089, 0.010714])
    }

    @Test func detailIsRekeyedThroughForwardLineage() throws {
        let b = try MSDWorkedExamples.forward()
        try b.finish()
        let page = try b.detail()
        let rows = page["detail"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["CONTAINERNAME"] as? String } == ["S1", "S2"])
        #expect(rows.map { J.num($0["DOWNSTREAM_STATIONS_REACHED"]) } == [2, 1])
        #expect(rows.map { J.num($0["DOWNSTREAM_TOTAL_REJECT"]) } == [14, 2])
        #expect(rows.map { J.num($0["DOWNSTREAM_REJECT_RATE"]) } == [1.4, 0.2])
        #expect(rows.map { $0["WORST_DOWNSTREAM_STATION"] as? String } == ["成型", "成型"])
        #expect(rows.map { $0["DETECTION_LOSS_REASON"] as? String } == ["NSOP", "NSOP"])
        #expect(rows.map { J.num($0["TRACKINQTY"]) } == [1000, 1000])
        #expect(rows.map { J.num($0["DEFECT_QTY"]) } == [30, 5])
        #expect(J.num((page["pagination"] as? [String: Any])?["total_count"]) == 2)
        let asc = try b.detail(MSDDetailRequest(sortBy: "defect_qty", order: "asc"))["detail"] as? [[String: Any]] ?? []
        #expect(asc.map { $0["CONTAINERNAME"] as? String } == ["S2", "S1"])
    }

    @Test func reasonMaskShrinksTheFlaggedCohort() throws {
        let b = try MSDWorkedExamples.forward()
        try b.finish()
        // Only NSOL: S1 stays flagged (10), S2 drops out; the population stays 3 lots / 2500.
        let s = try b.summary(MSDMasks(lossReasons: ["NSOL"]))
        let k = J.kpi(s)
        #expect(J.num(k["detection_lot_count"]) == 3)
        #expect(J.num(k["detection_defect_qty"]) == 10)
        #expect(J.num(k["tracked_lot_count"]) == 1)
        #expect(J.num(k["downstream_total_reject"]) == 14)
        let stations = J.chart(s, "by_downstream_station")
        #expect(stations.map { J.num($0["input_qty"]) } == [970, 560])
        let rows = try b.detail(MSDDetailRequest(masks: MSDMasks(lossReasons: ["NSOL"])))["detail"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["CONTAINERNAME"] as? String } == ["S1"])
        #expect(rows.first?["DETECTION_LOSS_REASON"] as? String == "NSOL")
        // Nothing flagged: amplification is null (detection rate 0), charts empty.
        let none = try b.summary(MSDMasks(lossReasons: ["NOPE"]))
        #expect(none["amplification"] is NSNull)
        #expect(J.chart(none, "by_downstream_station").isEmpty)
    }

    @Test func descendantOfSeveralSeedsBelongsToTheSmallest() throws {
        let b = try MSDSpoolBuilder(direction: .forward, stations: "焊接_WB")
        try b.lot("A1", t: 100, reasons: [("X", 1)], workcenter: "WC焊接_WB-A")
        try b.lot("A2", t: 100, reasons: [("Y", 1)], workcenter: "WC焊接_WB-A")
        try b.descendants("A1", ["M"])
        try b.descendants("A2", ["M"])
        try b.wip("M", group: "成型", machine: "MD-01", qty: 50)
        try b.reject("M", group: "成型", reason: "OPEN", qty: 5)
        try b.finish()
        let rows = try b.detail()["detail"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["CONTAINERNAME"] as? String } == ["A1", "A2"])
        #expect(rows.map { J.num($0["DOWNSTREAM_TOTAL_REJECT"]) } == [5, 0])
        // The station counts the event once.
        #expect(J.num(J.kpi(try b.summary())["downstream_total_reject"]) == 5)
        // With A1 masked out of the flagged cohort, M belongs to A2.
        let y = try b.detail(MSDDetailRequest(masks: MSDMasks(lossReasons: ["Y"])))["detail"] as? [[String: Any]] ?? []
        #expect(y.map { J.num($0["DOWNSTREAM_TOTAL_REJECT"]) } == [5])
        let csv = try b.reader()
        var data = Data()
        try MSDExport.csv(csv, masks: .none) { data.append($0) }
        let lines = String(decoding: data.dropFirst(3), as: UTF8.self).split(separator: "\r\n")
        #expect(lines.first == "LOT ID,偵測設備,前段不良原因,偵測投入,偵測不良,下游到達站數,下游不良總數,下游不良率(%)")
        #expect(lines.dropFirst().first == "A1,TT-1,X,100,1,1,5,5.0")
    }
}
