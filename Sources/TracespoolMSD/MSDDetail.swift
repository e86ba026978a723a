import Foundation
import TracespoolSpool

/// A detail-page request (`msd.md` §1.1, §6.3).
public struct MSDDetailRequest: Sendable, Equatable {
    public var page: Int
    public var pageSize: Int
    public var sortBy: String
    public var order: String
    public var masks: MSDMasks

    public init(page: Int = 1, pageSize: Int = 200, sortBy: String = "defect_rate", order: String = "desc", masks: MSDMasks = .none) {
        self.page = page
        self.pageSize = pageSize
        self.sortBy = sortBy
        self.order = order
        self.masks = masks
    }

    public static let pageSizes = 1...500
    public static let sortKeys = ["defect_rate", "defect_qty", "input_qty", "ancestor_count", "upstream_machine_count"]
    public static let forwardSortKeys = ["defect_rate", "defect_qty", "input_qty"]
    public static let orders = ["asc", "desc"]

    /// Rejects values outside the allowed sets (the reference silently fell back; tracespool says so).
    public func validate(direction: MSDDirection) throws {
        guard page >= 1 else { throw MSDError(.invalidArgument, "page must be ≥ 1 (got \(page))") }
        guard MSDDetailRequest.pageSizes.contains(pageSize) else {
            throw MSDError(.invalidArgument, "page size must be in 1...500 (got \(pageSize))")
        }
        let keys = direction == .backward ? MSDDetailRequest.sortKeys : MSDDetailRequest.forwardSortKeys
        guard keys.contains(sortBy) else {
            throw MSDError(.invalidArgument, "sort key \"\(sortBy)\" is not one of \(keys.joined(separator: ", ")) (\(direction.rawValue))")
        }
        guard MSDDetailRequest.orders.contains(order) else {
            throw MSDError(.invalidArgument, "order \"\(order)\" is not asc or desc")
        }
    }
}

/// Detail rows (LOT 明細) of both directions: the backward rows of §3.6 and the forward rows of
/// §3.7 (re-keyed through forward lineage), with deterministic tie-breaks (lot name, lot id, reason).
public enum MSDDetail {
    /// ORDER BY columns of the sort keys (constants; the request only selects among them). Ties:
    /// the lot id, which follows (lot name, lot id), then the loss reason.
    static let backwardOrder = ["defect_rate": "rate", "defect_qty": "qty", "input_qty": "t",
                                "ancestor_count": "anc", "upstream_machine_count": "up_machines"]
    static let forwardOrder = ["defect_rate": "rate", "defect_qty": "reject", "input_qty": "t"]

    static func orderBy(_ direction: MSDDirection, _ sortBy: String, _ order: String) -> (inner: String, outer: String) {
        let dir = order == "asc" ? "ASC" : "DESC"
        let keys = direction == .backward
            ? [(backwardOrder[sortBy] ?? "rate") + " " + dir, "lot", "reason"]
            : [(forwardOrder[sortBy] ?? "rate") + " " + dir, "lot"]
        return ("ORDER BY " + keys.joined(separator: ", "), "ORDER BY " + keys.map { "x." + $0 }.joined(separator: ", "))
    }

    /// One page: `{detail, pagination, …}`.
    public static func page(_ m: MSDSpool, _ req: MSDDetailRequest) throws -> JSON {
        try req.validate(direction: m.direction)
        if try req.masks.isEmpty && req.sortBy == "defect_rate" && req.order == "desc" && MSDSummaryStore.isStored(m) {
            return try fastPage(m, req)
        }
        let v = try MSDView(m, masks: req.masks)
        let counts = req.sortBy == "upstream_machine_count"
        let total = try prepareRows(v, machineCounts: counts)
        let sql = select(v, order: orderBy(m.direction, req.sortBy, req.order), machineCounts: counts, limited: true)
        var rows: [JSON] = []
        let lists = m.direction == .backward ? try PageLists(v.db, v.ranges) : nil
        try v.db.each(sql, [.int(req.pageSize), .int((req.page - 1) * req.pageSize)]) { s in
            rows.append(m.direction == .backward ? try backwardRow(s, lists!) : forwardRow(s))
        }
        return envelope(m, req, rows: rows, total: total, filters: v.filtersJSON)
    }

    /// The default unmasked view (defect rate desc): an index range over msd_detail / msd_fwd_lot
    /// (stored by the end-of-run step), no sort.
    static func fastPage(_ m: MSDSpool, _ req: MSDDetailRequest) throws -> JSON {
        let db = m.database
        var rows: [JSON] = []
        let args: [SQLArg] = [.int(req.pageSize), .int((req.page - 1) * req.pageSize)]
        let total: Int
        if m.direction == .backward {
            let lists = try PageLists(db, try MSDHelpers.factorRanges(db))
            try db.each(MSDSQL.backwardDetailFast, args) { s in rows.append(try backwardRow(s, lists)) }
            total = try db.scalarInt("SELECT count(*) FROM msd_detail") ?? 0
        } else {
            try db.each(MSDSQL.forwardDetailFast, args) { s in rows.append(forwardRow(s)) }
            total = try db.scalarInt("SELECT count(*) FROM msd_fwd_lot") ?? 0
        }
        let filters = JSON.object([("loss_reasons", .array([])), ("pj_types", .array([])), ("packages", .array([]))])
        return envelope(m, req, rows: rows, total: total, filters: filters)
    }

    static func envelope(_ m: MSDSpool, _ req: MSDDetailRequest, rows: [JSON], total: Int, filters: JSON) -> JSON {
        let pages = max(1, (total + req.pageSize - 1) / req.pageSize)
        return .object([
            ("direction", .string(m.direction.rawValue)),
            ("detail", .array(rows)),
            ("pagination", .object([
                ("page", .int(req.page)), ("page_size", .int(req.pageSize)),
                ("total_count", .int(total)), ("total_pages", .int(pages)),
            ])),
            ("sort_by", .string(req.sortBy)), ("order", .string(req.order)),
            ("filters", filters),
            ("job_id", .optional(m.jobId)),
            ("quality", .string((try? MSDQuality.jobQuality(m).0.rawValue) ?? "unknown")),
        ])
    }

    /// Builds what the row query needs; returns the number of detail rows. `machineCounts`: compute
    /// UPSTREAM_MACHINE_COUNT of every lot up front (sorting by it, export), not per page.
    static func prepareRows(_ v: MSDView, machineCounts: Bool) throws -> Int {
        if v.m.direction == .backward {
            try v.db.dropTemp("m_up")
            if machineCounts {
                try v.db.execute(MSDSQL.machineCounts)
                if let r = v.ranges[.equipment] {
                    try v.db.run(MSDSQL.machineCountsFill, [.int(r.lowerBound), .int(r.upperBound)])
                    try v.db.run(MSDSQL.machineCountsFillUnlinked, [.int(r.lowerBound), .int(r.upperBound)])
                }
            }
            return try v.db.scalarInt(MSDSQL.backwardDetailCount) ?? 0
        }
        try MSDForwardSummary.track(v)
        try v.db.dropTemp("f_lot")
        try v.db.execute(MSDSQL.forwardLotFacts)
        return try v.db.scalarInt("SELECT count(*) FROM temp.f_lot") ?? 0
    }

    static func select(_ v: MSDView, order: (inner: String, outer: String), machineCounts: Bool, limited: Bool) -> String {
        v.m.direction == .backward
            ? MSDSQL.backwardDetail(order: order, machineCounts: machineCounts, limited: limited)
            : MSDSQL.forwardDetail(order: order, limited: limited)
    }

    /// UPSTREAM_MACHINES / UPSTREAM_MATERIALS of one lot, computed for the page's lots only.
    final class PageLists {
        let machines: SQLiteStatement?
        let materials: SQLiteStatement?
        let machineRange: ClosedRange<Int>?
        let materialRange: ClosedRange<Int>?

        init(_ db: SQLiteDatabase, _ ranges: [MSDSQL.Kind: ClosedRange<Int>]) throws {
            machineRange = ranges[.equipment]
            materialRange = ranges[.material]
            machines = machineRange == nil ? nil : try db.prepare(MSDSQL.detailMachines)
            materials = materialRange == nil ? nil : try db.prepare(MSDSQL.detailMaterials)
        }

        /// (station, machine) pairs and the number of distinct equipment ids, or (part, lot) pairs.
        func list(_ cid: String, machines wantMachines: Bool) throws -> (pairs: [(String, String)], ids: Int) {
            guard let s = wantMachines ? machines : materials, let r = wantMachines ? machineRange : materialRange else { return ([], 0) }
            s.reset()
            s.bindAll([.text(cid), .int(r.lowerBound), .int(r.upperBound)])
            var out: [(String, String)] = []
            var ids = Set<String>()
            while try s.step() {
                let pair = (s.text(0) ?? "", s.text(1) ?? "")
                if out.last.map({ $0 != pair }) ?? true { out.append(pair) }
                if wantMachines, let id = s.text(2), !id.isEmpty { ids.insert(id) }
            }
            return (out, ids.count)
        }
    }

    static func backwardRow(_ s: SQLiteStatement, _ lists: PageLists) throws -> JSON {
        let cid = s.text(1) ?? ""
        let (machines, machineIds) = try lists.list(cid, machines: true)
        let materials = try lists.list(cid, machines: false).pairs
        return .object([
            ("CONTAINERID", .string(cid)), ("CONTAINERNAME", .optional(s.text(2))), ("PJ_TYPE", .optional(s.text(3))),
            ("PRODUCTLINENAME", .optional(s.text(4))), ("WORKFLOW", .optional(s.text(5))), ("FINISHEDRUNCARD", .optional(s.text(6))),
            ("DETECTION_EQUIPMENTNAME", .optional(s.text(7))), ("INPUT_QTY", .number(s.num(8))),
            ("LOSS_REASON", .string(s.text(9) ?? "")), ("DEFECT_QTY", .number(s.num(10))), ("DEFECT_RATE", .double(s.num(11))),
            ("ANCESTOR_COUNT", .int(s.count(12))), ("UPSTREAM_MACHINE_COUNT", .int(s.int(13) ?? machineIds)),
            ("UPSTREAM_MACHINES", .array(machines.map { .object([("station", .string($0.0)), ("machine", .string($0.1))]) })),
            ("UPSTREAM_MATERIALS", .array(materials.map { .object([("part", .string($0.0)), ("lot", .string($0.1))]) })),
            ("WAFER_ROOT", .optional(s.text(14))),
        ])
    }

    static func forwardRow(_ s: SQLiteStatement) -> JSON {
        .object([
            ("CONTAINERID", .optional(s.text(1))), ("CONTAINERNAME", .optional(s.text(2))), ("PJ_TYPE", .optional(s.text(3))),
            ("PRODUCTLINENAME", .optional(s.text(4))), ("WORKFLOW", .optional(s.text(5))),
            ("DETECTION_EQUIPMENTNAME", .optional(s.text(6))), ("TRACKINQTY", .number(s.num(7))), ("DEFECT_QTY", .number(s.num(8))),
            ("DOWNSTREAM_STATIONS_REACHED", .int(s.count(10))), ("DOWNSTREAM_TOTAL_REJECT", .number(s.num(11))),
            ("DOWNSTREAM_REJECT_RATE", .double(s.num(12))), ("WORST_DOWNSTREAM_STATION", .optional(s.text(13))),
            ("DETECTION_LOSS_REASON", .optional(s.text(9))),
        ])
    }
}
