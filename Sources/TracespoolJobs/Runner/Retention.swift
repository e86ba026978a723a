import Foundation
import Logging
import TracespoolSpool

/// Retention (README "Jobs"): a finished job's spool lives until `expires_at` (finish +
/// `TRACE_JOB_TTL_SECONDS`, default 86400); when the spool folder holds more than
/// `TRACESPOOL_SPOOL_MAX_BYTES` (default 10 GiB) the oldest finished jobs go first. A queued or
/// running job's files are never touched. A job is marked `expired` before its files are unlinked,
/// so a crash in between leaves an expired job whose files the next collection removes:
/// collecting is idempotent.
public struct Retention {
    public let store: any JobStore
    public let spoolDir: String
    public var maxBytes: Int64
    /// `TRACESPOOL_SPOOL_SHARED=1`: every node mounts this folder, so files of other nodes' jobs
    /// are theirs to collect, not leftovers of ours.
    public var sharedFolder = false

    public static let defaultMaxBytes: Int64 = 10 << 30
    /// A file younger than this is never taken for a leftover: its job's submit may still be
    /// inserting the row.
    public static let orphanAgeSeconds = 600.0

    public init(store: any JobStore, spoolDir: String, environment env: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.store = store
        self.spoolDir = spoolDir
        maxBytes = Retention.defaultMaxBytes
        if let raw = env["TRACESPOOL_SPOOL_MAX_BYTES"] {
            guard let v = Int64(raw), v >= 0 else {
                throw JobConfigError(message: "TRACESPOOL_SPOOL_MAX_BYTES=\(raw) is not a byte count")
            }
            maxBytes = v
        }
        sharedFolder = env["TRACESPOOL_SPOOL_SHARED"] == "1"
    }

    public struct Report: Sendable {
        /// Jobs past their expiry.
        public var expired: [String] = []
        /// Jobs evicted by the size cap, oldest first.
        public var evicted: [String] = []
        /// Expired jobs whose files an earlier collection had not removed, and (a shared store)
        /// files of jobs that now live on another node or whose row was removed there.
        public var cleaned: [String] = []
        public var freedBytes = 0
        /// Bytes of every job's files left after collection.
        public var keptBytes = 0
    }

    /// One collection. With `dryRun` nothing changes; the report says what would.
    public func collect(now: Date = Date(), dryRun: Bool = false) throws -> Report {
        var report = Report()
        let nowISO = UTCTime.iso(now)
        var gone = Set<String>()
        func drop(_ job: JobRecord) throws -> Bool {
            let bytes = JobFiles.bytes(spoolDir: spoolDir, id: job.id)
            if !dryRun {
                guard try store.expire(id: job.id, from: job.state) else { return false }
                JobFiles.remove(spoolDir: spoolDir, id: job.id)
            }
            report.freedBytes += bytes
            gone.insert(job.id)
            return true
        }
        // Expired rows whose files survived (a crash between the two steps).
        try walk([.expired], expiringBy: nil) { job in
            guard JobFiles.exist(spoolDir: spoolDir, id: job.id) else { return }
            report.freedBytes += JobFiles.bytes(spoolDir: spoolDir, id: job.id)
            if !dryRun { JobFiles.remove(spoolDir: spoolDir, id: job.id) }
            report.cleaned.append(job.id)
        }
        // A shared store: this node's spool folder holds only its own jobs' files; another node
        // took over (and restarted) a job whose earlier attempt ran here, or removed its row.
        if store.isShared && !sharedFolder {
            try JobFiles.forEachJob(in: spoolDir, olderThan: now.addingTimeInterval(-Retention.orphanAgeSeconds)) { id in
                guard JobFiles.exist(spoolDir: spoolDir, id: id) else { return }
                let job = try store.get(id: id)
                guard job == nil || (job?.node != nil && job?.node != store.node.id) else { return }
                report.freedBytes += JobFiles.bytes(spoolDir: spoolDir, id: id)
                if !dryRun { JobFiles.remove(spoolDir: spoolDir, id: id) }
                report.cleaned.append(id)
            }
        }
        // Past their time.
        try walk([.succeeded, .failed, .cancelled], expiringBy: nowISO) { job in
            if try drop(job) { report.expired.append(job.id) }
        }
        // The size cap: total the files of every live job, then evict oldest-finished first.
        var total = 0
        try walk(JobState.allCases.filter { $0 != .expired }, expiringBy: nil) { job in
            if !gone.contains(job.id) { total += JobFiles.bytes(spoolDir: spoolDir, id: job.id) }
        }
        if Int64(total) > maxBytes {
            try walk([.succeeded, .failed, .cancelled], expiringBy: nil) { job in
                guard Int64(total) > maxBytes, !gone.contains(job.id) else { return }
                let bytes = JobFiles.bytes(spoolDir: spoolDir, id: job.id)
                if try drop(job) {
                    report.evicted.append(job.id)
                    total -= bytes
                }
            }
        }
        report.keptBytes = total
        return report
    }

    /// Walks jobs in retention order one page at a time (the catalog is never read whole).
    private func walk(_ states: [JobState], expiringBy: String?, _ body: (JobRecord) throws -> Void) throws {
        var after: RetentionCursor?
        while true {
            let page = try store.retentionPage(states: states, expiringBy: expiringBy, after: after, limit: 200)
            for job in page { try body(job) }
            guard page.count == 200, let last = page.last else { return }
            after = last.retentionCursor
        }
    }
}

/// A job setting in the environment that is not valid.
public struct JobConfigError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
