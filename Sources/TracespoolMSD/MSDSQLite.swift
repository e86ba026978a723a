import TracespoolSpool

/// Small conveniences over the spool's SQLite wrapper, used by the MSD queries (`run`, `each`,
/// `rows` and `SQLArg` are the spool module's).
extension SQLiteDatabase {
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
    /// A numeric column as Double (NULL → 0).
    func num(_ i: Int) -> Double { double(i) ?? 0 }
    /// An integer column (NULL → 0).
    func count(_ i: Int) -> Int { int(i) ?? 0 }
}
