import Foundation
import Logging
import TracespoolSource
import TracespoolSpool

/// Fetches every event domain for the trace's CID set (`trace_cids` in the spool), one
/// `BatchCopyStage` per domain over CID batches of `cidBatchSize`.
public final class EventsStage {
    let copy: BatchCopyStage
    let spool: Spool
    let config: EventsConfig
    let logger: Logger
    let snapshotTime: String
    let snapshot: SourceSnapshot
    let progress: (EventsProgress) -> Void

    public init(snapshot: SourceSnapshot, spool: Spool, config: EventsConfig, logger: Logger,
                cancellation: CancellationFlag = CancellationFlag(),
                progress: @escaping (EventsProgress) -> Void = { _ in }) {
        copy = BatchCopyStage(snapshot: snapshot, spool: spool, config: config, logger: logger, cancellation: cancellation)
        self.spool = spool
        self.config = config
        self.logger = logger
        snapshotTime = snapshot.takenAt
        self.snapshot = snapshot
        self.progress = progress
    }

    public func run(domains: [SpoolDomain]) throws -> [DomainOutcome] {
        let plan = try BatchPlan.keys(spool: spool, table: "trace_cids", column: "cid", size: config.cidBatchSize,
                                      extra: [snapshotTime])
        var totalRows = 0
        var outcomes: [DomainOutcome] = []
        for (index, domain) in domains.enumerated() {
            guard var select = DomainQueries.select(for: domain.name) else {
                throw SourceError(.queryFailed, "no warehouse query for domain \(domain.name)")
            }
            let started = Date()
            let before = totalRows
            var domainPlan = plan
            if domain.name == "jobs", try jobsByScan() {
                // No GIN index on the job id tokens: one scan of dw_mes_job for the trace, then
                // each batch's jobs by ctid (JobsQueries).
                let scan = try copy.run(into: .jobTokens, select: JobsQueries.tokens,
                                        plan: BatchPlan.values(["dw_mes_job"], size: 1, extra: []))
                if let f = scan.failed.first {
                    // Without the scan no batch can be matched: the domain failed as a whole (the
                    // ledger keeps the scan's error under `job_tokens`); the other domains go on.
                    try spool.finishDomain(domain, status: StageQuality.failed.rawValue)
                    outcomes.append(DomainOutcome(domain: domain.name, rows: 0, status: StageQuality.failed.rawValue,
                        failedRanges: [.init(start: plan.items.first?.first ?? "", end: plan.items.last?.last ?? "",
                                             code: f.errorCode ?? SourceError.Kind.queryFailed.rawValue)]))
                    logger.warning("jobs: the scan of dw_mes_job failed", metadata: ["error": "\(f.error ?? "")"])
                    continue
                }
                try spool.database.transaction { try spool.database.execute(JobsQueries.keepTraceTokens) }
                select = JobsQueries.byTid
                domainPlan = plan.adding(membersOf: JobsQueries.tidsOfRange, spoolPath: spool.path)
            }
            let outcome = try copy.run(into: domain, select: select, plan: domainPlan) { done, total, failed, rows in
                totalRows = before + rows
                progress(EventsProgress(domain: domain.name, domainIndex: index, domainCount: domains.count,
                                        batchesDone: done, batchesTotal: total, failedBatches: failed,
                                        domainRows: rows, totalRows: totalRows))
            }
            try spool.finishDomain(domain, status: outcome.status)
            try spool.setMeta("timing.events.\(domain.name)_seconds", String(format: "%.3f", Date().timeIntervalSince(started)))
            totalRows = before + outcome.rows
            outcomes.append(DomainOutcome(
                domain: domain.name, rows: outcome.rows, status: outcome.status,
                failedRanges: outcome.failed.map { .init(start: $0.firstCID, end: $0.lastCID, code: $0.errorCode ?? "") }))
            logger.info("domain done", metadata: ["domain": "\(domain.name)", "rows": "\(outcome.rows)", "status": "\(outcome.status)"])
        }
        return outcomes
    }

    /// Whether the `jobs` domain takes the scan path (`EventsConfig.jobsMatch`).
    func jobsByScan() throws -> Bool {
        switch config.jobsMatch {
        case .index: return false
        case .scan: return true
        case .auto: return try !WarehouseIndexes.present(WarehouseIndexes.jobsTokenIndex, on: snapshot.connection)
        }
    }
}
