/// A value bound to a statement parameter (values reach SQL only as bound parameters).
public enum SQLArg: Sendable {
    case text(String?)
    case int(Int?)
    case real(Double?)
}

extension SQLiteDatabase {
    /// Runs a statement to its end.
    public func run(_ sql: String, _ args: [SQLArg] = []) throws {
        let s = try takeStatement(sql)
        defer { giveBack(s, sql) }
        s.bindAll(args)
        while try s.step() {}
    }

    /// Runs a query and hands every row to `body`.
    public func each(_ sql: String, _ args: [SQLArg] = [], _ body: (SQLiteStatement) throws -> Void) throws {
        let s = try takeStatement(sql)
        defer { giveBack(s, sql) }
        s.bindAll(args)
        while try s.step() { try body(s) }
    }

    /// Maps every row.
    public func rows<T>(_ sql: String, _ args: [SQLArg] = [], _ map: (SQLiteStatement) throws -> T) throws -> [T] {
        var out: [T] = []
        try each(sql, args) { out.append(try map($0)) }
        return out
    }
}

extension SQLiteStatement {
    public func bindAll(_ args: [SQLArg]) {
        for (i, a) in args.enumerated() {
            let idx = Int32(i + 1)
            switch a {
            case .text(let v): bind(idx, v)
            case .int(let v): if let v { bind(idx, v) } else { bind(idx, nil as String?) }
            case .real(let v): if let v { bind(idx, v) } else { bind(idx, nil as String?) }
            }
        }
    }
}
