import Foundation
import TracespoolSource
import TracespoolSpool

/// MSD detection (`msd.md` §1.3–§1.4) into the spool's `msd_detection` table.
public struct DetectionStage {
    let copy: BatchCopyStage
    let spool: Spool
    let config: EventsConfig
    /// Step A reads the window in chunks of at most this many days, so no statement scans months.
    public var windowDays = 31

    public init(copy: BatchCopyStage, spool: Spool, config: EventsConfig) {
        self.copy = copy
        self.spool = spool
        self.config = config
    }

    /// Date mode, step A: lots that tracked in at the stations within [from, to] become the seeds.
    public func candidates(stations: [String], from: Date, to: Date) throws -> Int {
        let plan = BatchPlan.dateWindows(from: from, to: to, days: windowDays, extra: [PGArrayLiteral.text(stations)])
        let outcome = try copy.run(into: .candidates, select: DomainQueries.expandStationGroups(DetectionQueries.candidates), plan: plan)
        // The windows are the MSD job's seeds: a lost window would be a quietly smaller population.
        try outcome.requireComplete("detection windows")
        try spool.database.transaction { try spool.database.execute(SpoolLineageSQL.seedsFromCandidates) }
        return try spool.database.scalarInt("SELECT count(*) FROM seeds") ?? 0
    }

    /// Step B over the lots of `keyTable` (`seeds` in date mode, `trace_cids` — seeds and their
    /// ancestors — in container mode, which has no window).
    public func enrich(keyTable: String, keyColumn: String, stations: [String], from: Date?, to: Date?) throws -> BatchCopyStage.Outcome {
        var start: String? = nil, end: String? = nil
        if let from, let to {
            start = DateText.day(from) + " 00:00:00"
            end = DateText.day(to.addingTimeInterval(86_400)) + " 00:00:00"
        }
        let plan = try BatchPlan.keys(spool: spool, table: keyTable, column: keyColumn, size: config.cidBatchSize,
                                      extra: [start, end, PGArrayLiteral.text(stations)])
        let outcome = try copy.run(into: .detection, select: DomainQueries.expandStationGroups(DetectionQueries.enrichment), plan: plan)
        try spool.indexByCID(.detection)
        try spool.database.transaction { try spool.database.execute(SpoolLineageSQL.seedNamesFromDetection) }
        return outcome
    }

    /// Equipment families for the ids the trace saw (attribution's RESOURCEFAMILYNAME). A failed
    /// batch leaves those families unknown: the job is `partial` under `resources`.
    @discardableResult
    public func resources() throws -> BatchCopyStage.Outcome {
        try spool.database.transaction { try spool.database.execute(SpoolLineageSQL.resourceIds) }
        let plan = try BatchPlan.keys(spool: spool, table: "msd_resource_ids", column: "RESOURCEID",
                                      size: config.cidBatchSize, extra: [])
        let outcome = try copy.run(into: .resources, select: DetectionQueries.resources, plan: plan)
        try spool.indexByCID(.resources)
        return outcome
    }
}
