import Foundation
import Testing
import TracespoolMSD
import TracespoolSpool

/// Invariants on larger generated spools, and an independent brute-force computation (plain Swift
/// over the raw spool rows) of the backward KPI and `by_machine`.
@Suite struct MSDInvariantTests {
    typealias J = MSDJSONTest

    struct RNG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
        mutating func pick<T>(_ a: [T]) -> T { a[int(0...(a.count - 1))] }
        mutating func chance(_ p: Double) -> Bool { Double(next() % 10_000) / 10_000 < p }
    }

    static let groups: [String?] = ["切割", "焊接_DB", "焊接_WB", "焊接_DW", "成型", "去膠", "水吹砂", "電鍍", "移印", "切彎腳", "元件切割", "測試", nil]
    static let reasons = ["A", "B", "C", "D", "刮傷", "崩角", "(未填寫)"]

    /// ~400 detection lots at 電鍍 (order 7), shared parents, merges, events at every group
    /// (upstream, the detection group, downstream, unclassified), repeated machines across groups.
    static func backwardSpool(seed: UInt64) throws -> MSDSpoolBuilder {
        var r = RNG(state: seed)
        let b = try MSDSpoolBuilder(stations: "電鍍")
        let parents = (0..<120).map { String(format: "P%03d", $0) }
        let grand = (0..<30).map { String(format: "G%02d", $0) }
        for p in parents {
            for _ in 0..<r.int(1...4) {
                let g = r.pick(groups)
                try b.wip(p, group: g, machine: "M\(r.int(0...25))", id: r.chance(0.1) ? "" : nil)
            }
            if r.chance(0.5) { try b.material(p, part: "PART\(r.int(0...5))", lot: r.chance(0.2) ? nil : "ML\(r.int(0...20))") }
        }
        for g in grand { try b.wip(g, group: r.pick(groups), machine: "M\(r.int(0...25))") }
        for i in 0..<400 {
            let cid = String(format: "L%04d", i)
            var rs: [(String?, Int)] = []
            if r.chance(0.45) {
                for reason in Set((0..<r.int(1...3)).map { _ in r.pick(reasons) }) { rs.append((reason, r.int(1...40))) }
            }
            try b.lot(cid, t: r.chance(0.02) ? 0 : r.int(100...3000), ts: "2026-06-\(String(format: "%02d", r.int(1...9))) 10:00:00",
                      reasons: rs, pjType: r.pick(["PJA", "PJB ", "PJC"]), package: r.pick(["SOT-23", "SOD-123"]),
                      workflow: r.pick(["WF-1", "WF-2", ""]), machine: r.pick(["TT-1", "TT-2", ""]))
            let p = r.pick(parents)
            var anc = [p, r.pick(grand)]
            if r.chance(0.15) { anc.append(r.pick(parents)) }
            if r.chance(0.05) { anc = [] }  // lineage failed for this seed: its own events still count
            if !anc.isEmpty { try b.ancestors(cid, Array(Set(anc)).sorted(), root: r.chance(0.9) ? anc.last : nil) }
            for _ in 0..<r.int(0...4) { try b.wip(cid, group: r.pick(groups), machine: "M\(r.int(0...25))") }
        }
        return b
    }

    /// Brute force: KPI and every machine's (lots, input, defect) from the raw tables.
    static func bruteForce(_ b: MSDSpoolBuilder, cutoff: Int, masks: MSDMasks = .none) throws
        -> (lots: Int, input: Double, defect: Double, machines: [String: (Int, Double, Double)]) {
        var t: [String: Double] = [:], d: [String: Double] = [:]
        let db = b.db
        let s1 = try db.prepare("SELECT CONTAINERID, TRACKINQTY, REJECTQTY, LOSSREASONNAME, PJ_TYPE, PRODUCTLINENAME FROM msd_detection")
        while try s1.step() {
            let c = s1.text(0)!
            let trim = { (x: String?) in (x ?? "").trimmingCharacters(in: .whitespaces) }
            if !masks.pjTypes.isEmpty && !masks.pjTypes.contains(trim(s1.text(4))) { continue }
            if !masks.packages.isEmpty && !masks.packages.contains(trim(s1.text(5))) { continue }
            t[c] = max(t[c] ?? 0, s1.double(1) ?? 0)
            let reason = trim(s1.text(3)).isEmpty ? "(未填寫)" : trim(s1.text(3))
            let q = max(0, s1.double(2) ?? 0)
            d[c, default: 0] += masks.lossReasons.isEmpty || masks.lossReasons.contains(reason) ? q : 0
        }
        var anc: [String: Set<String>] = [:]
        let s2 = try db.prepare("SELECT SEED_ID, ANCESTOR_ID FROM lineage_ancestors")
        while try s2.step() { anc[s2.text(0)!, default: []].insert(s2.text(1)!) }
        let order = Dictionary(uniqueKeysWithValues: MSDStation.all.map { ($0.key, $0.order) })
        var names: [String: Set<String>] = [:]
        let s3 = try db.prepare("SELECT CONTAINERID, WORKCENTER_GROUP, EQUIPMENTNAME FROM ev_upstream_history")
        while try s3.step() {
            guard let g = s3.text(1), let o = order[g], o < cutoff,
                  let n = s3.text(2)?.trimmingCharacters(in: .whitespaces), !n.isEmpty else { continue }
            names[s3.text(0)!, default: []].insert(n)
        }
        var machines: [String: (Int, Double, Double)] = [:]
        for (lot, input) in t {
            let family = (anc[lot] ?? []).union([lot])
            for n in family.reduce(into: Set<String>(), { $0.formUnion(names[$1] ?? []) }) {
                let v = machines[n] ?? (0, 0, 0)
                machines[n] = (v.0 + 1, v.1 + input, v.2 + d[lot]!)
            }
        }
        return (t.count, t.values.reduce(0, +), d.values.reduce(0, +), machines)
    }

    static let bruteForceMasks = [MSDMasks.none, MSDMasks(lossReasons: ["A"]), MSDMasks(lossReasons: ["A", "B", "C", "D", "刮傷"]),
                                  MSDMasks(pjTypes: ["PJB"]), MSDMasks(lossReasons: ["(未填寫)", "崩角"], packages: ["SOT-23"])]

    /// Unmasked (stored totals), loss-reason masks (sparse and scanning plans), population masks.
    @Test(arguments: [(UInt64(7), 0), (7, 1), (7, 2), (7, 3), (7, 4), (4242, 0), (4242, 1)])
    func backwardAgreesWithBruteForce(seed: UInt64, maskIndex: Int) throws {
        let masks = MSDInvariantTests.bruteForceMasks[maskIndex]
        let b = try MSDInvariantTests.backwardSpool(seed: seed)
        try b.finish()
        let s = try b.summary(masks)
        let k = J.kpi(s)
        let bf = try MSDInvariantTests.bruteForce(b, cutoff: 7, masks: masks)
        #expect(J.num(k["lot_count"]) == Double(bf.lots))
        #expect(J.num(k["total_input"]) == bf.input)
        #expect(J.num(k["total_defect_qty"]) == bf.defect)
        let expected = bf.machines.sorted { $0.value.2 != $1.value.2 ? $0.value.2 > $1.value.2 : $0.key < $1.key }.prefix(10)
        let chart = J.chart(s, "by_machine")
        #expect(chart.count == 10)
        #expect(chart.map { $0["name"] as? String } == expected.map(\.key))
        #expect(chart.map { J.num($0["lot_count"]) } == expected.map { Double($0.value.0) })
        #expect(chart.map { J.num($0["input_qty"]) } == expected.map { $0.value.1 })
        #expect(chart.map { J.num($0["defect_qty"]) } == expected.map { $0.value.2 })
    }

    func checkCharts(_ s: [String: Any], _ names: [String]) {
        let k = J.kpi(s)
        let total = J.num(k["total_defect_qty"]), lots = J.num(k["lot_count"]), input = J.num(k["total_input"])
        for name in names {
            let rows = J.chart(s, name)
            #expect(rows.count <= 10)
            for r in rows {
                #expect(J.num(r["defect_qty"]) <= total, "\(name) \(r)")
                if r["lot_count"] != nil { #expect(J.num(r["lot_count"]) <= lots) }
                if r["input_qty"] != nil { #expect(J.num(r["input_qty"]) <= input) }
            }
            let cum = rows.map { J.num($0["cumulative_pct"]) }
            #expect(cum == cum.sorted(), "\(name)")
            if rows.contains(where: { J.num($0["defect_qty"]) > 0 }) { #expect(cum.last == 100.0, "\(name)") }
        }
        for a in s["attribution"] as? [[String: Any]] ?? [] { #expect(J.num(a["DEFECT_QTY"]) <= total) }
        for a in s["materials_attribution"] as? [[String: Any]] ?? [] { #expect(J.num(a["DEFECT_QTY"]) <= total) }
    }

    @Test func masksOnlyShrinkWhatTheyShould() throws {
        let b = try MSDInvariantTests.backwardSpool(seed: 99)
        try b.finish()
        let charts = ["by_machine", "by_material", "by_wafer_root", "by_workflow", "by_detection_machine", "by_loss_reason"]
        let base = try b.summary()
        checkCharts(base, charts)
        let baseMachines = Dictionary(uniqueKeysWithValues: (base["attribution"] as? [[String: Any]] ?? []).map {
            ("\($0["WORKCENTER_GROUP"]!)|\($0["EQUIPMENT_NAME"]!)|\($0["EQUIPMENT_ID"]!)", $0)
        })
        for masks in [MSDMasks(lossReasons: ["A"]), MSDMasks(lossReasons: ["B", "(未填寫)"]), MSDMasks(pjTypes: ["PJB"]),
                      MSDMasks(packages: ["SOD-123"]), MSDMasks(lossReasons: ["C"], pjTypes: ["PJA", "PJC"], packages: ["SOT-23"])] {
            let s = try b.summary(masks)
            checkCharts(s, charts)
            let k = J.kpi(s), k0 = J.kpi(base)
            #expect(J.num(k["total_defect_qty"]) <= J.num(k0["total_defect_qty"]))
            if masks.hasPopulationMask {
                #expect(J.num(k["lot_count"]) <= J.num(k0["lot_count"]))
                #expect(J.num(k["total_input"]) <= J.num(k0["total_input"]))
            } else {
                // The reason mask never touches the population.
                #expect(J.num(k["lot_count"]) == J.num(k0["lot_count"]))
                #expect(J.num(k["total_input"]) == J.num(k0["total_input"]))
            }
            for a in s["attribution"] as? [[String: Any]] ?? [] {
                let key = "\(a["WORKCENTER_GROUP"]!)|\(a["EQUIPMENT_NAME"]!)|\(a["EQUIPMENT_ID"]!)"
                guard let a0 = baseMachines[key] else { Issue.record("factor \(key) appeared under a mask"); continue }
                #expect(J.num(a["DEFECT_QTY"]) <= J.num(a0["DEFECT_QTY"]))
                if masks.hasPopulationMask {
                    #expect(J.num(a["DETECTION_LOT_COUNT"]) <= J.num(a0["DETECTION_LOT_COUNT"]))
                } else {
                    #expect(J.num(a["DETECTION_LOT_COUNT"]) == J.num(a0["DETECTION_LOT_COUNT"]))
                    #expect(J.num(a["INPUT_QTY"]) == J.num(a0["INPUT_QTY"]))
                }
            }
            // Pages cover the detail exactly once, in a stable order.
            let total = Int(J.num(s["detail_total_count"]))
            var seen: [String] = []
            for page in 1...max(1, (total + 49) / 50) {
                let p = try b.detail(MSDDetailRequest(page: page, pageSize: 50, sortBy: "input_qty", order: "asc", masks: masks))
                seen += (p["detail"] as? [[String: Any]] ?? []).map { "\($0["CONTAINERID"]!)|\($0["LOSS_REASON"]!)" }
            }
            #expect(seen.count == total)
            #expect(Set(seen).count == total)
        }
    }

    @Test func forwardEventsCountOnceAndForOneLot() throws {
        var r = RNG(state: 1234)
        let b = try MSDSpoolBuilder(direction: .forward, stations: "成型")
        let lots = (0..<250).map { String(format: "S%04d", $0) }
        var allDescendants: [String] = []
        for (i, cid) in lots.enumerated() {
            var rs: [(String?, Int)] = []
            if r.chance(0.5) { for reason in Set((0..<r.int(1...2)).map { _ in r.pick(MSDInvariantTests.reasons) }) { rs.append((reason, r.int(1...30))) } }
            try b.lot(cid, t: r.int(500...2000), reasons: rs, pjType: r.pick(["PJA", "PJB"]), workcenter: "WC成型-1")
            var kids = (0..<r.int(0...3)).map { "D\(i)-\($0)" }
            if r.chance(0.1), !allDescendants.isEmpty { kids.append(r.pick(allDescendants)) }  // shared with another seed
            allDescendants += kids
            try b.descendants(cid, Array(Set(kids)).sorted())
            for c in [cid] + kids {
                for _ in 0..<r.int(0...3) {
                    let g = r.pick(MSDInvariantTests.groups)
                    try b.wip(c, group: g, machine: "M\(r.int(0...9))", qty: r.int(0...900), ts: "2026-06-0\(r.int(1...9)) 08:00:00")
                    if r.chance(0.4) { try b.reject(c, group: g, reason: r.pick(["OPEN", "SHORT", "(未填寫)"]), qty: r.int(1...20)) }
                }
            }
        }
        try b.finish()
        for masks in [MSDMasks.none, MSDMasks(lossReasons: ["A", "B"]), MSDMasks(pjTypes: ["PJB"])] {
            let s = try b.summary(masks)
            let k = J.kpi(s)
            let stations = J.chart(s, "by_downstream_station")
            let stationTotal = stations.reduce(0.0) { $0 + J.num($1["defect_qty"]) }
            #expect(stationTotal == J.num(k["downstream_total_reject"]))
            #expect(stations.allSatisfy { J.num($0["lot_count"]) <= J.num(k["tracked_lot_count"]) })
            let reasonTotal = J.chart(s, "by_downstream_loss_reason").reduce(0.0) { $0 + J.num($1["defect_qty"]) }
            #expect(reasonTotal == J.num(k["downstream_total_reject"]))
            // Every tracked event belongs to exactly one flagged lot: the detail sums to the station total.
            let p = try b.detail(MSDDetailRequest(pageSize: 500, masks: masks))
            let rows = p["detail"] as? [[String: Any]] ?? []
            #expect(Double(rows.count) == J.num(k["tracked_lot_count"]))
            #expect(rows.reduce(0.0) { $0 + J.num($1["DOWNSTREAM_TOTAL_REJECT"]) } == J.num(k["downstream_total_reject"]))
            let m = s["by_front_downstream_reason_matrix"] as? [String: Any] ?? [:]
            for row in (m["row_pct"] as? [[NSNumber]] ?? []) where row.contains(where: { $0.doubleValue > 0 }) {
                #expect(abs(row.reduce(0.0) { $0 + $1.doubleValue } - 100) < 0.05)
            }
        }
    }
}

/// The default detail view is served from stored, indexed rows; it must equal the general query.
@Suite struct MSDFastPathTests {
    @Test func defaultPagesEqualTheGeneralQuery() throws {
        let b = try MSDInvariantTests.backwardSpool(seed: 31)
        try b.finish()
        let everyType = MSDMasks(pjTypes: ["PJA", "PJB", "PJC"])  // the whole population, through the general path
        for page in [1, 3] {
            let fast = try b.detail(MSDDetailRequest(page: page, pageSize: 40))
            let general = try b.detail(MSDDetailRequest(page: page, pageSize: 40, masks: everyType))
            let key = { (p: [String: Any]) in (p["detail"] as? [[String: Any]] ?? []).map { r in
                "\(r["CONTAINERID"]!)|\(r["LOSS_REASON"]!)|\(r["DEFECT_RATE"]!)|\(r["UPSTREAM_MACHINE_COUNT"]!)|\(r["WAFER_ROOT"]!)" } }
            #expect(key(fast) == key(general))
            #expect(!key(fast).isEmpty)
            #expect((fast["pagination"] as? [String: Any])?["total_count"] as? Int == (general["pagination"] as? [String: Any])?["total_count"] as? Int)
        }
        let f = try MSDWorkedExamples.forward()
        try f.finish()
        let fast = try f.detail()
        let general = try f.detail(MSDDetailRequest(masks: MSDMasks(pjTypes: ["PJA"])))
        let key = { (p: [String: Any]) in (p["detail"] as? [[String: Any]] ?? []).map { r in
            "\(r["CONTAINERID"]!)|\(r["DOWNSTREAM_TOTAL_REJECT"]!)|\(r["DOWNSTREAM_STATIONS_REACHED"]!)|\(r["WORST_DOWNSTREAM_STATION"]!)|\(r["DETECTION_LOSS_REASON"]!)" } }
        #expect(key(fast) == key(general))
    }
}
