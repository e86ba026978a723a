import Foundation
import TracespoolSource
import TracespoolSpool

/// The batches a stage runs and the statement parameters of each. Items are small (bounds and a
/// count); the members of a batch are read only when the fetch thread runs it, so a stage over
/// 115 000 CIDs never holds the CID set in memory.
public struct BatchPlan: Sendable {
    public struct Item: Sendable {
        public let first: String
        public let last: String
        public let count: Int
        public init(first: String, last: String, count: Int) {
            self.first = first
            self.last = last
            self.count = count
        }
    }

    public let items: [Item]

    public init(items: [Item], parameters: @escaping @Sendable (Int, Item, BatchMembers) throws -> [String?]) {
        self.items = items
        self.parameters = parameters
    }

    /// Parameters `$1…` of an item's statement; runs on the fetch thread.
    public let parameters: @Sendable (Int, Item, BatchMembers) throws -> [String?]

    /// Batches over the sorted keys of a spool table column (a primary key, so distinct and
    /// indexed): `$1` = the batch as an array literal, then `extra`.
    public static func keys(spool: Spool, table: String, column: String, size: Int, extra: [String?]) throws -> BatchPlan {
        let s = try spool.database.prepare("SELECT \(column) FROM \(table) WHERE \(column) IS NOT NULL ORDER BY \(column)")
        var items: [Item] = []
        var first: String?
        var last = ""
        var n = 0
        while try s.step() {
            let k = s.text(0) ?? ""
            if first == nil { first = k }
            last = k
            n += 1
            if n == size {
                items.append(Item(first: first!, last: last, count: n))
                first = nil
                n = 0
            }
        }
        if let f = first { items.append(Item(first: f, last: last, count: n)) }
        let path = spool.path
        let query = "SELECT \(column) FROM \(table) WHERE \(column) BETWEEN ?1 AND ?2 ORDER BY \(column)"
        return BatchPlan(items: items) { _, item, members in
            [try members.arrayLiteral(path: path, query: query, item: item)] + extra
        }
    }

    /// The same batches with one more parameter per batch: the array of `query`'s values for the
    /// batch's key range (`?1`, `?2` = its first and last key), read from the spool on the fetch thread.
    public func adding(membersOf query: String, spoolPath: String) -> BatchPlan {
        let base = parameters
        return BatchPlan(items: items) { index, item, members in
            try base(index, item, members) + [try members.arrayLiteral(path: spoolPath, query: query, item: item)]
        }
    }

    /// Batches over values held by the caller (user input: at most what the user typed).
    public static func values(_ values: [String], size: Int, extra: [String?]) -> BatchPlan {
        let chunks = stride(from: 0, to: values.count, by: max(1, size)).map { Array(values[$0..<min($0 + size, values.count)]) }
        let items = chunks.map { Item(first: $0.first!, last: $0.last!, count: $0.count) }
        let literals = chunks.map { PGArrayLiteral.text($0) }
        return BatchPlan(items: items) { index, _, _ in [literals[index]] + extra }
    }

    /// Consecutive date windows of at most `days` days covering [from, to] (inclusive dates):
    /// `$1` = window start, `$2` = window end (exclusive), then `extra`.
    public static func dateWindows(from: Date, to: Date, days: Int, extra: [String?]) -> BatchPlan {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        var items: [Item] = []
        var start = from
        while start <= to {
            let end = min(cal.date(byAdding: .day, value: days - 1, to: start)!, to)
            let n = (cal.dateComponents([.day], from: start, to: end).day ?? 0) + 1
            items.append(Item(first: DateText.day(start), last: DateText.day(end), count: n))
            start = cal.date(byAdding: .day, value: 1, to: end)!
        }
        let utc = cal
        return BatchPlan(items: items) { _, item, _ in
            let endExclusive = utc.date(byAdding: .day, value: 1, to: DateText.parseDay(item.last)!)!
            return ["\(item.first) 00:00:00", "\(DateText.day(endExclusive)) 00:00:00"] + extra
        }
    }
}

/// The fetch thread's own read-only connection to the spool, for batch members. Not Sendable:
/// each fetch thread makes its own.
public final class BatchMembers {
    public init() {}
    private var database: SQLiteDatabase?
    /// One prepared statement per member query (a plan may read several, e.g. CIDs and job ctids).
    private var statements: [String: SQLiteStatement] = [:]

    func arrayLiteral(path: String, query: String, item: BatchPlan.Item) throws -> String {
        if database == nil {
            let db = try SQLiteDatabase(path: path, mode: .readOnly)
            // It reads one key range at a time, in order: a small page cache is enough.
            try db.execute("PRAGMA cache_size = -256")
            database = db
        }
        let s: SQLiteStatement
        if let cached = statements[query] { s = cached } else {
            s = try database!.prepare(query)
            statements[query] = s
        }
        s.reset()
        s.bind(1, item.first)
        s.bind(2, item.last)
        var keys: [String] = []
        keys.reserveCapacity(item.count)
        while try s.step() { keys.append(s.text(0) ?? "") }
        return PGArrayLiteral.text(keys)
    }
}

/// `YYYY-MM-DD` in UTC.
public enum DateText {
    public static func day(_ d: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    /// Parses a strict `YYYY-MM-DD` (a real calendar date), or nil.
    public static func parseDay(_ s: String) -> Date? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard s.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let date = cal.date(from: DateComponents(year: y, month: m, day: d)) else { return nil }
        // Reject 2026-02-30 and the like, which Calendar would roll over.
        return day(date) == s ? date : nil
    }
}
