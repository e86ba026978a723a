import Foundation
import TracespoolSpool

/// Entry points: the job runner's end-of-run step, and summaries for readers (CLI, later HTTP).
public enum MSDSummaryStore {
    /// meta key of the stored unmasked summary (the NDJSON exporter passes it through as its
    /// `aggregation` line) and of the helper signature it was computed with.
    public static let metaKey = "msd_summary"
    static let signatureKey = "msd_summary.helpers"

    /// Called at the end of an MSD run, on the job's writable spool: builds the per-job helper
    /// tables, computes the unmasked summary and stores it in meta `msd_summary`. Returns the JSON text.
    @discardableResult
    public static func computeAndStore(spool: Spool) throws -> String {
        try computeAndStore(try MSDSpool(spool: spool))
    }

    @discardableResult
    public static func computeAndStore(_ m: MSDSpool) throws -> String {
        try MSDSpool.withBudget(m.database) { try computeAndStoreBody(m) }
    }

    static func computeAndStoreBody(_ m: MSDSpool) throws -> String {
        let started = Date()
        try MSDHelpers.build(m)
        let built = Date()
        if MSDClock.enabled { _ = SQLiteDatabase.heapUsage(reset: true) }
        let text = try compute(m, masks: .none).text
        MSDClock.report("msd summary (memory MiB)", [("sqlite_heap_peak", MSDClock.sqlitePeakMiB()),
                                                     ("process_peak_rss", MSDClock.peakRSSMiB()),
                                                     ("text", Double(text.utf8.count) / 1_048_576)])
        try m.database.transaction {
            if m.direction == .forward {
                // The unmasked forward detail facts, kept for the default detail view (temp.f_ev and
                // the unmasked temp.m_lot are still there from the summary).
                try m.database.dropTemp("f_lot")
                try m.database.execute(MSDSQL.forwardLotFacts)
                try m.database.execute(MSDSQL.storeForwardLots)
            }
            try m.spool.setMeta(metaKey, text)
            try m.spool.setMeta(signatureKey, MSDHelpers.signature(m))
            try m.spool.setMeta("timing.msd_helpers_seconds", String(format: "%.3f", built.timeIntervalSince(started)))
            try m.spool.setMeta("timing.msd_summary_seconds", String(format: "%.3f", Date().timeIntervalSince(started)))
        }
        return text
    }

    /// The stored unmasked summary, if it matches the current helper tables.
    public static func stored(_ m: MSDSpool) throws -> String? {
        guard try isStored(m) else { return nil }
        return try m.spool.meta(metaKey)
    }

    /// True when the end-of-run step completed for the current helper tables.
    public static func isStored(_ m: MSDSpool) throws -> Bool {
        try m.spool.meta(signatureKey) == MSDHelpers.signature(m) && MSDHelpers.isCurrent(m)
    }

    /// A summary under masks, computed from the helper tables (which must be current).
    public static func compute(_ m: MSDSpool, masks: MSDMasks) throws -> JSON {
        let v = try MSDView(m, masks: masks)
        return m.direction == .backward ? try MSDBackwardSummary.compute(v) : try MSDForwardSummary.compute(v)
    }

    /// The summary text a reader returns: the stored one when unmasked, else computed on demand.
    public static func summaryText(_ m: MSDSpool, masks: MSDMasks) throws -> String {
        if masks.isEmpty, let s = try stored(m) { return s }
        return try compute(m, masks: masks).text
    }
}

/// Opening a spool for MSD reads. Readers never write: the helper tables and the stored summary
/// are the job's work (its aggregation stage, or `tracespool msd prepare` for a spool from an older
/// version); a spool without current ones is `MSD_NOT_PREPARED`.
public enum MSDReader {
    public static func open(path: String) throws -> MSDSpool {
        let m = try MSDSpool.open(at: path, readOnly: true)
        guard try MSDSummaryStore.isStored(m) else {
            throw MSDError(.notPrepared, "\(path) has no current MSD tables (a spool of an older version, or a job that stopped "
                + "before its aggregation): `tracespool msd prepare` builds them")
        }
        return m
    }
}
