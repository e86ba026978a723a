import Foundation
import TracespoolSpool

/// The backward SUMMARY object (`msd.md` §6.2) over a masked view: KPI (§3.2), the six Pareto
/// charts (§3.3–3.4), raw `attribution` and `materials_attribution`, `daily_trend` (§3.5),
/// `available_loss_reasons`, `detail_total_count`, genealogy status and domain quality.
///
/// Cohorts (DESIGN.md): a factor's lots are all population lots that touched it (clean ones
/// included); its defect qty sums their reason-filtered d(L); each lot counts once per factor.
/// Every rate's denominator is population input, so the reason mask only ever shrinks numerators.
enum MSDBackwardSummary {
    static func compute(_ v: MSDView) throws -> JSON {
        let db = v.db
        var timings: [(String, Double)] = []
        var mark = MSDClock.now().cpu
        func lap(_ name: String) {
            let n = MSDClock.now().cpu
            timings.append((name, n - mark))
            mark = n
        }
        defer { MSDClock.report("msd backward summary (cpu s)", timings) }
        var lotCount = 0, defective = 0
        var totalInput = 0.0, totalDefect = 0.0
        try db.each(MSDSQL.kpiBackward) { s in
            lotCount = s.count(0); totalInput = s.num(1); defective = s.count(2); totalDefect = s.num(3)
        }

        // Loss reasons (selected, positive).
        var reasons: [MSDFactor] = []
        try db.each(MSDSQL.reasonTotals) { s in
            reasons.append(MSDFactor(name: s.text(0) ?? "", lots: s.count(2), input: totalInput, defect: s.num(1)))
        }
        let topReason = reasons.first { $0.defect > 0 }?.name
        lap("kpi_reasons")

        // Upstream factors.
        let equipment = try factorTotals(v, .equipment)
        let sharedNames = try factorTotals(v, .machineName)
        let shared = Set(sharedNames.map(\.factor.name))
        var machines = sharedNames.map(\.factor)
        machines += equipment.filter { !shared.contains($0.factor.name) }.map { e in
            var f = e.factor
            f.id = ""
            return f
        }
        lap("equipment")
        let parts = try factorTotals(v, .part).map(\.factor)
        let materials = try factorTotals(v, .material)
        lap("materials")
        var affected = 0
        if let r = v.ranges[.equipment] {
            affected = try db.scalarIntArgs(MSDSQL.affectedMachines, [.int(r.lowerBound), .int(r.upperBound)])
        }

        lap("affected")
        // Lot-attribute dimensions (each lot in exactly one bar).
        let dims = try lotDimensions(v)
        let roots = dims.roots, workflows = dims.workflows
        let detMachines = dims.machines.filter { $0.name != "(未知)" }

        var trend: [JSON] = []
        if v.m.mode != "container" {
            try db.each(MSDSQL.dailyTrend) { s in
                let input = s.num(1), defect = s.num(2)
                trend.append(.object([
                    ("date", .optional(s.text(0))), ("input_qty", .number(input)), ("defect_qty", .number(defect)),
                    ("defect_rate", .double(MSDRound.pct4(defect, input))),
                ]))
            }
        }

        // The attribution lists are written item by item from the ranked rows (see JSON.lazyArray).
        let rankedEquipment = ranked(equipment)
        let attribution = JSON.lazyArray(rankedEquipment.count) { i in
            let e = rankedEquipment[i], f = e.factor
            return .object([
                ("WORKCENTER_GROUP", .string(e.k1)), ("EQUIPMENT_NAME", .string(e.k2)),
                ("EQUIPMENT_ID", .string(e.k3.isEmpty ? "(未知)" : e.k3)), ("RESOURCEFAMILYNAME", .string(e.info ?? "(未知)")),
                ("DETECTION_LOT_COUNT", .int(f.lots)), ("INPUT_QTY", .number(f.input)),
                ("DEFECT_QTY", .number(f.defect)), ("DEFECT_RATE", .double(f.rate)),
            ])
        }
        let rankedMaterials = ranked(materials)
        let materialsAttribution = JSON.lazyArray(rankedMaterials.count) { i in
            let e = rankedMaterials[i], f = e.factor
            return .object([
                ("MATERIAL_KEY", .string(e.k2.isEmpty ? e.k1 : "\(e.k1) (\(e.k2))")), ("MATERIAL_PART_NAME", .string(e.k1)),
                ("MATERIAL_LOT_NAME", .string(e.k2)), ("MATERIAL_PART_DESC", .optional(e.info)),
                ("DETECTION_LOT_COUNT", .int(f.lots)), ("INPUT_QTY", .number(f.input)),
                ("DEFECT_QTY", .number(f.defect)), ("DEFECT_RATE", .double(f.rate)),
            ])
        }

        lap("lot_dimensions")
        let detailCount = try db.scalarInt(MSDSQL.backwardDetailCount) ?? 0
        lap("detail_count")
        let ancestors = Int(try v.m.spool.meta("msd.total_ancestor_count") ?? "") ?? 0
        return .object([
            ("direction", .string("backward")),
            ("kpi", .object([
                ("total_input", .number(totalInput)), ("lot_count", .int(lotCount)),
                ("defective_lot_count", .int(defective)), ("total_defect_qty", .number(totalDefect)),
                ("total_defect_rate", .double(MSDRound.pct4(totalDefect, totalInput))),
                ("top_loss_reason", .optional(topReason)), ("affected_machine_count", .int(affected)),
            ])),
            ("charts", .object([
                ("by_machine", MSDPareto.items(MSDPareto.top(machines))),
                ("by_material", MSDPareto.items(MSDPareto.top(parts))),
                ("by_wafer_root", MSDPareto.items(MSDPareto.top(roots))),
                ("by_workflow", MSDPareto.items(MSDPareto.top(workflows))),
                ("by_detection_machine", MSDPareto.items(MSDPareto.top(detMachines))),
                ("by_loss_reason", lossReasonItems(MSDPareto.top(reasons))),
            ])),
            ("charts_rest", .object([
                ("by_machine", MSDPareto.rest(machines)),
                ("by_material", MSDPareto.rest(parts)),
                ("by_wafer_root", MSDPareto.rest(roots)),
                ("by_workflow", MSDPareto.rest(workflows)),
                ("by_detection_machine", MSDPareto.rest(detMachines)),
                ("by_loss_reason", MSDPareto.rest(reasons, input: false)),
            ])),
            ("daily_trend", .array(trend)),
            ("attribution", attribution),
            ("materials_attribution", materialsAttribution),
            ("available_loss_reasons", .array(try v.availableReasons().map(JSON.string))),
            ("genealogy_status", .string(try MSDQuality.genealogyStatus(v.m))),
            ("detail_total_count", .int(detailCount)),
            ("total_ancestor_count", .int(ancestors)),
        ] + MSDQuality.trailer(v))
    }

    /// by_loss_reason items: {name, defect_qty, lot_count, defect_rate, cumulative_pct}; the rate's
    /// denominator (carried in `input`) is the population's total input.
    static func lossReasonItems(_ rows: [MSDFactor]) -> JSON {
        let cum = MSDPareto.cumulative(rows)
        return .array(rows.enumerated().map { i, r in
            .object([
                ("name", .string(r.name)), ("defect_qty", .number(r.defect)), ("lot_count", .int(r.lots)),
                ("defect_rate", .double(r.rate)), ("cumulative_pct", .double(cum[i])),
            ])
        })
    }

    struct FactorTotal {
        var factor: MSDFactor
        var k1: String, k2: String, k3: String
        var info: String?
    }

    static func ranked(_ rows: [FactorTotal]) -> [FactorTotal] {
        rows.sorted {
            if $0.factor.defect != $1.factor.defect { return $0.factor.defect > $1.factor.defect }
            if $0.factor.name != $1.factor.name { return $0.factor.name < $1.factor.name }
            return $0.factor.id < $1.factor.id
        }
    }

    /// Totals of every factor of one kind touched by a population lot.
    static func factorTotals(_ v: MSDView, _ kind: MSDSQL.Kind) throws -> [FactorTotal] {
        guard let r = v.ranges[kind] else { return [] }
        var names: [Int: (String, String, String, String?)] = [:]
        try v.db.each(MSDSQL.factorNames, [.int(r.lowerBound), .int(r.upperBound)]) { s in
            names[s.count(0)] = (s.text(2) ?? "", s.text(3) ?? "", s.text(4) ?? "", s.text(5))
        }
        var totals: [Int: (Int, Double, Double)] = [:]
        let range: [SQLArg] = [.int(r.lowerBound), .int(r.upperBound)]
        func add(_ sql: String, lotsAndInput: Bool, defect: Bool) throws {
            try v.db.each(sql, range) { s in
                var t = totals[s.count(0)] ?? (0, 0, 0)
                if lotsAndInput { t.0 += s.count(1); t.1 += s.num(2) }
                if defect { t.2 += s.num(lotsAndInput ? 3 : 1) }
                totals[s.count(0)] = t
            }
        }
        switch v.plan {
        case .stored:
            try add(MSDSQL.factorTotalsStored, lotsAndInput: true, defect: true)
        case .sparseDefects:
            // A loss-reason mask leaves every factor's lots and input as they are; only the pairs of
            // lots with selected reasons carry defects.
            try add(MSDSQL.factorTotalsStored, lotsAndInput: true, defect: false)
            try add(MSDSQL.factorDefectsSparseSig, lotsAndInput: false, defect: true)
            try add(MSDSQL.factorDefectsSparseOwn, lotsAndInput: false, defect: true)
        case .scan:
            try add(MSDSQL.factorTotalsSig, lotsAndInput: true, defect: true)
            try add(MSDSQL.factorTotalsOwn, lotsAndInput: true, defect: true)
        }
        totals = totals.filter { $0.value.0 > 0 }
        var out: [FactorTotal] = []
        for (fid, t) in totals {
            guard let n = names[fid] else { continue }
            let (name, id): (String, String)
            switch kind {
            case .equipment: (name, id) = (n.1, n.2 + "\u{1F}" + n.0)
            case .machineName, .part: (name, id) = (n.0, "")
            case .material: (name, id) = (n.1.isEmpty ? n.0 : "\(n.0) (\(n.1))", n.0 + "\u{1F}" + n.1)
            }
            out.append(FactorTotal(factor: MSDFactor(name: name, id: id, lots: t.0, input: t.1, defect: t.2),
                                   k1: n.0, k2: n.1, k3: n.2, info: n.3))
        }
        return out
    }

    /// by_wafer_root, by_workflow, by_detection_machine ('(未知)' for blanks), grouped on their ids.
    static func lotDimensions(_ v: MSDView) throws -> (roots: [MSDFactor], workflows: [MSDFactor], machines: [MSDFactor]) {
        func dim(_ d: MSDSQL.Dimension) throws -> [MSDFactor] {
            switch v.plan {
            case .scan:
                return try v.db.rows(MSDSQL.lotDimension(d.column)) { s in
                    MSDFactor(name: s.text(0) ?? "", lots: s.count(1), input: s.num(2), defect: s.num(3))
                }
            case .stored, .sparseDefects:
                var rows: [String: MSDFactor] = [:]
                try v.db.each(MSDSQL.dimTotalsStored, [.text(d.column)]) { s in
                    let name = s.text(0) ?? ""
                    rows[name] = MSDFactor(name: name, lots: s.count(1), input: s.num(2), defect: v.plan == .stored ? s.num(3) : 0)
                }
                if v.plan == .sparseDefects {
                    try v.db.each(MSDSQL.lotDimensionDefects(d.column)) { s in rows[s.text(0) ?? ""]?.defect += s.num(1) }
                }
                return Array(rows.values)
            }
        }
        return (try dim(.root), try dim(.workflow), try dim(.detectionMachine))
    }
}

extension SQLiteDatabase {
    func scalarIntArgs(_ sql: String, _ args: [SQLArg]) throws -> Int {
        var v = 0
        try each(sql, args) { v = $0.count(0) }
        return v
    }
}
