import CLibPQ

/// A whole, small query result (lookups, counts). Bulk data never comes through here.
public final class PGResult {
    private let res: OpaquePointer

    init(_ res: OpaquePointer) { self.res = res }
    deinit { PQclear(res) }

    public var rowCount: Int { Int(PQntuples(res)) }
    public var columnCount: Int { Int(PQnfields(res)) }
    /// Rows an INSERT, UPDATE or DELETE touched (0 for other statements).
    public var commandTuples: Int { Int(String(cString: PQcmdTuples(res))) ?? 0 }

    public func columnName(_ column: Int) -> String { String(cString: PQfname(res, Int32(column))) }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(res, Int32(row), Int32(column)) == 1 }

    /// The value as text, or nil for SQL NULL.
    public func string(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : String(cString: PQgetvalue(res, Int32(row), Int32(column)))
    }

    public func int(_ row: Int, _ column: Int) -> Int? { string(row, column).flatMap { Int($0) } }

    /// Every row as an array of optional strings — for tests and small lookups only.
    public func rows() -> [[String?]] {
        (0..<rowCount).map { r in (0..<columnCount).map { string(r, $0) } }
    }
}
