import Foundation
import TracespoolSpool

/// What the fetch thread tells the spool writer.
enum FetchMessage: @unchecked Sendable {
    /// Rows of `batch`; the writer recycles the block when written.
    case rows(batch: Int, block: RowBlock)
    /// `batch` is complete: commit it.
    case batchDone(batch: Int, rows: Int, attempts: Int, seconds: Double)
    /// `batch` is being retried: discard what was written of it.
    case batchRetry(batch: Int)
    /// `batch` failed for good: discard its rows and record the failure.
    case batchFailed(batch: Int, attempts: Int, error: SourceErrorSummary)
    /// The whole stage must stop (fatal source error).
    case fatal(Error)
    /// No more batches.
    case finished
}

struct SourceErrorSummary: Sendable {
    let code: String
    let message: String
}

/// A bounded hand-off between the fetch thread and the writer: a fixed pool of row blocks
/// circulates, so at most `blocks` × `fetchRows` rows are ever in memory, and a fast source waits
/// for a slow disk (and the other way round).
final class BlockHandoff: @unchecked Sendable {
    private let condition = NSCondition()
    private var free: [RowBlock]
    private var messages: [FetchMessage] = []
    private var closed = false

    init(blocks: Int, columnCount: Int, rowsPerBlock: Int) {
        free = (0..<blocks).map { _ in RowBlock(columnCount: columnCount, capacity: rowsPerBlock) }
    }

    struct Closed: Error {}

    /// Fetch side: an empty block, waiting while all are in flight. Throws once the writer closed.
    func takeFreeBlock() throws -> RowBlock {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty && !closed { condition.wait() }
        if closed { throw Closed() }
        let b = free.removeLast()
        b.clear()
        return b
    }

    func giveBack(_ block: RowBlock) {
        condition.lock()
        free.append(block)
        condition.signal()
        condition.unlock()
    }

    func send(_ m: FetchMessage) {
        condition.lock()
        messages.append(m)
        condition.broadcast()
        condition.unlock()
    }

    /// Writer side: the next message, in order.
    func receive() -> FetchMessage {
        condition.lock()
        defer { condition.unlock() }
        while messages.isEmpty { condition.wait() }
        return messages.removeFirst()
    }

    /// Writer side: stop the fetcher (it sees `Closed` at its next block).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

}
