import Logging
import Foundation
import TracespoolSource
import TracespoolSpool

/// The job store on PostgreSQL (README "Many hosts"): one queue for workers and API nodes on many
/// hosts. Its SQL is `PostgresStoreSQL`; the state machine and every compare-and-set are the
/// SQLite store's. One connection per store object, used by one thread at a time under `lock` —
/// that lock is what makes the type `Sendable`.
///
/// A lost connection (the store's server restarted, a network blip) is reopened and the call
/// retried with backoff for `retrySeconds`; a write whose reply was lost is checked, not guessed:
/// a finish that committed reads back as written.
public final class PostgresJobStore: JobStore, @unchecked Sendable {
    public let url: String
    public let node: NodeIdentity
    public var isShared: Bool { true }
    public func listenForWork(logger: Logger, _ onWork: @escaping @Sendable () -> Void) -> StoreWakeListener? {
        StoreWakeListener(url: url, logger: logger, onWork: onWork)
    }
    public var location: String { "the store \(PostgresJobStore.redacted(url))" }
    /// `TRACESPOOL_STORE_RETRY_SECONDS` (default 60): how long a lost store is retried.
    public var retrySeconds = 60.0

    private let lock = NSLock()
    private var connection: PGConnection?

    /// Opens the store; it must have been migrated (`tracespool store migrate`) to this version.
    public init(url: String, node: NodeIdentity, retrySeconds: Double = 60) throws {
        self.url = url
        self.node = node
        self.retrySeconds = retrySeconds
        try locked { conn in
            let version = try PostgresJobStore.appliedVersion(conn)
            if version < PostgresStoreSQL.version {
                throw StoreError(.notMigrated, "\(location) is at version \(version), this tracespool needs \(PostgresStoreSQL.version): "
                    + "run `tracespool store migrate`")
            }
            if version > PostgresStoreSQL.version {
                throw StoreError(.unsupportedVersion, "\(location) is at version \(version); this tracespool knows up to \(PostgresStoreSQL.version)")
            }
        }
    }

    /// Applies the migrations this store lacks, in one transaction under an advisory lock (two
    /// hosts migrating at once take turns). Returns (version before, version after).
    public static func migrate(url: String) throws -> (from: Int, to: Int) {
        let conn = try connect(url)
        defer { conn.close() }
        do {
            try conn.execute("BEGIN")
            try conn.execute(PostgresStoreSQL.migrationLock)
            try conn.execute(PostgresStoreSQL.migrationsTable)
            let from = try appliedVersion(conn)
            if from > PostgresStoreSQL.version {
                throw StoreError(.unsupportedVersion, "the store is at version \(from); this tracespool knows up to \(PostgresStoreSQL.version)")
            }
            for m in PostgresStoreSQL.migrations where m.version > from {
                try conn.execute(m.sql)
                _ = try conn.query(PostgresStoreSQL.recordMigration, [String(m.version), "tracespool on \(NodeIdentity.hostName())"])
            }
            try conn.execute("COMMIT")
            return (from, PostgresStoreSQL.version)
        } catch {
            try? conn.execute("ROLLBACK")
            throw wrap(error)
        }
    }

    private static func appliedVersion(_ conn: PGConnection) throws -> Int {
        guard try conn.query(PostgresStoreSQL.hasMigrationsTable).string(0, 0) == "t" else { return 0 }
        return try conn.query(PostgresStoreSQL.appliedVersion).int(0, 0) ?? 0
    }

    static func connect(_ url: String) throws -> PGConnection {
        do {
            let conn = try PGConnection(conninfo: url)
            try conn.execute("SET application_name = 'tracespool store'; SET statement_timeout = '30s'; SET lock_timeout = '10s'")
            return conn
        } catch {
            throw wrap(error)
        }
    }

    /// The store's errors in its own codes (a connection error of libpq says SOURCE_…).
    static func wrap(_ error: Error) -> Error {
        guard let e = error as? SourceError else { return error }
        switch e.kind {
        case .unavailable, .connectionLost, .authenticationFailed:
            return StoreError(.unavailable, e.message.replacingOccurrences(of: "the source", with: "the job store"))
        case .invalidSource: return StoreError(.invalid, "TRACESPOOL_STORE: \(e.message)")
        default: return StoreError(.failed, e.message)
        }
    }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        let userInfo = url[scheme.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    /// Runs `body` on the connection, reconnecting and retrying while the store is unreachable.
    /// `body` must be safe to run again after a connection loss (each call here is one statement
    /// or one transaction, and the non-idempotent ones check what a lost reply did).
    private func locked<R>(_ body: (PGConnection) throws -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(retrySeconds)
        var delay = 0.25
        while true {
            do {
                if connection == nil || connection!.isBroken {
                    connection?.close()
                    connection = nil
                    connection = try PostgresJobStore.connect(url)
                }
                return try body(connection!)
            } catch {
                let lost = connection.map(\.isBroken) ?? true
                let wrapped = PostgresJobStore.wrap(error)
                let retryable = lost || (wrapped as? StoreError)?.kind == .unavailable
                if !retryable {
                    try? connection?.execute("ROLLBACK")
                    throw wrapped
                }
                connection?.close()
                connection = nil
                if Date().addingTimeInterval(delay) > deadline {
                    throw StoreError(.unavailable, "\(location) is unreachable: \((wrapped as? StoreError)?.message ?? "\(wrapped)")")
                }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
            }
        }
    }

    private func transaction<R>(_ conn: PGConnection, _ body: () throws -> R) throws -> R {
        try conn.execute("BEGIN")
        do {
            let r = try body()
            try conn.execute("COMMIT")
            return r
        } catch {
            try? conn.execute("ROLLBACK")
            throw error
        }
    }

    private static func affected(_ r: PGResult) -> Int { r.commandTuples }

    // MARK: JobStore

    public func submit(_ job: Submission, reuse: JobReuse) throws -> (record: JobRecord, reused: Bool) {
        let (id, reused) = try locked { conn -> (String, Bool) in
            // A submit retried after its reply was lost finds its own row.
            if try conn.query("SELECT 1 FROM jobs WHERE id = $1", [job.id]).rowCount == 1 { return (job.id, false) }
            return try transaction(conn) {
                _ = try conn.query(PostgresStoreSQL.keyLock, [job.requestKey])
                let existing: String?
                switch reuse {
                case .none: existing = nil
                case .active: existing = try conn.query(PostgresStoreSQL.activeWithKey, [job.requestKey]).string(0, 0)
                case .answering:
                    let r = try conn.query(PostgresStoreSQL.answeringWithKey, [job.requestKey, String(JobReuse.failureHoldSeconds)])
                    existing = r.rowCount > 0 ? r.string(0, 0) : nil
                }
                if let existing { return (existing, true) }
                _ = try conn.query(PostgresStoreSQL.insert, [job.id, job.profile, job.requestJSON, job.requestKey,
                                                             String(job.ttlSeconds), job.cidCount.map(String.init)])
                if let file = job.requestFile { try copyRequestLists(conn, id: job.id, from: file) }
                _ = try? conn.query(PostgresStoreSQL.notifyQueued, [job.id])
                return (job.id, false)
            }
        }
        guard let record = try get(id: id) else { throw StoreError(.failed, "job \(id) vanished from \(location)") }
        return (record, reused)
    }

    public func submitClaimed(_ job: Submission, worker: String, leaseSeconds: Double) throws -> Claim {
        try locked { conn in
            if try conn.query("SELECT 1 FROM jobs WHERE id = $1", [job.id]).rowCount == 0 {
                try transaction(conn) {
                    _ = try conn.query(PostgresStoreSQL.insertClaimed, [
                        job.id, job.profile, job.requestJSON, job.requestKey, String(job.ttlSeconds), job.cidCount.map(String.init),
                        worker, node.id, node.url, String(leaseSeconds)])
                    if let file = job.requestFile { try copyRequestLists(conn, id: job.id, from: file) }
                }
            }
            return Claim(id: job.id, worker: worker, attempt: 1, requestJSON: job.requestJSON)
        }
    }

    /// Streams the request file's lists into the store, a bounded chunk per statement.
    private func copyRequestLists(_ conn: PGConnection, id: String, from file: String) throws {
        let db = try SQLiteDatabase(path: file, mode: .readOnly)
        var lists: [String] = [], values: [String] = [], positions: [String] = []
        func flush() throws {
            guard !values.isEmpty else { return }
            _ = try conn.query(PostgresStoreSQL.insertRequestValues, [
                id, PGArrayLiteral.text(lists), PGArrayLiteral.text(values), PGArrayLiteral.text(positions)])
            lists.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            positions.removeAll(keepingCapacity: true)
        }
        try db.each("SELECT list, value, pos FROM request_values") { s in
            lists.append(s.text(0) ?? "")
            values.append(s.text(1) ?? "")
            positions.append(String(s.int(2) ?? 0))
            if values.count == 5_000 { try flush() }
        }
        try flush()
    }

    public func restoreRequestLists(id: String, to path: String) throws -> Bool {
        try locked { conn in
            // No rows is an empty request (an MSD window has no lists of values): the submit copies
            // the lists inside its own transaction, so a job row never lacks rows it had. The file
            // is written all the same — the job needs it to exist.
            try RequestFile.restore(to: path) { add in
                var after: (String, String)?
                while true {
                    let page = try conn.query(PostgresStoreSQL.requestValuesPage, [id, after?.0, after?.1, "5000"])
                    for r in 0..<page.rowCount {
                        try add(page.string(r, 0) ?? "", page.string(r, 1) ?? "", page.int(r, 2) ?? 0)
                    }
                    guard page.rowCount == 5_000 else { return }
                    after = (page.string(page.rowCount - 1, 0) ?? "", page.string(page.rowCount - 1, 1) ?? "")
                }
            }
            return true
        }
    }

    public func claim(worker: String, leaseSeconds: Double, only: String?) throws -> Claim? {
        try locked { conn in
            _ = try conn.query(PostgresStoreSQL.cancelAbandoned)
            let r = try conn.query(PostgresStoreSQL.claim, [only, worker, node.id, node.url, String(leaseSeconds)])
            guard r.rowCount == 1 else { return nil }
            return Claim(id: r.string(0, 0) ?? "", worker: worker, attempt: r.int(0, 1) ?? 0, requestJSON: r.string(0, 2) ?? "")
        }
    }

    public func heartbeat(_ claim: Claim, leaseSeconds: Double) throws -> LeaseStatus {
        try locked { conn in
            let r = try conn.query(PostgresStoreSQL.heartbeat, [claim.id, claim.worker, String(claim.attempt), String(leaseSeconds)])
            guard r.rowCount == 1 else { return .lost }
            return .held(cancelRequested: r.int(0, 0) == 1)
        }
    }

    @discardableResult
    public func progress(_ claim: Claim, stage: String?, pct: Double?, text: String?) throws -> Bool {
        try casUpdate(PostgresStoreSQL.progress, claim, [stage, pct.map { String($0) }, text])
    }

    @discardableResult
    public func finish(_ claim: Claim, _ o: JobOutcome) throws -> Bool {
        try locked { conn in
            let r = try conn.query(PostgresStoreSQL.finish, [
                claim.id, claim.worker, String(claim.attempt), o.state.rawValue, o.quality?.rawValue, o.cidCount.map(String.init),
                o.rows.map(String.init), o.warnings, o.errorCode, o.errorMessage, o.spoolFile, o.bytes.map(String.init)])
            if r.commandTuples == 1 { return true }
            // Retried after a lost reply: the first try may have committed.
            return try conn.query(PostgresStoreSQL.finishedAs, [claim.id, claim.worker, String(claim.attempt), o.state.rawValue]).rowCount == 1
        }
    }

    @discardableResult
    public func release(_ claim: Claim) throws -> Bool {
        try casUpdate(PostgresStoreSQL.release, claim, [])
    }

    private func casUpdate(_ sql: String, _ claim: Claim, _ args: [String?]) throws -> Bool {
        try locked { conn in try conn.query(sql, [claim.id, claim.worker, String(claim.attempt)] + args).commandTuples == 1 }
    }

    public func cancel(id: String) throws -> CancelAnswer {
        try locked { conn in
            if try conn.query(PostgresStoreSQL.cancelQueued, [id]).commandTuples == 1 { return .cancelled }
            if try conn.query(PostgresStoreSQL.cancelRunning, [id]).commandTuples == 1 { return .requested }
            guard let state = try conn.query(PostgresStoreSQL.stateOf, [id]).string(0, 0) else { throw JobNotFound(id: id) }
            throw JobStateConflict("job \(id) is \(state): only a queued or running job can be cancelled")
        }
    }

    public func requeue(id: String, from: JobState) throws -> Bool {
        let done = try locked { conn in try conn.query(PostgresStoreSQL.requeue, [id, from.rawValue]).commandTuples == 1 }
        if done { _ = try? locked { conn in try conn.query(PostgresStoreSQL.notifyQueued, [id]) } }
        return done
    }

    @discardableResult
    public func expire(id: String, from: JobState) throws -> Bool {
        try locked { conn in try conn.query(PostgresStoreSQL.expire, [id, from.rawValue]).commandTuples == 1 }
    }

    public func list(state: JobState?, limit: Int, after: String?) throws -> [JobRecord] {
        try locked { conn in PostgresJobStore.records(try conn.query(PostgresStoreSQL.list, [state?.rawValue, after, String(limit)])) }
    }

    public func get(id: String) throws -> JobRecord? {
        try locked { conn in PostgresJobStore.records(try conn.query(PostgresStoreSQL.get, [id])).first }
    }

    public func retentionPage(states: [JobState], expiringBy now: String?, after: RetentionCursor?, limit: Int) throws -> [JobRecord] {
        try locked { conn in
            PostgresJobStore.records(try conn.query(PostgresStoreSQL.retentionPage, [
                PGArrayLiteral.text(states.map(\.rawValue)), now, after?.finishedAt, after.map { String($0.seq) }, String(limit), node.id]))
        }
    }

    public func delete(id: String) throws {
        try locked { conn in _ = try conn.query(PostgresStoreSQL.delete, [id]) }
    }

    public func setAlias(_ alias: String, job id: String) throws {
        try locked { conn in _ = try conn.query(PostgresStoreSQL.setAlias, [alias, id]) }
    }

    public func job(alias: String) throws -> String? {
        try locked { conn in
            let r = try conn.query(PostgresStoreSQL.jobOfAlias, [alias])
            return r.rowCount > 0 ? r.string(0, 0) : nil
        }
    }

    public func aliases(job id: String) throws -> [String] {
        try locked { conn in
            let r = try conn.query(PostgresStoreSQL.aliasesOfJob, [id])
            return (0..<r.rowCount).map { r.string($0, 0) ?? "" }
        }
    }

    public func totals() throws -> (bytes: Int, takeovers: Int) {
        try locked { conn in
            let r = try conn.query(PostgresStoreSQL.totals)
            return (r.int(0, 0) ?? 0, r.int(0, 1) ?? 0)
        }
    }

    public func count(state: JobState) throws -> Int {
        try locked { conn in try conn.query(PostgresStoreSQL.countInState, [state.rawValue]).int(0, 0) ?? 0 }
    }

    /// An UPDATE that matches no row, rolled back: refused by a standby, a read-only
    /// transaction default or a role without the privilege — the writes a worker needs. One
    /// attempt on the current connection (opened if needed), never the reconnect loop.
    public func checkWritable() throws {
        lock.lock()
        defer { lock.unlock() }
        do {
            if connection == nil || connection!.isBroken {
                connection?.close()
                connection = try PostgresJobStore.connect(url)
            }
            let conn = connection!
            try conn.execute("BEGIN")
            defer { try? conn.execute("ROLLBACK") }
            _ = try conn.query(PostgresStoreSQL.writeProbe)
        } catch {
            if connection?.isBroken ?? false {
                connection?.close()
                connection = nil
            }
            throw PostgresJobStore.wrap(error)
        }
    }

    private static func records(_ r: PGResult) -> [JobRecord] {
        (0..<r.rowCount).map { i in
            func t(_ c: Int) -> String? { r.string(i, c) }
            func n(_ c: Int) -> Int? { r.int(i, c) }
            func d(_ c: Int) -> Double? { t(c).flatMap(Double.init) }
            return JobRecord(
                id: t(0) ?? "", profile: t(1) ?? "", requestJSON: t(2) ?? "", requestKey: t(3) ?? "",
                state: JobState(rawValue: t(4) ?? "") ?? .failed, attempt: n(5) ?? 0, worker: t(6),
                leaseUntil: d(7), cancelRequested: n(8) == 1, quality: t(9).flatMap(JobQuality.init(rawValue:)),
                stage: t(10), pct: d(11), progress: t(12), cidCount: n(13), rows: n(14),
                warnings: t(15), errorCode: t(16), errorMessage: t(17), createdAt: t(18) ?? "",
                startedAt: t(19), finishedAt: t(20), heartbeatAt: t(21), spoolFile: t(22),
                bytes: n(23), expiresAt: t(24), ttlSeconds: n(25) ?? 86_400, seq: n(26) ?? 0, node: t(27), nodeURL: t(28))
        }
    }
}
