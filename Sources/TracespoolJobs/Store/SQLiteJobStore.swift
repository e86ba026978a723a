import Logging
import Foundation
import TracespoolSpool

/// The job store on SQLite: `catalog.sqlite` in the spool folder (README "Jobs"). Several worker
/// processes on one host share it; every write is one short `BEGIN IMMEDIATE` transaction, and
/// the SQL is in `CatalogSQL`. The connection is opened `NOMUTEX`, so a lock serialises the
/// threads of one process (a job's thread and its lease keeper) — that lock is what makes the
/// type `Sendable`.
public final class SQLiteJobStore: JobStore, @unchecked Sendable {
    public let folder: String
    public let node: NodeIdentity
    /// One host's catalog (several processes of one host may share it, never several hosts).
    public var isShared: Bool { false }
    /// One host's catalog has no notifications: workers in other processes find new jobs by polling
    /// (`worker --poll-ms`).
    public func listenForWork(logger: Logger, _ onWork: @escaping @Sendable () -> Void) -> StoreWakeListener? { nil }
    public var location: String { "the catalog \(SQLiteJobStore.path(in: folder))" }
    private let database: SQLiteDatabase
    private let lock = NSLock()

    public static func path(in folder: String) -> String { folder + "/catalog.sqlite" }

    /// Opens (creating or migrating) the catalog of a spool folder, for writing.
    public init(folder: String, node: NodeIdentity = NodeIdentity(id: NodeIdentity.hostName(), url: nil)) throws {
        self.folder = folder
        self.node = node
        database = try SQLiteDatabase(path: SQLiteJobStore.path(in: folder), mode: .create)
        // A handful of rows per job: a small page cache keeps the process's memory for the spool.
        // Several workers write it: wait for each other's short transactions rather than fail.
        try database.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -256; PRAGMA busy_timeout = 30000;")
        try migrate()
    }

    /// Opens an existing catalog read-only — for readers (`export`, `msd`, `jobs show`), which
    /// never create or migrate it. Nil when there is none, or it is of another version.
    private init(readOnlyFolder folder: String) throws {
        self.folder = folder
        node = NodeIdentity(id: NodeIdentity.hostName(), url: nil)
        database = try SQLiteDatabase(path: SQLiteJobStore.path(in: folder), mode: .readOnly)
        try database.execute("PRAGMA cache_size = -256; PRAGMA busy_timeout = 5000;")
    }

    public static func reading(folder: String) -> SQLiteJobStore? {
        guard FileManager.default.fileExists(atPath: path(in: folder)),
              let store = try? SQLiteJobStore(readOnlyFolder: folder),
              (try? store.database.scalarInt("PRAGMA user_version")) == CatalogSQL.version else { return nil }
        return store
    }

    private func migrate() throws {
        try database.transaction {
            let version = try database.scalarInt("PRAGMA user_version") ?? 0
            if version > CatalogSQL.version {
                throw SpoolError(.unsupportedVersion, "\(SQLiteJobStore.path(in: folder)) has catalog version \(version); "
                    + "this tracespool knows up to \(CatalogSQL.version)")
            }
            if version == CatalogSQL.version { return }
            // Version 0 with a jobs table is a catalog of tracespool ≤ 0.9; 2 → 3 only adds tables
            // and indexes (`schema` is all `IF NOT EXISTS`), 3 → 4 two columns.
            let hasJobs = try database.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'jobs'") == 1
            let hasV1 = version == 0 && hasJobs
            if (2...3).contains(version) { try database.execute(CatalogSQL.addNodeColumns) }
            try database.execute(hasV1 ? CatalogSQL.migrateFromV1 : CatalogSQL.schema)
            try database.execute("PRAGMA user_version = \(CatalogSQL.version)")
        }
    }

    private func locked<R>(_ body: () throws -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private static func now() -> (unix: Double, iso: String) {
        let d = Date()
        return (d.timeIntervalSince1970, UTCTime.iso(d))
    }

    // MARK: JobStore

    public func submit(_ job: Submission, reuse: JobReuse) throws -> (record: JobRecord, reused: Bool) {
        let (id, reused) = try locked { () throws -> (String, Bool) in
            try database.transaction {
                let existing: String?
                switch reuse {
                case .none: existing = nil
                case .active: existing = try database.scalarText(CatalogSQL.activeWithKey, [job.requestKey])
                case .answering:
                    let since = UTCTime.iso(Date(timeIntervalSinceNow: -JobReuse.failureHoldSeconds))
                    existing = try database.scalarText(CatalogSQL.answeringWithKey, [job.requestKey, since])
                }
                if let existing { return (existing, true) }
                try database.run(CatalogSQL.insert, [.text(job.id), .text(job.profile), .text(job.requestJSON),
                    .text(job.requestKey), .text(SQLiteJobStore.now().iso), .int(job.ttlSeconds), .int(job.cidCount)])
                return (job.id, false)
            }
        }
        guard let record = try get(id: id) else { throw SpoolError(.failed, "job \(id) vanished from the catalog") }
        return (record, reused)
    }

    public func submitClaimed(_ job: Submission, worker: String, leaseSeconds: Double) throws -> Claim {
        try locked {
            try database.transaction {
                let now = SQLiteJobStore.now()
                try database.run(CatalogSQL.insertClaimed, [.text(job.id), .text(job.profile), .text(job.requestJSON), .text(job.requestKey),
                    .text(now.iso), .int(job.ttlSeconds), .int(job.cidCount), .text(worker), .real(now.unix), .real(leaseSeconds), .text(node.id), .text(node.url)])
                return Claim(id: job.id, worker: worker, attempt: 1, requestJSON: job.requestJSON)
            }
        }
    }

    public func claim(worker: String, leaseSeconds: Double, only: String?) throws -> Claim? {
        try locked {
            try database.transaction {
                let now = SQLiteJobStore.now()
                try database.run(CatalogSQL.cancelAbandoned, [.real(now.unix), .text(now.iso)])
                let s = try database.prepare(CatalogSQL.claim)
                s.bindAll([.real(now.unix), .text(worker), .real(leaseSeconds), .text(now.iso), .text(only), .text(node.id), .text(node.url)])
                guard try s.step() else { return nil }
                let claim = Claim(id: s.text(0) ?? "", worker: worker, attempt: s.int(1) ?? 0, requestJSON: s.text(2) ?? "")
                while try s.step() {}
                return claim
            }
        }
    }

    public func heartbeat(_ claim: Claim, leaseSeconds: Double) throws -> LeaseStatus {
        try locked {
            try database.transaction {
                let now = SQLiteJobStore.now()
                let s = try database.prepare(CatalogSQL.heartbeat)
                s.bindAll([.text(claim.id), .text(claim.worker), .int(claim.attempt), .real(now.unix), .real(leaseSeconds), .text(now.iso)])
                guard try s.step() else { return .lost }
                let cancel = s.int(0) == 1
                while try s.step() {}
                return .held(cancelRequested: cancel)
            }
        }
    }

    @discardableResult
    public func progress(_ claim: Claim, stage: String?, pct: Double?, text: String?) throws -> Bool {
        try casUpdate(CatalogSQL.progress, claim, [.text(stage), .real(pct), .text(text)])
    }

    @discardableResult
    public func finish(_ claim: Claim, _ o: JobOutcome) throws -> Bool {
        let now = SQLiteJobStore.now()
        return try casUpdate(CatalogSQL.finish, claim, [
            .text(o.state.rawValue), .text(o.quality?.rawValue), .int(o.cidCount), .int(o.rows), .text(o.warnings),
            .text(o.errorCode), .text(o.errorMessage), .text(o.spoolFile), .int(o.bytes), .text(now.iso), .real(now.unix)])
    }

    @discardableResult
    public func release(_ claim: Claim) throws -> Bool {
        try casUpdate(CatalogSQL.release, claim, [])
    }

    private func casUpdate(_ sql: String, _ claim: Claim, _ args: [SQLArg]) throws -> Bool {
        try locked {
            try database.transaction {
                try database.run(sql, [.text(claim.id), .text(claim.worker), .int(claim.attempt)] + args)
                return database.changes == 1
            }
        }
    }

    public func cancel(id: String) throws -> CancelAnswer {
        try locked {
            try database.transaction {
                let now = SQLiteJobStore.now()
                try database.run(CatalogSQL.cancelQueued, [.text(id), .text(now.iso), .real(now.unix)])
                if database.changes == 1 { return .cancelled }
                try database.run(CatalogSQL.cancelRunning, [.text(id)])
                if database.changes == 1 { return .requested }
                let state = try database.scalarText("SELECT state FROM jobs WHERE id = ?1", [id])
                guard let state else { throw JobNotFound(id: id) }
                throw JobStateConflict("job \(id) is \(state): only a queued or running job can be cancelled")
            }
        }
    }

    public func requeue(id: String, from: JobState) throws -> Bool {
        try locked {
            try database.transaction {
                try database.run(CatalogSQL.requeue, [.text(id), .text(from.rawValue)])
                return database.changes == 1
            }
        }
    }

    @discardableResult
    public func expire(id: String, from: JobState) throws -> Bool {
        try locked {
            try database.transaction {
                try database.run(CatalogSQL.expire, [.text(id), .text(from.rawValue)])
                return database.changes == 1
            }
        }
    }

    public func list(state: JobState?, limit: Int, after: String?) throws -> [JobRecord] {
        try locked { try database.rows(CatalogSQL.list, [.text(state?.rawValue), .text(after), .int(limit)], SQLiteJobStore.record) }
    }

    public func totals() throws -> (bytes: Int, takeovers: Int) {
        try locked {
            let bytes = try database.scalarInt("SELECT coalesce(sum(bytes), 0) FROM jobs WHERE state <> 'expired'") ?? 0
            let takeovers = try database.scalarInt("SELECT count(*) FROM jobs WHERE attempt > 1") ?? 0
            return (bytes, takeovers)
        }
    }

    public func count(state: JobState) throws -> Int {
        try locked { try database.scalarInt("SELECT count(*) FROM jobs WHERE state = ?1", [state.rawValue]) ?? 0 }
    }

    /// `BEGIN IMMEDIATE` takes the catalog's write lock (it fails on a read-only file or mount);
    /// the empty transaction then commits nothing.
    public func checkWritable() throws {
        try locked { try database.transaction {} }
    }

    /// The request file is beside the catalog; there is nothing else to restore it from.
    public func restoreRequestLists(id: String, to path: String) throws -> Bool { false }

    public func get(id: String) throws -> JobRecord? {
        try locked { try database.rows(CatalogSQL.get, [.text(id)], SQLiteJobStore.record).first }
    }

    public func delete(id: String) throws {
        try locked {
            try database.transaction {
                try database.run(CatalogSQL.deleteAliases, [.text(id)])
                try database.run(CatalogSQL.delete, [.text(id)])
            }
        }
    }

    public func setAlias(_ alias: String, job id: String) throws {
        try locked { try database.transaction { try database.run(CatalogSQL.setAlias, [.text(alias), .text(id)]) } }
    }

    public func job(alias: String) throws -> String? {
        try locked { try database.scalarText(CatalogSQL.jobOfAlias, [alias]) }
    }

    public func aliases(job id: String) throws -> [String] {
        try locked { try database.rows(CatalogSQL.aliasesOfJob, [.text(id)]) { $0.text(0) ?? "" } }
    }

    public func retentionPage(states: [JobState], expiringBy now: String?, after: RetentionCursor?, limit: Int) throws -> [JobRecord] {
        let list = states.map(\.rawValue).joined(separator: ",")
        return try locked {
            try database.rows(CatalogSQL.retentionPage, [.text(list), .text(now), .text(after?.finishedAt), .int(after?.seq), .int(limit)],
                              SQLiteJobStore.record)
        }
    }

    private static func record(_ s: SQLiteStatement) -> JobRecord {
        JobRecord(
            id: s.text(0) ?? "", profile: s.text(1) ?? "", requestJSON: s.text(2) ?? "", requestKey: s.text(3) ?? "",
            state: JobState(rawValue: s.text(4) ?? "") ?? .failed, attempt: s.int(5) ?? 0, worker: s.text(6),
            leaseUntil: s.double(7), cancelRequested: s.int(8) == 1, quality: s.text(9).flatMap(JobQuality.init(rawValue:)),
            stage: s.text(10), pct: s.double(11), progress: s.text(12), cidCount: s.int(13), rows: s.int(14),
            warnings: s.text(15), errorCode: s.text(16), errorMessage: s.text(17), createdAt: s.text(18) ?? "",
            startedAt: s.text(19), finishedAt: s.text(20), heartbeatAt: s.text(21), spoolFile: s.text(22),
            bytes: s.int(23), expiresAt: s.text(24), ttlSeconds: s.int(25) ?? 86_400, seq: s.int(26) ?? 0,
            node: s.text(27), nodeURL: s.text(28))
    }
}

/// No job of that id in the store: `JOB_NOT_FOUND`.
public struct JobNotFound: Error, CustomStringConvertible, Sendable {
    public let code = "JOB_NOT_FOUND"
    public let id: String
    public var message: String { "no job \(id)" }
    public var description: String { message }
}
