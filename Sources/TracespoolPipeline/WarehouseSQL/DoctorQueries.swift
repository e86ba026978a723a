import TracespoolSource

/// The read-only SQL of `tracespool doctor`: catalog lookups (server, tables, columns, privileges)
/// and, per index of `WarehouseIndexes.all`, a representative statement the index serves — one
/// sample batch of tracespool's own query, over values taken from the warehouse itself.
///
/// Values only reach SQL as bound parameters. Table and column names spliced into the generic
/// probes are identifiers from `WarehouseIndexes` and `WarehouseContract`, never input.
public enum DoctorQueries {
    /// `$1` = the schema name. One row.
    public static let server = """
        SELECT current_setting('server_version'), current_setting('server_version_num'),
               pg_is_in_recovery(), current_user, session_user, current_database(),
               current_setting('transaction_isolation'), current_setting('transaction_read_only'),
               to_regnamespace($1::text) IS NOT NULL,
               CASE WHEN to_regnamespace($1::text) IS NOT NULL THEN has_schema_privilege($1::text, 'USAGE') END,
               (SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user),
               current_setting('hot_standby_feedback'), current_setting('max_standby_streaming_delay')
        """

    /// Exported in a savepoint, as a job's anchor connection does (`SourceSnapshot`).
    public static let exportSnapshot = "SELECT pg_export_snapshot()"

    /// `$1` = table names (text[]), `$2` = the schema. Per table in order: kind (`r` table, `v`
    /// view, `m` materialized view, `p` partitioned, `f` foreign; NULL when absent), SELECT
    /// privilege of the current role, row-level security enabled.
    public static let tables = """
        SELECT w.tbl, c.relkind::text,
               CASE WHEN c.oid IS NOT NULL THEN has_table_privilege(c.oid, 'SELECT') END,
               c.relrowsecurity
        FROM unnest($1::text[]) WITH ORDINALITY AS w(tbl, ord)
        LEFT JOIN (pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = $2::text)
          ON c.relname = w.tbl AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
        ORDER BY w.ord
        """

    /// `$1` = table names, `$2` = column names (parallel text[]), `$3` = the schema. Per pair in
    /// order: the column's type as `format_type` prints it, NULL when the column is absent.
    public static let columns = """
        SELECT w.tbl, w.col, format_type(a.atttypid, a.atttypmod)
        FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(tbl, col, ord)
        LEFT JOIN (pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = $3::text)
          ON c.relname = w.tbl AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = w.col AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY w.ord
        """

    /// How a probe's cost is reported: the planner's estimate (`EXPLAIN`, nothing runs) or a timed
    /// run of the sample batch (`EXPLAIN (ANALYZE)`, under the doctor's statement timeout).
    public enum CostMethod: String, Sendable {
        case plannerEstimate = "planner_estimate"
        case measured = "measured"

        public var explainPrefix: String {
            switch self {
            case .plannerEstimate: return "EXPLAIN "
            case .measured: return "EXPLAIN (ANALYZE, TIMING OFF) "
            }
        }
    }

    /// One representative statement for an index.
    public struct Probe: Sendable {
        public enum Parameter: Sendable {
            /// Column `n` of the sample row.
            case sample(Int)
            case text(String)
        }

        /// What the statement is, for people: "history domain, one batch of 1000 CIDs".
        public let description: String
        /// One row of text values the parameters come from; `$1` = the batch size. nil: none.
        public let sample: String?
        public let statement: String
        public let parameters: [Parameter]
        /// `SET LOCAL …` run before it (the settings tracespool's own connections use).
        public let settings: [String]
    }

    /// A batch of CIDs (the first containers of the table) and the server's clock, as a job's
    /// snapshot time.
    static let sampleCIDs = """
        SELECT COALESCE(array_agg(btrim(s.containerid)), '{}')::text, to_char(statement_timestamp(), 'YYYY-MM-DD HH24:MI:SS')
        FROM (SELECT containerid FROM dwh.dw_mes_container LIMIT $1::int) AS s
        """

    /// Up to a batch of distinct values of `table.column`, among its first rows.
    static func sampleValues(_ table: String, _ column: String) -> String {
        """
        SELECT COALESCE(array_agg(t.v), '{}')::text
        FROM (SELECT DISTINCT btrim(s.x::text) AS v
              FROM (SELECT \(column) AS x FROM dwh.\(table) WHERE \(column) IS NOT NULL LIMIT $1::int * 10) AS s
              LIMIT $1::int) AS t
        """
    }

    /// A 31-day window starting at the earliest of the first rows' `table.column`.
    static func sampleWindow(_ table: String, _ column: String) -> String {
        """
        SELECT min(s.x)::text, (min(s.x) + interval '31 days')::text
        FROM (SELECT \(column) AS x FROM dwh.\(table) WHERE \(column) IS NOT NULL LIMIT $1::int) AS s
        """
    }

    static func domain(_ name: String, _ batch: Int) -> Probe {
        let sql = DomainQueries.select(for: name)!
        let params: [Probe.Parameter] = [.sample(0), .sample(1)]
        return Probe(description: "\(name) domain, one batch of \(batch) CIDs", sample: sampleCIDs, statement: sql,
                     parameters: Array(params.prefix(highestParameter(in: sql))), settings: SourceSnapshot.readerSettings)
    }

    static func seeds(_ type: ResolveType, _ flag: String, from table: String, _ column: String, _ batch: Int) -> Probe {
        Probe(description: "\(flag) seeds, one batch of up to \(batch) values", sample: sampleValues(table, column),
              statement: SeedQueries.select(for: type), parameters: [.sample(0), .text("{}"), .text("{}")],
              settings: SourceSnapshot.readerSettings)
    }

    static func lineage(forward: Bool, _ batch: Int) -> Probe {
        Probe(description: "\(forward ? "forward" : "backward") lineage, one batch of \(batch) seeds", sample: sampleCIDs,
              statement: forward ? LineageQueries.forward : LineageQueries.backward, parameters: [.sample(0)],
              settings: SourceSnapshot.readerSettings + LineageQueries.sessionSettings)
    }

    static func lookup(_ table: String, _ column: String, _ batch: Int) -> Probe {
        let type = WarehouseContract.table(named: table)?.columns.first { $0.name == column }?.type ?? ""
        let array = type.hasPrefix("character(") ? "bpchar[]" : "text[]"
        return Probe(description: "lookup of up to \(batch) values by \(column)", sample: sampleValues(table, column),
                     statement: "SELECT count(*) FROM dwh.\(table) WHERE \(column) = ANY ($1::\(array))",
                     parameters: [.sample(0)], settings: SourceSnapshot.readerSettings)
    }

    /// The representative statement of `index`; `batch` = CIDs or values per batch (TRACE_CID_BATCH).
    public static func probe(for index: WarehouseIndex, batch: Int) -> Probe {
        switch (index.table, index.key) {
        case ("dw_mes_container", "containername"): return seeds(.lotId, "--lot-ids", from: index.table, "containername", batch)
        case ("dw_mes_container", "firstname"): return seeds(.waferLot, "--wafer-lots", from: index.table, "firstname", batch)
        case ("dw_mes_container", "upper(mfgordername::text)"):
            return seeds(.workOrder, "--work-orders", from: index.table, "mfgordername", batch)
        case ("dw_mes_pj_combinedassylots", "finishedname"):
            return seeds(.serialNumber, "--serials", from: index.table, "finishedname", batch)
        case ("dw_mes_container", "splitfromid"), ("dw_mes_container", "originalcontainerid"),
             ("dw_mes_pj_combinedassylots", "containerid"):
            return lineage(forward: true, batch)
        case ("dw_mes_pj_combinedassylots", "lotid"): return lineage(forward: false, batch)
        case ("dw_mes_lotwiphistory", "containerid"): return domain("history", batch)
        case ("dw_mes_lotmaterialshistory", "containerid"): return domain("materials", batch)
        case ("dw_mes_lotrejecthistory", "containerid"): return domain("downstream_rejects", batch)
        case ("dw_mes_holdreleasehistory", "containerid"): return domain("holds", batch)
        case ("dw_mes_spec_workcenter_v", "spec"): return domain("rejects", batch)
        case ("dw_mes_job", _):
            return Probe(description: "jobs domain without the index: the one token scan of dw_mes_job per trace",
                         sample: nil, statement: JobsQueries.tokens, parameters: [], settings: SourceSnapshot.readerSettings)
        case ("dw_mes_lotwiphistory", "trackintimestamp"):
            return Probe(description: "MSD date mode, candidates of one 31-day window",
                         sample: sampleWindow(index.table, index.key),
                         statement: DomainQueries.expandStationGroups(DetectionQueries.candidates),
                         parameters: [.sample(0), .sample(1), .text(PGArrayLiteral.text(["測試"]))],
                         settings: SourceSnapshot.readerSettings)
        case (let table, let column) where column == "txndate":
            return Probe(description: "rows of one 31-day window by \(column)", sample: sampleWindow(table, column),
                         statement: "SELECT count(*) FROM dwh.\(table) WHERE \(column) >= $1::timestamp AND \(column) < $2::timestamp",
                         parameters: [.sample(0), .sample(1)], settings: SourceSnapshot.readerSettings)
        case (let table, let column): return lookup(table, column, batch)
        }
    }

    /// The highest `$n` marker of `sql` (0 when it takes none).
    public static func highestParameter(in sql: String) -> Int {
        let b = Array(sql.utf8)
        var highest = 0, i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "$") {
                var j = i + 1, n = 0
                while j < b.count, b[j] >= UInt8(ascii: "0"), b[j] <= UInt8(ascii: "9") {
                    n = n * 10 + Int(b[j] - UInt8(ascii: "0"))
                    j += 1
                }
                highest = max(highest, n)
                i = j
            } else {
                i += 1
            }
        }
        return highest
    }
}
