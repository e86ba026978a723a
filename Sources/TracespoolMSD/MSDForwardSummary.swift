import TracespoolSpool

/// The forward SUMMARY object (`msd.md` §3.7, §6.2) over a masked view.
///
/// D0 = the population lots (type/package masks); DEF = D0 lots whose reason-filtered d(L) > 0
/// (the flagged cohort). Downstream events of DEF lots and of their forward-lineage descendants
/// count for the lot they descend from (a descendant of several DEF seeds: the smallest seed id);
/// only groups after the detection station (order > s0) count. Denominators are population
/// figures, so the reason mask only shrinks numerators and the flagged cohort.
enum MSDForwardSummary {
    /// Creates `temp.f_key` / `temp.f_ev` (tracked containers and their downstream events).
    static func track(_ v: MSDView) throws {
        for t in ["f_key", "f_ev", "f_lot"] { try v.db.dropTemp(t) }
        try v.db.execute(MSDSQL.forwardKeys)
    }

    struct Station { var ord: Int; var name: String; var input: Double; var reject: Double; var lots: Int }

    static func compute(_ v: MSDView) throws -> JSON {
        let db = v.db
        var timings: [(String, Double)] = []
        var mark = MSDClock.now().cpu
        func lap(_ name: String) {
            let n = MSDClock.now().cpu
            timings.append((name, n - mark))
            mark = n
        }
        defer { MSDClock.report("msd forward summary (cpu s)", timings) }
        try track(v)
        lap("track")

        var lotCount = 0, flagged = 0
        var detInput = 0.0, detDefect = 0.0
        try db.each(MSDSQL.kpiBackward) { s in
            lotCount = s.count(0); detInput = s.num(1); flagged = s.count(2); detDefect = s.num(3)
        }

        let stations: [Station] = try db.rows(MSDSQL.forwardStations) { s in
            Station(ord: s.count(0), name: s.text(1) ?? "", input: s.num(2), reject: s.num(3), lots: s.count(4))
        }
        lap("stations")
        let downInput = stations.reduce(0) { $0 + $1.input }
        let downReject = stations.reduce(0) { $0 + $1.reject }
        let amplification: JSON
        if detInput == 0 || detDefect == 0 {
            amplification = .null
        } else if downInput == 0 || downReject == 0 {
            amplification = .double(0.0)
        } else {
            amplification = .double(MSDRound.places((downReject / downInput) / (detDefect / detInput), 6))
        }

        let stationRows = MSDPareto.ranked(stations.map {
            MSDFactor(name: $0.name, id: String(format: "%03d", $0.ord), lots: $0.lots, input: $0.input, defect: $0.reject)
        })
        let machines = try db.rows(MSDSQL.forwardMachines) { s in
            MSDFactor(name: s.text(0) ?? "", lots: 0, input: s.num(1), defect: s.num(2))
        }
        let downReasons = try db.rows(MSDSQL.forwardReasons) { s in
            MSDFactor(name: s.text(0) ?? "", lots: 0, input: 0, defect: s.num(1))
        }
        let detMachines = try MSDBackwardSummary.lotDimensions(v).machines

        lap("machines_reasons_dims")
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
        let downTrend: [JSON] = try db.rows(MSDSQL.forwardTrend) { s in
            .object([("date", .optional(s.text(0))), ("reject_qty", .number(s.num(1))),
                     ("reject_rate", .double(MSDRound.frac6(s.num(1), s.num(2))))])
        }

        lap("trends")
        let front = try frontReasons(v)
        lap("front")
        let frontOrder = front.map(\.name)
        let stationInput = Dictionary(stations.map { ($0.name, $0.input) }, uniquingKeysWith: +)
        let detailCount = flagged

        return .object([
            ("direction", .string("forward")),
            ("kpi", .object([
                ("detection_lot_count", .int(lotCount)), ("detection_defect_qty", .number(detDefect)),
                ("tracked_lot_count", .int(flagged)), ("downstream_stations_reached", .int(stations.count)),
                ("downstream_total_reject", .number(downReject)),
                ("downstream_reject_rate", .double(MSDRound.pct4(downReject, downInput))),
            ])),
            ("amplification", amplification),
            ("charts", .object([
                ("by_downstream_station", MSDPareto.items(stationRows, lotCount: false).withLotCounts(stationRows)),
                ("by_downstream_machine", MSDPareto.items(MSDPareto.topWithOther(machines), lotCount: false)),
                ("by_downstream_loss_reason", MSDPareto.items(MSDPareto.topWithOther(downReasons), lotCount: false, input: false)),
                ("by_detection_machine", MSDPareto.items(MSDPareto.topWithOther(detMachines), lotCount: false).withLotCounts(MSDPareto.topWithOther(detMachines))),
            ])),
            ("daily_trend", .array(trend)),
            ("by_detection_loss_reason", .array(front.map { r in
                .object([("loss_reason", .string(r.name)), ("reject_qty", .number(r.defect)), ("input_qty", .number(r.input)),
                         ("lot_count", .int(r.lots)), ("reject_rate", .double(MSDRound.frac6(r.defect, r.input)))])
            })),
            ("loss_reason_workcenter_crosstab", try crosstab(v, frontOrder: frontOrder, stationInput: stationInput)),
            ("downstream_trend", .array(downTrend)),
            ("by_front_downstream_reason_matrix", try { let m = try matrix(v); lap("crosstab_matrix"); return m }()),
            ("available_loss_reasons", .array(try v.availableReasons().map(JSON.string))),
            ("genealogy_status", .string(try MSDQuality.genealogyStatus(v.m))),
            ("detail_total_count", .int(detailCount)),
        ] + MSDQuality.trailer(v))
    }

    /// by_detection_loss_reason: Top 10 front reasons by reject qty, the rest folded into 其他 whose
    /// input and lot count are over the union of the folded reasons' lots (no double count).
    static func frontReasons(_ v: MSDView) throws -> [MSDFactor] {
        let all = try v.db.rows(MSDSQL.frontReasons) { s in
            MSDFactor(name: s.text(0) ?? "", lots: s.count(3), input: s.num(2), defect: s.num(1))
        }
        let ranked = MSDPareto.ranked(all)
        guard ranked.count > 10 else { return ranked }
        let keep = Array(ranked.prefix(10))
        try v.db.tempValues("keep_reason", keep.map(\.name))
        var other = MSDFactor(name: MSDPareto.otherName, lots: 0, input: 0, defect: ranked[10...].reduce(0) { $0 + $1.defect })
        try v.db.each(MSDSQL.frontReasonsOther) { s in
            other.lots = s.count(0)
            other.input = s.num(1)
        }
        return keep + [other]
    }

    static func crosstab(_ v: MSDView, frontOrder: [String], stationInput: [String: Double]) throws -> JSON {
        struct Cell { var fr: String; var ord: Int; var grp: String; var qty: Double }
        let cells = try v.db.rows(MSDSQL.forwardCrosstab) { s in
            Cell(fr: s.text(0) ?? "", ord: s.count(1), grp: s.text(2) ?? "", qty: s.num(3))
        }.filter { $0.qty > 0 }
        let rank = Dictionary(frontOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: min)
        let reasons = Set(cells.map(\.fr)).sorted { (rank[$0] ?? Int.max, $0) < (rank[$1] ?? Int.max, $1) }
        let groups = Dictionary(cells.map { ($0.grp, $0.ord) }, uniquingKeysWith: min).sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        let sorted = cells.sorted { (rank[$0.fr] ?? Int.max, $0.fr, $0.ord) < (rank[$1.fr] ?? Int.max, $1.fr, $1.ord) }
        return .object([
            ("loss_reasons", .array(reasons.map(JSON.string))),
            ("workcenter_groups", .array(groups.map { .string($0.key) })),
            ("cells", .array(sorted.map { c in
                .object([("loss_reason", .string(c.fr)), ("workcenter_group", .string(c.grp)), ("reject_qty", .number(c.qty)),
                         ("reject_rate", .double(MSDRound.frac6(c.qty, stationInput[c.grp] ?? 0)))])
            })),
        ])
    }

    /// Front reason × downstream reason (MSD-09): rows by row total (Top 10 + 其他, element-wise
    /// sums), columns by global column total (Top 10 + 其他); row_pct = cell / row total, 2 dp.
    static func matrix(_ v: MSDView) throws -> JSON {
        var cell: [String: [String: Double]] = [:]
        try v.db.each(MSDSQL.forwardMatrix) { s in
            cell[s.text(0) ?? "", default: [:]][s.text(1) ?? "", default: 0] += s.num(2)
        }
        func order(_ totals: [String: Double]) -> [String] {
            totals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        }
        var rowTotals: [String: Double] = [:], colTotals: [String: Double] = [:]
        for (r, cols) in cell {
            for (c, q) in cols { rowTotals[r, default: 0] += q; colTotals[c, default: 0] += q }
        }
        let rowNames = order(rowTotals), colNames = order(colTotals)
        let rowGroups: [(String, [String])] = rowNames.count > 10
            ? rowNames.prefix(10).map { ($0, [$0]) } + [(MSDPareto.otherName, Array(rowNames.dropFirst(10)))]
            : rowNames.map { ($0, [$0]) }
        let colGroups: [(String, [String])] = colNames.count > 10
            ? colNames.prefix(10).map { ($0, [$0]) } + [(MSDPareto.otherName, Array(colNames.dropFirst(10)))]
            : colNames.map { ($0, [$0]) }
        var cells: [[Double]] = []
        for (_, rs) in rowGroups {
            cells.append(colGroups.map { _, cs in rs.reduce(0) { acc, r in acc + cs.reduce(0) { $0 + (cell[r]?[$1] ?? 0) } } })
        }
        let rowTotal = cells.map { $0.reduce(0, +) }
        return .object([
            ("rows", .array(rowGroups.enumerated().map { i, g in .object([("name", .string(g.0)), ("total", .number(rowTotal[i]))]) })),
            ("cols", .array(colGroups.map { g in
                .object([("name", .string(g.0)), ("total", .number(g.1.reduce(0) { $0 + (colTotals[$1] ?? 0) }))])
            })),
            ("cells", .array(cells.map { .array($0.map(JSON.number)) })),
            ("row_pct", .array(cells.enumerated().map { i, row in .array(row.map { .double(MSDRound.pct2($0, rowTotal[i])) }) })),
        ])
    }
}

extension JSON {
    /// Inserts `lot_count` after `name` in chart items (forward charts that carry it).
    func withLotCounts(_ rows: [MSDFactor]) -> JSON {
        guard case .array(let items) = self else { return self }
        return .array(zip(items, rows).map { item, r in
            guard case .object(var f) = item else { return item }
            f.insert(("lot_count", .int(r.lots)), at: min(f.count, 4))
            return .object(f)
        })
    }
}
