import TracespoolSpool

/// A value bound to a statement parameter.
enum SQLArg {
    case text(String?)
    case int(Int)
    case real(Double)
}

/// Small conveniences over the spool's SQLite wrapper, used by the MSD queries.
extension SQLiteDatabase {
    func run(_ sql: String, _ args: [SQLArg] = []) throws {
        let s = try prepare(sql)
        s.bindAll(args)
        while try s.step() {}
    }

    /// Runs a query and hands every row to `body`.
    func each(_ sql: String, _ args: [SQLArg] = [], _ body: (SQLiteStatement) throws -> Void) throws {
        let s = try prepare(sql)
        s.bindAll(args)
        while try s.step() { try body(s) }
    }

    /// Maps every row.
    func rows<T>(_ sql: String, _ args: [SQLArg] = [], _ map: (SQLiteStatement) throws -> T) throws -> [T] {
        var out: [T] = []
        try each(sql, args) { out.append(try map($0)) }
        return out
    }

    func tableExists(_ name: String, schema: String = "main") throws -> Bool {
        try scalarInt("SELECT count(*) FROM \(schema).sqlite_master WHERE type = 'table' AND name = ?1", [name]) ?? 0 > 0
    }

    func columns(of table: String) throws -> Set<String> {
        Set(try rows("SELECT name FROM pragma_table_info(?1)", [.text(table)]) { $0.text(0) ?? "" })
    }

    /// Drops a temp table or view of that name, whichever it is.
    func dropTemp(_ name: String) throws {
        if let type = try scalarText("SELECT type FROM temp.sqlite_master WHERE name = ?1", [name]) {
            try execute("DROP \(type == "view" ? "VIEW" : "TABLE") temp.\(name)")
        }
    }

    /// Fills a one-column temp table `temp.<name>(v TEXT PRIMARY KEY)` with `values`.
    func tempValues(_ name: String, _ values: [String]) throws {
        try execute("DROP TABLE IF EXISTS temp.\(name); CREATE TEMP TABLE \(name) (v TEXT PRIMARY KEY) WITHOUT ROWID;")
        let s = try prepare("INSERT OR IGNORE INTO temp.\(name)(v) VALUES (?1)")
        for v in values {
            s.bind(1, v)
            try s.step()
            s.reset()
        }
    }
}

extension SQLiteStatement {
    func bindAll(_ args: [SQLArg]) {
        for (i, a) in args.enumerated() {
            let idx = Int32(i + 1)
            switch a {
            case .text(let v): bind(idx, v)
            case .int(let v): bind(idx, v)
            case .real(let v): bind(idx, v)
            }
        }
    }

    /// A numeric column as Double (NULL → 0).
    func num(_ i: Int) -> Double { double(i) ?? 0 }
    /// An integer column (NULL → 0).
    func count(_ i: Int) -> Int { int(i) ?? 0 }
}
