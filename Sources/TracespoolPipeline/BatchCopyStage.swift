import Foundation
import Logging
import TracespoolSource
import TracespoolSpool

/// Runs one warehouse SELECT once per batch of a plan and writes the rows into one spool table as
/// they arrive. A fetch thread streams `COPY (select) TO STDOUT` into a small pool of row blocks;
/// this thread binds them into SQLite, one transaction per batch together with its ledger row.
/// Memory is bounded by the block pool, whatever the stage's size. Batches already `done` in the
/// ledger are skipped, so a resumed job continues where it stopped.
public final class BatchCopyStage {
    let snapshot: SourceSnapshot
    let spool: Spool
    let config: EventsConfig
    let logger: Logger
    let cancellation: CancellationFlag
    /// Called when a run has planned its batches and after every batch, for every table this stage
    /// fills (seeds, detection, lineage, resources): the CLI's live progress of stages other than events.
    public var onBatch: (StageProgress) -> Void = { _ in }

    public init(snapshot: SourceSnapshot, spool: Spool, config: EventsConfig, logger: Logger, cancellation: CancellationFlag) {
        self.snapshot = snapshot
        self.spool = spool
        self.config = config
        self.logger = logger
        self.cancellation = cancellation
    }

    public struct Outcome: Sendable {
        public let rows: Int
        public let batches: Int
        public let failed: [LedgerBatch]
        public var quality: StageQuality { StageQuality(batches: batches, failed: failed.count) }
        public var status: String { quality.rawValue }

        /// For stages that are all or nothing (seeds, lineage, MSD candidate windows): a failed
        /// batch fails the job with the warehouse's own code — never "not found", never a smaller
        /// trace. `stage` names the stage in the message.
        public func requireComplete(_ stage: String) throws {
            guard let first = failed.first else { return }
            let kind = first.errorCode.flatMap(SourceError.Kind.init(rawValue:)) ?? .queryFailed
            throw SourceError(kind, "\(stage): \(failed.count) of \(batches) batch(es) failed; first "
                + "(\(first.firstCID) … \(first.lastCID)): \(first.error ?? "no message")")
        }
    }

    /// `progress(batchesDone, batchesTotal, failedBatches, rowsSoFar)` after every batch.
    /// `ledgerName` keys the batches in the ledger (default: the table's name) — a table filled by
    /// several passes gives each pass its own name.
    public func run(into table: SpoolDomain, select: String, plan: BatchPlan, ledgerName: String? = nil,
                    sessionSettings: [String] = [],
                    progress: (Int, Int, Int, Int) -> Void = { _, _, _, _ in }) throws -> Outcome {
        let ledgerName = ledgerName ?? table.name
        try spool.createTable(table)
        try spool.planBatches(domain: ledgerName, batches: plan.items.map { ($0.first, $0.last, $0.count) })
        let pending = try spool.ledger(domain: ledgerName).filter { $0.state != "done" }.map(\.batch)
        let work = pending.map { (batch: $0, item: plan.items[$0]) }
        let parameters = plan.parameters
        // Several fetchers, each on its own connection in the same snapshot, take the batches in
        // turn (batch i goes to fetcher i mod n), so the warehouse works on batch i+1 while batch i
        // is written. The writer still takes batches strictly in order, which keeps the spool's
        // arrival order the grouped order; a fetcher that runs ahead waits on its own small block
        // pool (two blocks: one being filled, one being written), so memory stays bounded by
        // n × 2 × fetchRows rows. (Grouped order itself is a property of the rows' keys, see
        // `DomainTableWriter`; taking batches in order keeps readers of a running job simple.)
        let lanes = max(1, min(config.fetchConnections, work.count))
        let handoffs = (0..<lanes).map { _ in
            BlockHandoff(blocks: 2, columnCount: table.columns.count, rowsPerBlock: config.fetchRows)
        }
        let fetchers = (0..<lanes).map { k in
            let f = BatchFetcher(snapshot: snapshot, select: select, table: table.tableName,
                                 columns: table.columns.map(\.name), config: config,
                                 handoff: handoffs[k], cancellation: cancellation, logger: logger)
            f.sessionSettings = sessionSettings
            return f
        }
        for k in 0..<lanes {
            let share = stride(from: k, to: work.count, by: lanes).map { work[$0] }
            let fetcher = fetchers[k]
            let thread = Thread { fetcher.run(share, parameters: parameters) }
            thread.stackSize = 1 << 20
            thread.start()
        }

        let writer = try DomainTableWriter(spool: spool, domain: table)
        let db = spool.database
        var open = false
        var done = plan.items.count - pending.count
        var failed = 0
        var rowsSoFar = try spool.rowCount(table)
        let report = { [onBatch] in
            onBatch(StageProgress(pass: ledgerName, batchesDone: done, batchesTotal: plan.items.count, failedBatches: failed, rows: rowsSoFar))
        }
        report()
        defer {
            if open { try? db.execute("ROLLBACK") }
            // Make sure no fetcher is left waiting for a block.
            handoffs.forEach { $0.close() }
            fetchers.forEach { $0.waitUntilFinished() }
        }
        for (index, _) in work.enumerated() {
            let handoff = handoffs[index % lanes]
            batch: while true {
                switch handoff.receive() {
                case .rows(let batch, let block):
                    if !open { try db.execute("BEGIN IMMEDIATE"); open = true }
                    defer { handoff.giveBack(block) }
                    try writer.write(block, batch: batch)
                case .batchRetry:
                    if open { try db.execute("ROLLBACK"); open = false }
                    writer.restartBatch()
                case .batchDone(let batch, let rows, let attempts, let seconds):
                    if !open { try db.execute("BEGIN IMMEDIATE"); open = true }
                    try spool.markBatchDone(domain: ledgerName, batch: batch, rows: rows, attempts: attempts, seconds: seconds)
                    try db.execute("COMMIT")
                    open = false
                    done += 1
                    rowsSoFar += rows
                    progress(done, plan.items.count, failed, rowsSoFar)
                    report()
                    break batch
                case .batchFailed(let batch, let attempts, let error):
                    if open { try db.execute("ROLLBACK"); open = false }
                    writer.restartBatch()
                    try db.transaction {
                        try spool.markBatchFailed(domain: ledgerName, batch: batch, attempts: attempts,
                                                  code: error.code, message: error.message)
                    }
                    logger.warning("batch failed", metadata: [
                        "table": "\(table.name)", "batch": "\(batch)", "code": "\(error.code)", "error": "\(error.message)"])
                    done += 1
                    failed += 1
                    progress(done, plan.items.count, failed, rowsSoFar)
                    report()
                    break batch
                case .fatal(let error):
                    throw error
                case .finished:
                    // A fetcher only finishes after its last batch; the writer never waits for one
                    // it has not consumed, so this means a fetcher stopped early.
                    throw SourceError(.queryFailed, "a fetcher stopped before batch \(work[index].batch)")
                }
            }
        }
        let failedBatches = try spool.ledger(domain: ledgerName).filter { $0.state == "failed" }
        return Outcome(rows: try spool.rowCount(table), batches: plan.items.count, failed: failedBatches)
    }
}

/// Progress of one `BatchCopyStage` run: `pass` is its ledger name (`seed_matches.lotid`,
/// `lineage_raw`, `detection`, …); `stage` is set by whoever knows the job's stage name.
public struct StageProgress: Sendable {
    public var stage = ""
    public let pass: String
    public let batchesDone: Int
    public let batchesTotal: Int
    public let failedBatches: Int
    public let rows: Int

    public init(stage: String = "", pass: String, batchesDone: Int, batchesTotal: Int, failedBatches: Int, rows: Int) {
        self.stage = stage
        self.pass = pass
        self.batchesDone = batchesDone
        self.batchesTotal = batchesTotal
        self.failedBatches = failedBatches
        self.rows = rows
    }
}
