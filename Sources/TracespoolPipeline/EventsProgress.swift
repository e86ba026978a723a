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
    public init() {}
    public func cancel() { lock.withLock { cancelled = true } }
    public var isCancelled: Bool { lock.withLock { cancelled } }
}

public struct CancelledError: Error, CustomStringConvertible, Sendable {
    public init() {}
    public var description: String { "the job was cancelled" }
}

