import Foundation
import Logging
import TracespoolSource
import TracespoolSpool

/// The fetch side of the events stage, on its own thread with its own connection inside the job's
/// snapshot. Per CID batch: stream the domain's COPY, decode each row in place, pack it into the
/// current block, hand full blocks to the writer. A lost connection reconnects (same snapshot) and
/// retries the batch with backoff; other statement errors fail just that batch.
final class BatchFetcher: @unchecked Sendable {
    let snapshot: SourceSnapshot
    let select: String
    /// The spool table the rows go to, for messages.
    let table: String
    /// The spool table's column names, in order: the query's result must have exactly these.
    let columns: [String]
    var columnCount: Int { columns.count }
    let config: EventsConfig
    let handoff: BlockHandoff
    let cancellation: CancellationFlag
    let logger: Logger
    /// Planner settings for this stage's statements (`SET LOCAL …`, constants of the stage).
    var sessionSettings: [String] = []
    private let finished = DispatchSemaphore(value: 0)

    init(snapshot: SourceSnapshot, select: String, table: String, columns: [String], config: EventsConfig,
         handoff: BlockHandoff, cancellation: CancellationFlag, logger: Logger) {
        self.snapshot = snapshot
        self.table = table
        self.select = select
        self.columns = columns
        self.config = config
        self.handoff = handoff
        self.cancellation = cancellation
        self.logger = logger
    }

    func waitUntilFinished() { finished.wait(); finished.signal() }

    func run(_ work: [(batch: Int, item: BatchPlan.Item)],
             parameters: @Sendable (Int, BatchPlan.Item, BatchMembers) throws -> [String?]) {
        defer { finished.signal() }
        var connection: PGConnection?
        // A cancel request cancels the statement in flight (PQcancel), not only the next batch.
        var cancelHook: Int?
        func disconnect() {
            if let h = cancelHook { cancellation.remove(h) }
            cancelHook = nil
            connection?.close()
            connection = nil
        }
        defer { disconnect() }
        let row = CopyTextRow(columnCount: columnCount)
        let members = BatchMembers()
        var contractChecked = false
        for item in work {
            if cancellation.isCancelled { handoff.send(.fatal(CancelledError())); return }
            var attempt = 0
            var firstLoss: Date?
            while true {
                attempt += 1
                let started = Date()
                do {
                    if connection == nil {
                        let c = try snapshot.openReader(statementTimeoutMs: config.statementTimeoutMs)
                        for setting in sessionSettings { try c.execute(setting) }
                        connection = c
                        let canceller = c.canceller()
                        cancelHook = cancellation.onCancel { canceller.cancel() }
                    }
                    let literals = try parameters(item.batch, item.item, members)
                    if !contractChecked {
                        try checkColumns(literals.count, on: connection!)
                        contractChecked = true
                    }
                    let rows = try fetch(item.batch, literals, on: connection!, row: row)
                    handoff.send(.batchDone(batch: item.batch, rows: rows, attempts: attempt,
                                            seconds: Date().timeIntervalSince(started)))
                    break
                } catch is BlockHandoff.Closed {
                    return
                } catch let e as SourceError {
                    if cancellation.isCancelled {
                        // The statement was cancelled for the job's sake: not a failed batch.
                        handoff.send(.fatal(CancelledError()))
                        return
                    }
                    if e.kind == .connectionLost || e.kind == .unavailable || connection?.isBroken == true {
                        disconnect()
                        let lostAt = firstLoss ?? Date()
                        firstLoss = lostAt
                        if Date().timeIntervalSince(lostAt) < config.sourceRetrySeconds {
                            handoff.send(.batchRetry(batch: item.batch))
                            let delay = min(config.maxBackoffMs, config.backoffMs * (1 << min(attempt - 1, 16)))
                            logger.warning("connection lost, retrying batch", metadata: [
                                "batch": "\(item.batch)", "attempt": "\(attempt)", "delay_ms": "\(delay)"])
                            Thread.sleep(forTimeInterval: Double(delay) / 1000)
                            continue
                        }
                        handoff.send(.fatal(SourceError(.connectionLost,
                            "lost the source connection \(attempt) times in \(Int(config.sourceRetrySeconds)) s on batch \(item.batch): \(e.message)")))
                        return
                    }
                    if e.stopsTheJob {
                        handoff.send(.fatal(e))
                        return
                    }
                    // A timeout or statement error fails this batch only. The transaction is
                    // aborted, so the next batch needs a fresh connection in the same snapshot.
                    disconnect()
                    handoff.send(.batchFailed(batch: item.batch, attempts: attempt,
                                              error: SourceErrorSummary(code: e.code, message: e.message)))
                    break
                } catch {
                    handoff.send(.fatal(error))
                    return
                }
            }
        }
        handoff.send(.finished)
    }

    /// The column contract, checked before the first batch: the statement's result columns (as the
    /// server describes it, nothing executed) must be the spool table's, by name and in order —
    /// rows are written by position, so a drifted query would put values under the wrong names.
    private func checkColumns(_ parameterCount: Int, on connection: PGConnection) throws {
        let probe = try CopyStatement.substitute(select, Array(repeating: "NULL", count: parameterCount))
        let got = try connection.resultColumns(probe)
        if got != columns {
            throw SourceError(.contractMismatch, "the query for spool table \(table) returns columns "
                + "[\(got.joined(separator: ", "))], expected [\(columns.joined(separator: ", "))]")
        }
    }

    /// Streams one batch; returns its row count. Full blocks go to the writer as they fill.
    private func fetch(_ batch: Int, _ literals: [String?], on connection: PGConnection, row: CopyTextRow) throws -> Int {
        let statement = try CopyStatement.make(select: select, literals: literals, on: connection)
        var block = try handoff.takeFreeBlock()
        var rows = 0
        do {
            try connection.copyOut(statement) { line in
                try row.decode(line)
                if block.isFull {
                    handoff.send(.rows(batch: batch, block: block))
                    block = try handoff.takeFreeBlock()
                }
                block.append(fields: row.starts, lengths: row.lengths)
                rows += 1
            }
        } catch {
            // The block being filled was never sent: return it, or every failed attempt would
            // shrink the pool until a retry waits forever for a block.
            handoff.giveBack(block)
            throw error
        }
        if block.count > 0 {
            handoff.send(.rows(batch: batch, block: block))
        } else {
            handoff.giveBack(block)
        }
        return rows
    }
}
