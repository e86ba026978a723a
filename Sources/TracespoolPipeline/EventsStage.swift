import Foundation
import Logging
import TracespoolSource
import TracespoolSpool

/// Reads every (domain × CID batch) from the warehouse and writes it into the spool as it arrives.
/// A fetch thread streams `COPY (domain query) TO STDOUT` into a small pool of row blocks; this
/// thread binds them into SQLite, one transaction per CID batch together with its ledger row.
/// Memory is bounded by the block pool, whatever the trace's size.
public final class EventsStage {
    let snapshot: SourceSnapshot
    let spool: Spool
    let config: EventsConfig
    let logger: Logger
    let cancellation: CancellationFlag
    let progress: (EventsProgress) -> Void

    public init(snapshot: SourceSnapshot, spool: Spool, config: EventsConfig, logger: Logger,
                cancellation: CancellationFlag = CancellationFlag(),
                progress: @escaping (EventsProgress) -> Void = { _ in }) {
        self.snapshot = snapshot
        self.spool = spool
        self.config = config
        self.logger = logger
        self.cancellation = cancellation
        self.progress = progress
    }

    /// Cuts sorted CIDs into batches of `cidBatchSize`.
    public static func batches(_ cids: [String], size: Int) -> [ArraySlice<String>] {
        stride(from: 0, to: cids.count, by: max(1, size)).map { cids[$0..<min($0 + size, cids.count)] }
    }

    /// Fetches every domain for `cids` (sorted, unique). Batches already `done` in the ledger are
    /// skipped, so a resumed job continues where it stopped.
    public func run(domains: [SpoolDomain], cids: [String]) throws -> [DomainOutcome] {
        let batches = EventsStage.batches(cids, size: config.cidBatchSize)
        var totalRows = 0
        var outcomes: [DomainOutcome] = []
        for (index, domain) in domains.enumerated() {
            try spool.planBatches(domain: domain.name, batches: batches.map { ($0.first!, $0.last!, $0.count) })
            let pending = try spool.ledger(domain: domain.name).filter { $0.state != "done" }.map(\.batch)
            let started = Date()
            try runDomain(domain, index: index, of: domains.count, batches: batches, pending: pending, totalRows: &totalRows)
            let ledger = try spool.ledger(domain: domain.name)
            let failed = ledger.filter { $0.state == "failed" }
            let status = failed.isEmpty ? "complete" : (failed.count == ledger.count ? "failed" : "partial")
            try spool.finishDomain(domain, status: status)
            let rows = try spool.rowCount(domain)
            try spool.setMeta("timing.events.\(domain.name)_seconds", String(format: "%.3f", Date().timeIntervalSince(started)))
            outcomes.append(DomainOutcome(
                domain: domain.name, rows: rows, status: status,
                failedRanges: failed.map { .init(start: $0.firstCID, end: $0.lastCID, code: $0.errorCode ?? "") }))
            logger.info("domain done", metadata: ["domain": "\(domain.name)", "rows": "\(rows)", "status": "\(status)"])
        }
        return outcomes
    }

    private func runDomain(_ domain: SpoolDomain, index: Int, of count: Int, batches: [ArraySlice<String>],
                           pending: [Int], totalRows: inout Int) throws {
        guard let select = DomainQueries.select(for: domain.name) else {
            throw SourceError(.queryFailed, "no warehouse query for domain \(domain.name)")
        }
        let handoff = BlockHandoff(blocks: 3, columnCount: domain.columns.count, rowsPerBlock: config.fetchRows)
        let fetcher = BatchFetcher(
            snapshot: snapshot, select: select, columnCount: domain.columns.count, config: config,
            handoff: handoff, cancellation: cancellation, logger: logger)
        let work = pending.map { (batch: $0, cids: Array(batches[$0])) }
        let thread = Thread { fetcher.run(work) }
        thread.stackSize = 1 << 20
        thread.start()

        let writer = try DomainTableWriter(spool: spool, domain: domain)
        let db = spool.database
        var open = false
        var done = batches.count - pending.count
        var failed = 0
        var domainRows = try spool.rowCount(domain)
        defer {
            if open { try? db.execute("ROLLBACK") }
            // Make sure the fetcher is not left waiting for a block.
            handoff.close()
            fetcher.waitUntilFinished()
        }
        while true {
            switch handoff.receive() {
            case .rows(let batch, let block):
                if !open { try db.execute("BEGIN IMMEDIATE"); open = true }
                defer { handoff.giveBack(block) }
                try writer.write(block, batch: batch)
            case .batchRetry:
                if open { try db.execute("ROLLBACK"); open = false }
            case .batchDone(let batch, let rows, let attempts, let seconds):
                if !open { try db.execute("BEGIN IMMEDIATE"); open = true }
                try spool.markBatchDone(domain: domain.name, batch: batch, rows: rows, attempts: attempts, seconds: seconds)
                try db.execute("COMMIT")
                open = false
                done += 1
                domainRows += rows
                totalRows += rows
                report(domain, index, count, done, batches.count, failed, domainRows, totalRows)
            case .batchFailed(let batch, let attempts, let error):
                if open { try db.execute("ROLLBACK"); open = false }
                try db.transaction {
                    try spool.markBatchFailed(domain: domain.name, batch: batch, attempts: attempts,
                                              code: error.code, message: error.message)
                }
                logger.warning("batch failed", metadata: [
                    "domain": "\(domain.name)", "batch": "\(batch)", "code": "\(error.code)", "error": "\(error.message)"])
                done += 1
                failed += 1
                report(domain, index, count, done, batches.count, failed, domainRows, totalRows)
            case .fatal(let error):
                throw error
            case .finished:
                return
            }
        }
    }

    private func report(_ d: SpoolDomain, _ i: Int, _ n: Int, _ done: Int, _ total: Int, _ failed: Int, _ rows: Int, _ all: Int) {
        progress(EventsProgress(domain: d.name, domainIndex: i, domainCount: n, batchesDone: done,
                                batchesTotal: total, failedBatches: failed, domainRows: rows, totalRows: all))
    }
}
