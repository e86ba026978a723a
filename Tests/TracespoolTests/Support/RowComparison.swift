import Foundation
import TracespoolSource
import TracespoolSpool

/// Rows as canonical strings so a spool table and a PostgreSQL result can be compared as
/// multisets: numerics by exact decimal value (PostgreSQL prints `12.50`, SQLite `12.5`),
/// everything else as text, NULL as a marker.
enum CanonicalRows {
    static let null = "∅NULL"

    static func canonical(_ value: String?, _ type: SpoolDomain.ColumnType) -> String {
        guard let value else { return null }
        if type == .numeric, let d = Decimal(string: value) { return "\(d)" }
        return value
    }

    /// Every row of a domain table, in `seq` order.
    static func spool(_ spool: Spool, _ domain: SpoolDomain) throws -> [[String]] {
        let cols = domain.columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
        let s = try spool.database.prepare("SELECT \(cols) FROM \(domain.tableName) ORDER BY seq")
        var out: [[String]] = []
        while try s.step() {
            out.append(domain.columns.enumerated().map { i, c in canonical(s.text(i), c.type) })
        }
        return out
    }

    /// The domain's own SELECT run in PostgreSQL in one statement over all CIDs, bound parameters.
    static func warehouse(_ c: PGConnection, _ select: String, _ domain: SpoolDomain, cids: [String], snapshotTime: String) throws -> [[String]] {
        try c.execute("SET DateStyle = 'ISO, YMD'")
        // Bind exactly the parameters the statement uses ($2, the snapshot time, only some do).
        let params: [String?] = select.contains("$2") ? [CIDList.arrayLiteral(cids), snapshotTime] : [CIDList.arrayLiteral(cids)]
        let r = try c.query(select, params)
        return (0..<r.rowCount).map { row in domain.columns.enumerated().map { i, col in canonical(r.string(row, i), col.type) } }
    }

    static func multiset(_ rows: [[String]]) -> [String: Int] {
        var m: [String: Int] = [:]
        for r in rows { m[r.joined(separator: "\u{1F}"), default: 0] += 1 }
        return m
    }
}
