import CSQLite

/// A prepared statement. Bind methods that take raw bytes use `SQLITE_STATIC`: the caller keeps the
/// bytes alive until the statement is stepped (the spool writer binds straight from its row block).
public final class SQLiteStatement {
    let stmt: OpaquePointer
    unowned let database: SQLiteDatabase

    init(_ stmt: OpaquePointer, database: SQLiteDatabase) {
        self.stmt = stmt
        self.database = database
    }

    deinit { sqlite3_finalize(stmt) }

    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(stmt)) }

    @inline(__always)
    public func bindBytes(_ index: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) {
        if let bytes, count >= 0 {
            sqlite3_bind_text(stmt, index, bytes.assumingMemoryBound(to: CChar.self), Int32(count), nil)
        } else {
            sqlite3_bind_null(stmt, index)
        }
    }

    public func bind(_ index: Int32, _ value: String?) {
        if let value {
            sqlite3_bind_text(stmt, index, value, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        } else {
            sqlite3_bind_null(stmt, index)
        }
    }

    public func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(stmt, index, Int64(value)) }
    public func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(stmt, index, value) }

    public func bind(_ values: [String?]) throws {
        for (i, v) in values.enumerated() { bind(Int32(i + 1), v) }
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw SQLiteDatabase.error(sqlite3_extended_errcode(database.db), database.lastMessage)
    }

    /// Makes the statement runnable again; bindings stay (the next row rebinds every slot).
    public func reset() { sqlite3_reset(stmt) }
    public func clearBindings() { sqlite3_clear_bindings(stmt) }

    public var columnCount: Int { Int(sqlite3_column_count(stmt)) }
    public func columnName(_ i: Int) -> String { String(cString: sqlite3_column_name(stmt, Int32(i))) }

    public enum ValueType { case integer, real, text, blob, null }

    public func type(_ i: Int) -> ValueType {
        switch sqlite3_column_type(stmt, Int32(i)) {
        case SQLITE_INTEGER: return .integer
        case SQLITE_FLOAT: return .real
        case SQLITE_TEXT: return .text
        case SQLITE_BLOB: return .blob
        default: return .null
        }
    }

    public func text(_ i: Int) -> String? {
        guard let p = sqlite3_column_text(stmt, Int32(i)) else { return nil }
        return String(cString: p)
    }

    public func int(_ i: Int) -> Int? {
        sqlite3_column_type(stmt, Int32(i)) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(stmt, Int32(i)))
    }

    public func double(_ i: Int) -> Double? {
        sqlite3_column_type(stmt, Int32(i)) == SQLITE_NULL ? nil : sqlite3_column_double(stmt, Int32(i))
    }

    /// The column's text bytes without copying, valid until the next step/reset. For serializers.
    @inline(__always)
    public func rawText(_ i: Int) -> UnsafeRawBufferPointer? {
        guard let p = sqlite3_column_text(stmt, Int32(i)) else { return nil }
        return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, Int32(i))))
    }

    @inline(__always)
    public func rawInt64(_ i: Int) -> Int64 { sqlite3_column_int64(stmt, Int32(i)) }
    @inline(__always)
    public func rawDouble(_ i: Int) -> Double { sqlite3_column_double(stmt, Int32(i)) }

    /// A column's value as the serializers need it: its storage class with the number or the
    /// text bytes (zero-copy, valid until the next step/reset).
    public enum Cell {
        case null
        case integer(Int64)
        case real(Double)
        /// TEXT (and BLOB) bytes.
        case text(UnsafeRawBufferPointer)
    }

    /// Column `i` with one column call and light value accessors (the `sqlite3_column_*` trio
    /// per value costs a third of an export). `sqlite3_column_value` is "unprotected", i.e. not
    /// for use from another thread — a statement belongs to one thread here anyway.
    @inline(__always)
    public func cell(_ i: Int) -> Cell {
        guard let v = sqlite3_column_value(stmt, Int32(i)) else { return .null }
        switch sqlite3_value_type(v) {
        case SQLITE_INTEGER: return .integer(sqlite3_value_int64(v))
        case SQLITE_FLOAT: return .real(sqlite3_value_double(v))
        case SQLITE_TEXT, SQLITE_BLOB:
            guard let p = sqlite3_value_text(v) else { return .null }
            return .text(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_value_bytes(v))))
        default: return .null
        }
    }
}
