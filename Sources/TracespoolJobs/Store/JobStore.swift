import Logging
import Foundation

/// The job queue behind one protocol (README "Jobs"): the runner and the commands talk only to
/// this, so a store on PostgreSQL can follow the SQLite one without touching them. Every state
/// change of a running job is a compare-and-set on (id, state, worker, attempt): a worker that lost
/// its lease can never overwrite a newer outcome.
public protocol JobStore: Sendable {
    /// Where the store is, for messages ("the catalog spool/catalog.sqlite", "the store postgresql://…").
    var location: String { get }
    /// The node this store object records as a claimed job's spool holder.
    var node: NodeIdentity { get }
    /// Whether workers of other hosts share this store (their spools are on their hosts).
    var isShared: Bool { get }
    /// Starts calling `onWork` when new work is queued, if the store can say so (PostgreSQL's
    /// LISTEN/NOTIFY); nil when it cannot, and workers only poll. Stop the listener when done.
    func listenForWork(logger: Logger, _ onWork: @escaping @Sendable () -> Void) -> StoreWakeListener?
    /// Queues a job, or returns a job with the same request key that `reuse` allows.
    func submit(_ job: Submission, reuse: JobReuse) throws -> (record: JobRecord, reused: Bool)
    /// Queues a job already claimed by `worker` (attempt 1): `run` executes it in its own process.
    func submitClaimed(_ job: Submission, worker: String, leaseSeconds: Double) throws -> Claim
    /// Takes the oldest queued job, or one whose lease expired (`only`: just that job).
    func claim(worker: String, leaseSeconds: Double, only: String?) throws -> Claim?
    /// Extends the lease; says whether a cancel was requested or the lease was lost.
    func heartbeat(_ claim: Claim, leaseSeconds: Double) throws -> LeaseStatus
    /// Stage and progress of a running job; false when the claim is stale.
    @discardableResult
    func progress(_ claim: Claim, stage: String?, pct: Double?, text: String?) throws -> Bool
    /// The outcome; false (nothing written) when the claim is stale.
    @discardableResult
    func finish(_ claim: Claim, _ outcome: JobOutcome) throws -> Bool
    /// Hands a running job back to the queue (graceful shutdown): it stays resumable.
    @discardableResult
    func release(_ claim: Claim) throws -> Bool
    /// Cancels a queued job at once; asks the worker of a running one to stop.
    func cancel(id: String) throws -> CancelAnswer
    /// Queues a finished (failed, cancelled or partial) job again, to resume or retry it.
    func requeue(id: String, from: JobState) throws -> Bool
    /// Marks a finished job `expired` (retention, before its files are unlinked).
    @discardableResult
    func expire(id: String, from: JobState) throws -> Bool
    func list(state: JobState?, limit: Int, after: String?) throws -> [JobRecord]
    func get(id: String) throws -> JobRecord?
    /// Jobs in `states`, oldest finish first, expiring by `now` if given: retention's walk.
    func retentionPage(states: [JobState], expiringBy now: String?, after: RetentionCursor?, limit: Int) throws -> [JobRecord]
    /// Removes a job's row and its aliases (its files are the caller's).
    func delete(id: String) throws
    /// Records another name of a job (a reference query id); a later job may take the name over.
    func setAlias(_ alias: String, job id: String) throws
    func job(alias: String) throws -> String?
    func aliases(job id: String) throws -> [String]
    /// Bytes of live jobs' files (as last recorded) and how many jobs took more than one attempt.
    func totals() throws -> (bytes: Int, takeovers: Int)
    func count(state: JobState) throws -> Int
    /// Rebuilds a job's request file at `path` from the store (a worker on a host that did not
    /// take the submit); false when the store keeps no lists (the SQLite store: the file is
    /// beside the catalog).
    func restoreRequestLists(id: String, to path: String) throws -> Bool
    /// Proves the store takes writes without changing anything (`/readyz`): one attempt, no
    /// reconnect loop, so a probe answers quickly while the store is down.
    func checkWritable() throws
}

/// Which existing job with the same request key a submit answers with instead of queueing one.
public enum JobReuse: Sendable {
    /// Always a new job (`--new`).
    case none
    /// The queued or running one (`submit`'s default: the same work is never queued twice).
    case active
    /// Also the newest succeeded one whose spool is still kept (the reference routes' cache), or
    /// one that failed within `failureHoldSeconds`: a front end polling the same request sees the
    /// failure; a request after that retries it.
    case answering

    /// How long a failed job answers its request (the reference cached failures 2 s, too short
    /// for a front end polling every few seconds to ever see one).
    public static let failureHoldSeconds: Double = 60
}

/// What `submit` stores: the normalised request (lists live in the request file) and its key.
public struct Submission: Sendable {
    public let id: String
    public let profile: String
    public let requestJSON: String
    public let requestKey: String
    public let ttlSeconds: Int
    public let cidCount: Int?
    /// The request file the submit wrote (its lists): a store shared by many hosts copies them.
    public var requestFile: String? = nil
}

/// A claim: the job a worker holds, under which attempt.
public struct Claim: Sendable, Equatable {
    public let id: String
    public let worker: String
    public let attempt: Int
    public let requestJSON: String
}

public enum LeaseStatus: Sendable, Equatable {
    case held(cancelRequested: Bool)
    case lost
}

public enum CancelAnswer: Sendable, Equatable {
    /// A queued job: cancelled now.
    case cancelled
    /// A running job: its worker sees the request at its next heartbeat.
    case requested
}

/// How a job ended, as its worker reports it.
public struct JobOutcome: Sendable {
    public var state: JobState
    public var quality: JobQuality?
    public var cidCount: Int?
    public var rows: Int?
    public var warnings: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var spoolFile: String?
    public var bytes: Int?

    public init(state: JobState, quality: JobQuality? = nil, cidCount: Int? = nil, rows: Int? = nil, warnings: String? = nil,
                errorCode: String? = nil, errorMessage: String? = nil, spoolFile: String? = nil, bytes: Int? = nil) {
        self.state = state
        self.quality = quality
        self.cidCount = cidCount
        self.rows = rows
        self.warnings = warnings
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.spoolFile = spoolFile
        self.bytes = bytes
    }
}

/// One job's row.
public struct JobRecord: Sendable {
    public let id: String
    public let profile: String
    public let requestJSON: String
    public let requestKey: String
    public let state: JobState
    public let attempt: Int
    public let worker: String?
    /// Unix seconds until which the worker's lease holds.
    public let leaseUntil: Double?
    public let cancelRequested: Bool
    public let quality: JobQuality?
    public let stage: String?
    public let pct: Double?
    public let progress: String?
    public let cidCount: Int?
    public let rows: Int?
    public let warnings: String?
    public let errorCode: String?
    public let errorMessage: String?
    public let createdAt: String
    public let startedAt: String?
    public let finishedAt: String?
    public let heartbeatAt: String?
    public let spoolFile: String?
    public let bytes: Int?
    public let expiresAt: String?
    public let ttlSeconds: Int
    /// Submit order.
    public let seq: Int
    /// The node whose spool folder holds the job's spool (the last one that claimed it).
    public var node: String? = nil
    /// That node's API address, for reads proxied from other API nodes.
    public var nodeURL: String? = nil

    public var retentionCursor: RetentionCursor { RetentionCursor(finishedAt: finishedAt ?? "", seq: seq) }

    /// A running job whose worker stopped renewing its lease (killed, stopped, or its host gone).
    public func leaseExpired(now: Date = Date()) -> Bool {
        state == .running && (leaseUntil ?? 0) < now.timeIntervalSince1970
    }
}

/// A job command refused because of the job's state (cancel of a finished job, resume of a job
/// whose lease is live, rm of a running job): `JOB_STATE_CONFLICT`.
public struct JobStateConflict: Error, CustomStringConvertible, Sendable {
    public let code = "JOB_STATE_CONFLICT"
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Where a retention walk stopped: (finished_at, seq) of the last job seen.
public struct RetentionCursor: Sendable {
    public let finishedAt: String
    public let seq: Int
}
