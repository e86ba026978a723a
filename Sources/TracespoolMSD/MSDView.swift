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
