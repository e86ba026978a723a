import CSQLite

/// The one wrapper around a SQLite connection; nothing else in tracespool calls SQLite.
/// It is opened `NOMUTEX`, so one connection belongs to one thread at a time — which is why the
/// type is not `Sendable`: handing it to another thread is explicit (the API's `Handoff`). The
/// one thing another thread may do is interrupt it (`interrupter()`).
public final class SQLiteDatabase {
    let db: OpaquePointer
    public let path: String
    /// Prepared statements not in use, by SQL (at most `maxIdleStatements` kinds): a connection
    /// that answers the same queries again — the job store, a spool reader the API keeps — plans
    /// each once. A statement is taken out while in use, so nested uses of one SQL never share.
    private var idleStatements: [String: [SQLiteStatement]] = [:]
    private static let maxIdleStatements = 64

    public enum Mode: Sendable { case readOnly, readWrite, create }

    public init(path: String, mode: Mode) throws {
        // Before SQLite's first open in this process: it reads SQLITE_TMPDIR only when it initializes.
        SpoolTempDirectory.useFolder(of: path)
        var handle: OpaquePointer?
        let flags: Int32
        switch mode {
        case .readOnly: flags = SQLITE_OPEN_READONLY
        case .readWrite: flags = SQLITE_OPEN_READWRITE
        case .create: flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        let rc = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw SQLiteDatabase.error(rc, "cannot open \(path): \(message)")
        }
        db = handle
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        // Readers may meet a writer's checkpoint; wait briefly instead of failing.
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close_v2(db) }

    /// How long a statement waits for another connection's lock before failing `SQLITE_BUSY`.
    public func setBusyTimeout(milliseconds: Int32) { sqlite3_busy_timeout(db, milliseconds) }

    /// Runs one or more statements without results.
    public func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(err)
            throw SQLiteDatabase.error(rc, message)
        }
    }

    public func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw SQLiteDatabase.error(rc, "\(lastMessage) in: \(sql.prefix(200))") }
        return SQLiteStatement(stmt, database: self)
    }

    /// A prepared statement of `sql`: an idle one of this connection if there is one, else new.
    /// Hand it back with `giveBack` when done (or drop it: it is finalized).
    public func takeStatement(_ sql: String) throws -> SQLiteStatement {
        if let s = idleStatements[sql]?.popLast() { return s }
        return try prepare(sql)
    }

    /// Returns a statement from `takeStatement`: reset (its read transaction ends) and unbound.
    public func giveBack(_ s: SQLiteStatement, _ sql: String) {
        s.reset()
        s.clearBindings()
        if idleStatements[sql] == nil && idleStatements.count >= SQLiteDatabase.maxIdleStatements { return }
        idleStatements[sql, default: []].append(s)
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    public func transaction<R>(_ body: () throws -> R) throws -> R {
        try execute("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try execute("COMMIT")
            return r
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// First column of the first row as text, or nil.
    public func scalarText(_ sql: String, _ args: [String?] = []) throws -> String? {
        let s = try prepare(sql)
        try s.bind(args)
        return try s.step() ? s.text(0) : nil
    }

    public func scalarInt(_ sql: String, _ args: [String?] = []) throws -> Int? {
        let s = try prepare(sql)
        try s.bind(args)
        return try s.step() ? s.int(0) : nil
    }

    public var changes: Int { Int(sqlite3_changes(db)) }

    /// Sets SQLite's process-wide soft heap limit (bytes; 0 = none) and returns the previous one;
    /// a negative value only reads it. Near the limit every page cache recycles its own pages
    /// instead of growing (and spills dirty ones), so the caches stop adding memory; nothing fails.
    @discardableResult
    public static func softHeapLimit(_ bytes: Int) -> Int {
        Int(sqlite3_soft_heap_limit64(Int64(bytes)))
    }

    /// Lowers the soft heap limit to `bytes` unless one at least as low is already set.
    public static func lowerSoftHeapLimit(to bytes: Int) {
        let current = softHeapLimit(-1)
        if current <= 0 || current > bytes { softHeapLimit(bytes) }
    }

    /// Bytes SQLite holds process-wide (page caches, sorters, temp B-trees, statements): now, and
    /// the high-water mark since the last `reset` (which starts a new one).
    public static func heapUsage(reset: Bool = false) -> (current: Int, highwater: Int) {
        var current: Int64 = 0, highwater: Int64 = 0
        sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &current, &highwater, reset ? 1 : 0)
        return (Int(current), Int(highwater))
    }

    /// Frees what this connection's page cache holds but does not need (`sqlite3_db_release_memory`):
    /// a connection kept idle between uses need not keep the pages of its last one.
    public func releaseMemory() { sqlite3_db_release_memory(db) }

    /// Interrupts a running statement from another thread (cancellation).
    public func interrupt() { sqlite3_interrupt(db) }

    /// A handle another thread may use to interrupt this connection's statement in flight.
    public func interrupter() -> SQLiteInterrupter { SQLiteInterrupter(db: db) }

    var lastMessage: String { String(cString: sqlite3_errmsg(db)) }

    static func error(_ rc: Int32, _ message: String) -> SpoolError {
        switch rc & 0xFF {
        case SQLITE_FULL: return SpoolError(.diskFull, "disk full: \(message)")
        case SQLITE_NOTADB: return SpoolError(.notASpool, "not a SQLite database: \(message)")
        case SQLITE_CORRUPT: return SpoolError(.corrupt, "spool is corrupted: \(message)")
        case SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM:
            return SpoolError(.unwritable, message)
        case SQLITE_IOERR:
            return SpoolError(.unwritable, "I/O error: \(message)")
        default: return SpoolError(.failed, message)
        }
    }
}

/// Interrupts one connection from another thread. `sqlite3_interrupt` is documented as safe to
/// call from any thread while the connection is open; the owner removes its hook before closing
/// the connection — that is what makes this handle `Sendable`.
public struct SQLiteInterrupter: @unchecked Sendable {
    let db: OpaquePointer
    public func interrupt() { sqlite3_interrupt(db) }
}
