import Foundation

/// One job's spool file: `<spool-dir>/<job-id>.sqlite`. Opening checks that it is a tracespool
/// spool of a version we understand, so a copied file can be read without the catalog.
public final class Spool {
    public let database: SQLiteDatabase
    public let path: String
    /// The attempt of the job this connection writes for (`takeFence`); nil for readers.
    public private(set) var fenceAttempt: Int?
    static let fenceKey = "lease.attempt"

    /// Settings every spool connection uses: a fixed, small page cache (it also caps the sorter's
    /// memory), temp files on disk (never `temp_store=MEMORY`), WAL so readers see committed
    /// batches while the job writes.
    static let connectionPragmas = """
        PRAGMA cache_size = -2048;
        PRAGMA temp_store = FILE;
        PRAGMA foreign_keys = OFF;
        """
    /// A read-only connection's cache (after `connectionPragmas`): 512 KiB.
    static let readerPragmas = "PRAGMA cache_size = -512;"

    private init(database: SQLiteDatabase) {
        self.database = database
        path = database.path
    }

    /// Creates a new spool file (fails if it exists) with the base tables and the given domains.
    public static func create(at path: String, domains: [SpoolDomain]) throws -> Spool {
        if FileManager.default.fileExists(atPath: path) {
            throw SpoolError(.unwritable, "spool file already exists: \(path)")
        }
        let db = try SQLiteDatabase(path: path, mode: .create)
        let spool = Spool(database: db)
        do {
            try db.execute("""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                PRAGMA application_id = \(SpoolSchema.applicationId);
                PRAGMA user_version = \(SpoolSchema.version);
                \(connectionPragmas)
                """)
            try db.transaction {
                try db.execute(SpoolSchema.base)
                try db.execute(SpoolSchema.stageTables)
                for (i, d) in domains.enumerated() {
                    try db.execute(SpoolSchema.domainTable(d))
                    try db.execute("INSERT INTO domains(domain, position) VALUES ('\(d.name)', \(i))")
                }
                try spool.setMeta("schema_version", String(SpoolSchema.version))
            }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return spool
    }

    /// Opens an existing spool, read-only or for writing (resume), after checking what it is.
    public static func open(at path: String, readOnly: Bool = true) throws -> Spool {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SpoolError(.notASpool, "no such spool file: \(path)")
        }
        let db = try SQLiteDatabase(path: path, mode: readOnly ? .readOnly : .readWrite)
        do {
            try db.execute(connectionPragmas)
            // A reader walks forward through a keyset and never returns to a page it passed, so a
            // large cache only holds resident memory: a server has one reader per page request
            // and per stream (README "HTTP API": 40 at once under load). Interior pages fit.
            if readOnly { try db.execute(readerPragmas) }
            let app = try db.scalarInt("PRAGMA application_id") ?? 0
            guard app == Int(SpoolSchema.applicationId) else {
                throw SpoolError(.notASpool, "\(path) is a SQLite file but not a tracespool spool")
            }
            let version = try db.scalarInt("PRAGMA user_version") ?? 0
            guard version <= SpoolSchema.version else {
                throw SpoolError(.unsupportedVersion,
                    "\(path) has spool schema version \(version); this tracespool reads up to \(SpoolSchema.version)")
            }
            // Touch every base table so a truncated file fails here, not halfway through an export.
            _ = try db.scalarInt("SELECT count(*) FROM meta")
            _ = try db.scalarInt("SELECT count(*) FROM domains")
            _ = try db.scalarInt("SELECT count(*) FROM ledger")
        } catch let e as SpoolError where e.kind == .failed {
            throw SpoolError(.corrupt, "\(path) is damaged or incomplete: \(e.message)")
        }
        return Spool(database: db)
    }

    // MARK: fence

    /// Makes this connection the spool's only writer for `attempt` of its job: a worker that lost
    /// its lease and comes back (a stopped process continued) finds a newer attempt here at its
    /// next commit and stands down — its rows are rolled back with the transaction that tried.
    /// Waits for the write lock a stale worker may still hold, up to `lockWaitSeconds`.
    public func takeFence(attempt: Int, lockWaitSeconds: Int) throws {
        database.setBusyTimeout(milliseconds: Int32(clamping: lockWaitSeconds * 1000))
        do {
            try database.transaction { try writeMeta(Spool.fenceKey, String(attempt)) }
        } catch let e as SpoolError where e.message.contains("locked") || e.message.contains("busy") {
            throw SpoolError(.locked, "\(path) stayed locked by another process for \(lockWaitSeconds) s: \(e.message)")
        }
        fenceAttempt = attempt
    }

    /// Throws `SPOOL_LEASE_LOST` when another attempt took the spool over. Cheap (one key lookup):
    /// called inside every batch's transaction and every meta write.
    public func checkFence() throws {
        guard let mine = fenceAttempt else { return }
        let current = try database.scalarText("SELECT value FROM meta WHERE key = ?1", [Spool.fenceKey])
        if current != String(mine) {
            throw SpoolError(.leaseLost, "attempt \(current ?? "?") of this job owns \(path) now; attempt \(mine) stands down")
        }
    }

    // MARK: meta

    public func setMeta(_ key: String, _ value: String?) throws {
        try checkFence()
        try writeMeta(key, value)
    }

    private func writeMeta(_ key: String, _ value: String?) throws {
        let s = try database.prepare("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        try s.bind([key, value])
        try s.step()
    }

    public func meta(_ key: String) throws -> String? {
        try database.scalarText("SELECT value FROM meta WHERE key = ?1", [key])
    }

    public func allMeta() throws -> [(String, String?)] {
        let s = try database.prepare("SELECT key, value FROM meta ORDER BY key")
        var out: [(String, String?)] = []
        while try s.step() { out.append((s.text(0) ?? "", s.text(1))) }
        return out
    }

    // MARK: domains

    /// The job's domains in request order.
    public func domains() throws -> [SpoolDomain] {
        let s = try database.prepare("SELECT domain FROM domains ORDER BY position")
        var out: [SpoolDomain] = []
        while try s.step() {
            let name = s.text(0) ?? ""
            guard let d = SpoolDomain.named(name) else {
                throw SpoolError(.unsupportedVersion, "spool holds unknown domain \"\(name)\"")
            }
            out.append(d)
        }
        return out
    }

    /// Creates a typed stage table (detection, resources) that is not one of the job's domains.
    public func createTable(_ table: SpoolDomain) throws {
        try database.execute(SpoolSchema.domainTable(table))
    }

    public func rowCount(_ domain: SpoolDomain) throws -> Int {
        try database.scalarInt("SELECT count(*) FROM \(domain.tableName)") ?? 0
    }

    /// Builds the CID index of a loaded stage table.
    public func indexByCID(_ table: SpoolDomain) throws {
        try database.execute(SpoolSchema.domainIndex(table))
    }

    /// Builds the CID index of a loaded domain and records its row count and status.
    public func finishDomain(_ domain: SpoolDomain, status: String) throws {
        try checkFence()
        try database.execute(SpoolSchema.domainIndex(domain))
        let rows = try rowCount(domain)
        let s = try database.prepare("UPDATE domains SET rows = ?2, status = ?3 WHERE domain = ?1")
        try s.bind([domain.name, String(rows), status])
        try s.step()
    }

    // MARK: trace CIDs

    /// Stores the CIDs `produce` hands to `add` (deduplicated by the primary key, sorted by it);
    /// returns how many were repeats.
    @discardableResult
    public func storeTraceCIDs(_ produce: ((String) throws -> Void) throws -> Void) throws -> Int {
        try database.transaction {
            let s = try database.prepare("INSERT OR IGNORE INTO trace_cids(cid) VALUES (?1)")
            var repeats = 0
            try produce { c in
                s.bind(1, c)
                try s.step()
                if database.changes == 0 { repeats += 1 }
                s.reset()
            }
            return repeats
        }
    }

    public var fileBytes: Int {
        let a = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let w = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        return a + w
    }

    /// Folds the WAL into the main file so the spool is one self-contained file to copy.
    public func checkpoint() throws {
        try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Leaves WAL mode for a rollback journal (`DELETE`) once the job has written everything: the
    /// spool becomes one file, and read-only readers open it without creating `-wal`/`-shm`. A job
    /// still running stays in WAL (readers see committed batches without blocking it). If a reader
    /// holds the file open right now SQLite keeps WAL; that is harmless, so it is not an error.
    public func leaveWAL() {
        _ = try? database.scalarText("PRAGMA journal_mode = DELETE")
    }
}

/// SQLite's sorter and temporary B-trees spill to files; keep them beside the spool on real disk
/// (a RAM-backed /tmp would turn "spill to disk" into RAM). SQLite reads `SQLITE_TMPDIR` once, when
/// it initializes, so this runs before the process's first open (`SQLiteDatabase.init`): the folder
/// of the first database opened — the catalog or a spool, both in the spool folder — unless the
/// user chose `SQLITE_TMPDIR` themselves. (Set later, as it was from `Spool.create`, it was ignored:
/// a `run`'s temp files went to /var/tmp.)
enum SpoolTempDirectory {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var chosen = false

    static func useFolder(of path: String) {
        lock.lock()
        defer { lock.unlock() }
        guard !chosen else { return }
        chosen = true
        if ProcessInfo.processInfo.environment["SQLITE_TMPDIR"] == nil {
            let folder = (path as NSString).deletingLastPathComponent
            setenv("SQLITE_TMPDIR", folder.isEmpty ? "." : folder, 1)
        }
    }
}
