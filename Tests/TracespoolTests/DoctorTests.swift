import Foundation
import Testing
import TracespoolPipeline
import TracespoolSource

/// `tracespool doctor` against real warehouses of the test cluster, and the lists it checks
/// against (`WarehouseContract`, `WarehouseIndexes`) against the scripts they mirror.
@Suite("doctor")
struct DoctorTests {
    func doctor(_ conninfo: String, _ extra: [String] = []) throws -> CLIResult {
        try runCLI(["doctor", "--source", conninfo] + extra)
    }

    /// A scratch database with schema.sql and the minimal indexes only (no recommended ones).
    func minimalWarehouse(_ label: String) throws -> ScratchDatabase {
        let db = try ScratchDatabase(label, schema: false)
        let c = try db.connect()
        try c.execute(try TestEnvironment.sql("schema.sql"))
        try c.execute(try TestEnvironment.sql("indexes-minimal.sql"))
        return db
    }

    func indexes(_ o: [String: Any]) -> [[String: Any]] { o["indexes"] as? [[String: Any]] ?? [] }

    @Test("the shared test warehouse: exit 0, every table, column and index present, JSON with its fields")
    func sharedWarehouse() throws {
        let text = try doctor(try TestEnvironment.warehouse())
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stderr.isEmpty, "\(text.stderr)")
        for heading in ["Server", "Tables (schema dwh)", "Columns tracespool reads", "Indexes", "verdict: ok"] {
            #expect(text.stdout.contains(heading), "\(heading) missing from:\n\(text.stdout)")
        }
        #expect(!text.stdout.contains("MISSING"), "\(text.stdout)")

        let r = try doctor(try TestEnvironment.warehouse(), ["--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect(o["can_run"] as? Bool == true)
        #expect((o["verdict"] as? String)?.hasPrefix("ok:") == true)
        #expect((o["problems"] as? [Any])?.isEmpty == true)
        #expect((o["warnings"] as? [Any])?.isEmpty == true, "\(o["warnings"] ?? "")")
        #expect(o["cost_method"] as? String == "planner_estimate")
        #expect(o["batch_size"] as? Int == 1000)
        #expect(o["timeout_ms"] as? Int == 10_000)
        let server = try #require(o["server"] as? [String: Any])
        for key in ["version", "version_num", "in_recovery", "role", "session_role", "database", "transaction_isolation",
                    "read_only", "schema_present", "schema_usage", "bypass_rls", "snapshot_export", "snapshot_error",
                    "hot_standby_feedback", "max_standby_streaming_delay"] {
            #expect(server[key] != nil, "server.\(key) missing")
        }
        #expect(server["read_only"] as? Bool == true)
        #expect(server["transaction_isolation"] as? String == "repeatable read")
        #expect(server["snapshot_export"] as? Bool == true)
        #expect(server["database"] as? String == TestEnvironment.env["TRACESPOOL_TEST_WAREHOUSE"])
        #expect((server["version_num"] as? Int ?? 0) >= 100_000)

        let tables = try #require(o["tables"] as? [[String: Any]])
        #expect(tables.compactMap { $0["table"] as? String } == WarehouseContract.tables.map(\.name))
        for t in tables {
            let name = t["table"] as? String ?? "?"
            #expect(t["present"] as? Bool == true, "\(name)")
            #expect(t["select"] as? Bool == true, "\(name)")
            #expect(t["kind"] as? String == "table", "\(name)")
            #expect((t["missing_columns"] as? [String])?.isEmpty == true, "\(name)")
            for c in t["columns"] as? [[String: Any]] ?? [] {
                #expect(c["present"] as? Bool == true && c["type_matches"] as? Bool == true, "\(name).\(c["column"] ?? "?")")
            }
        }
        let idx = indexes(o)
        #expect(idx.count == WarehouseIndexes.all.count)
        for i in idx {
            #expect(i["present"] as? Bool == true, "\(i["table"] ?? "?") \(i["key"] ?? "?")")
            #expect(i["cost"] is NSNull)
            for key in ["tier", "table", "method", "key", "purpose", "create_statement"] { #expect(i[key] is String, "\(key)") }
        }
    }

    @Test("minimal indexes only: exit 0, the four recommended indexes missing with CREATE INDEX and a cost")
    func minimalIndexes() throws {
        let db = try minimalWarehouse("doctor_min")
        let text = try doctor(db.conninfo)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("planner estimate: EXPLAIN, no ANALYZE"), "\(text.stdout)")
        for i in WarehouseIndexes.recommended { #expect(text.stdout.contains(i.createStatement), "\(i.createStatement)") }
        #expect(text.stdout.contains("verdict: ok: tracespool can run here, slower: 4 of 19 indexes missing (4 recommended)"),
                "\(text.stdout)")

        for (flag, method) in [([String](), "planner_estimate"), (["--measure"], "measured")] {
            let r = try doctor(db.conninfo, ["--json"] + flag)
            #expect(r.status == 0, "\(r.stderr)")
            let o = try parseJSONObject(r.stdout)
            #expect(o["can_run"] as? Bool == true)
            #expect(o["cost_method"] as? String == method)
            let missing = indexes(o).filter { $0["present"] as? Bool == false }
            #expect(missing.compactMap { $0["create_statement"] as? String } == WarehouseIndexes.recommended.map(\.createStatement))
            #expect(missing.allSatisfy { $0["tier"] as? String == "recommended" })
            for i in missing {
                let cost = try #require(i["cost"] as? [String: Any], "\(i["key"] ?? "?")")
                #expect(cost["method"] as? String == method)
                #expect(cost["error"] is NSNull, "\(cost["error"] ?? "")")
                #expect((cost["total_cost"] as? Double ?? 0) > 0, "\(cost)")
                #expect((cost["probe"] as? String)?.isEmpty == false)
                #expect((cost["access"] as? String)?.contains("Seq Scan on \(i["table"] as? String ?? "?")") == true, "\(cost)")
                if method == "measured" { #expect(cost["milliseconds"] as? Double != nil, "\(cost)") }
            }
            #expect((o["warnings"] as? [String])?.first?.contains("4 indexes missing") == true)
        }
    }

    @Test("a missing table exits 69 naming it")
    func missingTable() throws {
        let db = try minimalWarehouse("doctor_notable")
        try db.connect().execute("DROP TABLE dwh.dw_mes_job")
        let r = try doctor(db.conninfo)
        #expect(r.status == 69)
        #expect(r.stderr.contains("tracespool: SOURCE_SCHEMA_MISSING: the source has no table dwh.dw_mes_job"), "\(r.stderr)")
        #expect(r.stdout.contains("verdict: cannot run"), "\(r.stdout)")
        let j = try doctor(db.conninfo, ["--json"])
        #expect(j.status == 69)
        let o = try parseJSONObject(j.stdout)
        #expect(o["can_run"] as? Bool == false)
        let problems = o["problems"] as? [[String: Any]] ?? []
        #expect(problems.map { $0["code"] as? String } == ["SOURCE_SCHEMA_MISSING"])
    }

    @Test("a missing column exits 69 naming table.column")
    func missingColumn() throws {
        let db = try minimalWarehouse("doctor_nocol")
        try db.connect().execute("ALTER TABLE dwh.dw_mes_lotwiphistory DROP COLUMN pj_workorder")
        let r = try doctor(db.conninfo)
        #expect(r.status == 69)
        #expect(r.stderr.contains("SOURCE_SCHEMA_MISSING") && r.stderr.contains("dwh.dw_mes_lotwiphistory.pj_workorder"), "\(r.stderr)")
        #expect(r.stdout.contains("pj_workorder MISSING"), "\(r.stdout)")
    }

    @Test("a schema without dwh exits 69")
    func noSchema() throws {
        let db = try ScratchDatabase("doctor_empty", schema: false)
        let r = try doctor(db.conninfo)
        #expect(r.status == 69)
        #expect(r.stderr.contains("SOURCE_SCHEMA_MISSING: the source has no schema dwh"), "\(r.stderr)")
    }

    @Test("a role without SELECT on a table a default trace reads exits 69 naming it; on an MSD-only table it warns")
    func missingPrivilege() throws {
        let db = try minimalWarehouse("doctor_priv")
        let c = try db.connect()
        // scripts/test creates tracespool_reader (LOGIN, no BYPASSRLS); grants are per database.
        try c.execute("""
            GRANT USAGE ON SCHEMA dwh TO tracespool_reader;
            GRANT SELECT ON ALL TABLES IN SCHEMA dwh TO tracespool_reader;
            REVOKE SELECT ON dwh.dw_mes_holdreleasehistory FROM tracespool_reader;
            """)
        let reader = db.conninfo + " user=tracespool_reader"
        let r = try doctor(reader)
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("SOURCE_PERMISSION_DENIED: role tracespool_reader has no SELECT privilege on dwh.dw_mes_holdreleasehistory"),
                "\(r.stderr)")
        let o = try parseJSONObject(try doctor(reader, ["--json"]).stdout)
        let holds = (o["tables"] as? [[String: Any]])?.first { $0["table"] as? String == "dw_mes_holdreleasehistory" }
        #expect(holds?["select"] as? Bool == false)

        try c.execute("""
            GRANT SELECT ON dwh.dw_mes_holdreleasehistory TO tracespool_reader;
            REVOKE SELECT ON dwh.dw_mes_resource FROM tracespool_reader;
            """)
        let msdOnly = try doctor(reader, ["--json"])
        #expect(msdOnly.status == 0, "\(msdOnly.stderr)")
        let w = try parseJSONObject(msdOnly.stdout)["warnings"] as? [String] ?? []
        #expect(w.contains { $0.contains("no SELECT privilege on dwh.dw_mes_resource") }, "\(w)")

        try c.execute("REVOKE USAGE ON SCHEMA dwh FROM tracespool_reader")
        let noUsage = try doctor(reader)
        #expect(noUsage.status == 69)
        #expect(noUsage.stderr.contains("SOURCE_PERMISSION_DENIED: role tracespool_reader has no USAGE privilege on schema dwh"),
                "\(noUsage.stderr)")
    }

    @Test("an unreachable source exits 69 with SOURCE_UNAVAILABLE; a malformed one with SOURCE_INVALID")
    func unreachable() throws {
        let r = try doctor("host=/nonexistent-socket-dir dbname=x connect_timeout=2", ["--json"])
        #expect(r.status == 69)
        #expect(r.stderr.contains("tracespool: SOURCE_UNAVAILABLE: cannot connect"), "\(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect(o["can_run"] as? Bool == false)
        #expect((o["error"] as? [String: Any])?["code"] as? String == "SOURCE_UNAVAILABLE")

        let bad = try doctor("postgresql://%zz@/")
        #expect(bad.status == 69)
        #expect(bad.stderr.contains("tracespool: SOURCE_INVALID: invalid source"), "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)
    }

    @Test("doctor creates nothing in the warehouse, also with --measure")
    func createsNothing() throws {
        let db = try minimalWarehouse("doctor_ro")
        let c = try db.connect()
        let objects = """
            SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
                   (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')),
                   (SELECT count(*) FROM pg_namespace)
            """
        let before = try c.query(objects).rows()
        #expect(try doctor(db.conninfo).status == 0)
        #expect(try doctor(db.conninfo, ["--measure"]).status == 0)
        #expect(try c.query(objects).rows() == before)
    }

    // MARK: the lists doctor checks against

    @Test("indexes-recommended.sql is WarehouseIndexes.recommended")
    func recommendedFile() throws {
        func normalise(_ s: String) -> String { s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let file = try TestEnvironment.sql("indexes-recommended.sql")
        let statements = file.split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n")
            .split(separator: ";").map { normalise(String($0)) }.filter { !$0.isEmpty }.map { $0 + ";" }
        #expect(statements == WarehouseIndexes.recommended.map { normalise($0.createStatement) })
    }

    @Test("every column of the contract exists with its type in the generated warehouse, every table of schema.sql is listed")
    func contractColumnsExist() throws {
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse())
        let r = try c.query("""
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'dwh' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
            """)
        var types: [String: String] = [:]
        for row in r.rows() { types["\(row[0] ?? "").\(row[1] ?? "")"] = row[2] ?? "" }
        let tables = Set(r.rows().compactMap { $0[0] })
        #expect(tables == Set(WarehouseContract.tables.map(\.name)))
        for t in WarehouseContract.tables {
            for col in t.columns { #expect(types["\(t.name).\(col.name)"] == col.type, "\(t.name).\(col.name)") }
        }
    }

    @Test("every warehouse statement plans on schema.sql with the unlisted columns dropped (the contract lists all it reads)")
    func contractCoversQueries() throws {
        let db = try ScratchDatabase("doctor_contract", schema: false)
        let c = try db.connect()
        try c.execute(try TestEnvironment.sql("schema.sql"))
        let listed = Set(WarehouseContract.tables.flatMap { t in t.columns.map { "\(t.name).\($0.name)" } })
        let all = try c.query("""
            SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'dwh' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2
            """).rows().map { ($0[0] ?? "", $0[1] ?? "") }
        let unlisted = all.filter { !listed.contains("\($0.0).\($0.1)") }
        // schema.sql has columns no query reads; they are what this test drops.
        #expect(!unlisted.isEmpty)
        for (table, column) in unlisted { try c.execute("ALTER TABLE dwh.\(table) DROP COLUMN \(column) CASCADE") }

        var statements = WarehouseContract.statements
        for index in WarehouseIndexes.all {
            let probe = DoctorQueries.probe(for: index, batch: 1000)
            statements.append(("doctor probe \(index.table) \(index.key)", probe.statement))
            if let sample = probe.sample { statements.append(("doctor sample \(index.table) \(index.key)", sample)) }
        }
        #expect(statements.count > 20)
        for (name, sql) in statements {
            let count = DoctorQueries.highestParameter(in: sql)
            // A parameter a statement skips (JobsQueries.byTid has no $2: COPY substitutes, so it
            // never matters there) still needs a type to be bound here.
            let unused = (1...max(count, 1)).filter { n in count > 0 && !Self.uses(sql, n) }
            let planned = unused.isEmpty ? sql
                : "SELECT * FROM (\(sql)) AS s WHERE " + unused.map { "($\($0)::text IS NULL OR true)" }.joined(separator: " AND ")
            do { _ = try c.query("EXPLAIN " + planned, [String?](repeating: nil, count: count)) } catch {
                Issue.record("\(name): \(error)")
            }
        }
    }

    /// Whether `sql` has the marker `$n` (not the prefix of `$n0`).
    static func uses(_ sql: String, _ n: Int) -> Bool {
        var rest = Substring(sql)
        while let r = rest.range(of: "$\(n)") {
            if r.upperBound == rest.endIndex || !rest[r.upperBound].isNumber { return true }
            rest = rest[r.upperBound...]
        }
        return false
    }
}
