import TracespoolSpool

/// One request's masked view over the helper tables: temp tables on the reading connection
/// (`temp.mask_*` with the mask values, `temp.m_lot` the masked lots with t, d and det
/// membership, `temp.m_reason` their selected positive reasons). Built per request; cheap (one row
/// per detection lot), so one spool serves every mask combination.
struct MSDView {
    let m: MSDSpool
    let masks: MSDMasks
    let ranges: [MSDSQL.Kind: ClosedRange<Int>]
    var db: SQLiteDatabase { m.database }

    /// How factor totals are read: the stored unmasked totals; stored lots and input plus defects
    /// from the few lots a loss-reason mask leaves defective; or a scan of every pair.
    enum Plan { case stored, sparseDefects, scan }
    let plan: Plan

    init(_ m: MSDSpool, masks: MSDMasks) throws {
        self.m = m
        self.masks = masks
        let t0 = MSDClock.now().cpu
        defer { MSDClock.report("msd view (cpu s)", [("masks", MSDClock.now().cpu - t0)]) }
        let db = m.database
        try db.tempValues("mask_reason", masks.lossReasons)
        try db.tempValues("mask_pj", masks.pjTypes)
        try db.tempValues("mask_pkg", masks.packages)
        let reasonMask = !masks.lossReasons.isEmpty
        for name in ["m_lot", "m_reason", "m_sig", "m_sel"] { try db.dropTemp(name) }
        try db.execute(MSDSQL.maskedLots(reasonMask: reasonMask, pjMask: !masks.pjTypes.isEmpty, pkgMask: !masks.packages.isEmpty))
        try db.execute(MSDSQL.maskedReasons(reasonMask: reasonMask, populationMask: masks.hasPopulationMask))
        ranges = m.direction == .backward ? try MSDHelpers.factorRanges(db) : [:]
        if m.direction == .backward { try db.execute(MSDSQL.maskedSignatures) }
        if masks.isEmpty {
            plan = .stored
        } else if !masks.hasPopulationMask, m.direction == .backward {
            // Sparse when few lots keep a defect under the mask (each such lot's pairs are read by lot).
            let defective = try db.scalarInt("SELECT count(*) FROM temp.m_lot WHERE d > 0") ?? 0
            let lots = try db.scalarInt("SELECT count(*) FROM msd_lotw") ?? 0
            plan = defective * 3 <= lots ? .sparseDefects : .scan
        } else {
            plan = .scan
        }
    }

    /// `available_loss_reasons`: reasons with qty > 0 in the population, before the reason mask.
    func availableReasons() throws -> [String] {
        try db.rows(MSDSQL.availableReasons) { $0.text(0) ?? "" }
    }

    var filtersJSON: JSON {
        .object([
            ("loss_reasons", .array(masks.lossReasons.map(JSON.string))),
            ("pj_types", .array(masks.pjTypes.map(JSON.string))),
            ("packages", .array(masks.packages.map(JSON.string))),
        ])
    }
}
