import Foundation

/// Progress of the events stage, reported after every committed batch.
public struct EventsProgress: Sendable {
    public let domain: String
    public let domainIndex: Int
    public let domainCount: Int
    public let batchesDone: Int
    public let batchesTotal: Int
    public let failedBatches: Int
    public let domainRows: Int
    public let totalRows: Int
}

/// The quality of one domain after the stage (`trace-pipeline.md` §5.4).
public struct DomainOutcome: Sendable, Equatable {
    public let domain: String
    public let rows: Int
    /// `complete`, `partial` (some batches failed, the rest kept) or `failed` (every batch failed).
    public let status: String
    public let failedRanges: [FailedRange]

    public struct FailedRange: Sendable, Equatable {
        public let start: String
        public let end: String
        public let code: String
    }
}

/// Set from another thread (signal handler, API cancel) to stop between batches.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var hooks: [Int: @Sendable () -> Void] = [:]
    private var nextHook = 0
    public init() {}

    /// Sets the flag and runs every registered hook once (e.g. `PQcancel` of the statement in
    /// flight, `sqlite3_interrupt` of an aggregation), so a cancel does not wait for a statement.
    public func cancel() {
        let pending: [@Sendable () -> Void] = lock.withLock {
            if cancelled { return [] }
            cancelled = true
            return Array(hooks.values)
        }
        pending.forEach { $0() }
    }

    public var isCancelled: Bool { lock.withLock { cancelled } }

    /// Registers `hook` to run on cancel (at once if already cancelled); returns its token.
    @discardableResult
    public func onCancel(_ hook: @escaping @Sendable () -> Void) -> Int {
        let (token, now): (Int, Bool) = lock.withLock {
            nextHook += 1
            if !cancelled { hooks[nextHook] = hook }
            return (nextHook, cancelled)
        }
        if now { hook() }
        return token
    }

    public func remove(_ token: Int) { lock.withLock { _ = hooks.removeValue(forKey: token) } }
}

public struct CancelledError: Error, CustomStringConvertible, Sendable {
    public init() {}
    public var description: String { "the job was cancelled" }
}

