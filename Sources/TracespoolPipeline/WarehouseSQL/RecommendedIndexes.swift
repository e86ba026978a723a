import TracespoolSource

/// One warehouse index tracespool knows about: the minimal set a reference mirror has, or an
/// acceleration it recommends. Recommended indexes use built-in immutable functions only; a trace
/// never requires one (README → "Pointing it at a real warehouse").
public struct WarehouseIndex: Sendable, Equatable {
    public enum Tier: String, Sendable {
        /// The reference's own warehouse has it (`scripts/warehouse/indexes-minimal.sql`).
        case minimal
        /// tracespool's acceleration (`scripts/warehouse/indexes-recommended.sql`).
        case recommended
    }

    public let tier: Tier
    public let table: String
    /// `btree` or `gin`.
    public let method: String
    /// The first key as `pg_get_indexdef(index, 1, true)` prints it: a column name or an expression.
    public let key: String
    /// What a DBA runs to create it.
    public let createStatement: String
    /// What gets slower without it.
    public let purpose: String
}

public enum WarehouseIndexes {
    /// The `jobs` domain's whole-token split of `containerids` (blank-padded ids, comma-separated;
    /// empty tokens from doubled or trailing commas never equal a CID). Built-in and immutable, so
    /// a DBA can index it; the query must spell it exactly like the index for the planner to match.
    public static let jobTokens = "regexp_split_to_array(btrim(j.containerids), ' *, *')"

    public static let jobsTokenIndex = WarehouseIndex(
        tier: .recommended, table: "dw_mes_job", method: "gin",
        key: "regexp_split_to_array(btrim(containerids::text), ' *, *'::text)",
        createStatement: "CREATE INDEX dw_mes_job_containerids_tokens ON dwh.dw_mes_job USING gin (regexp_split_to_array(btrim(containerids), ' *, *'));",
        purpose: "jobs domain: jobs listing a batch's CIDs by index; without it one scan of dw_mes_job per trace")

    public static let recommended: [WarehouseIndex] = [
        WarehouseIndex(tier: .recommended, table: "dw_mes_container", method: "btree", key: "upper(mfgordername::text)",
                       createStatement: "CREATE INDEX dw_mes_container_upper_mfgordername ON dwh.dw_mes_container (upper(mfgordername));",
                       purpose: "seeds: --work-orders and --gd-work-orders (case-insensitive) by index instead of a container scan"),
        WarehouseIndex(tier: .recommended, table: "dw_mes_container", method: "btree", key: "originalcontainerid",
                       createStatement: "CREATE INDEX dw_mes_container_originalcontainerid ON dwh.dw_mes_container (originalcontainerid);",
                       purpose: "lineage: GD rework children (forward walk) by index instead of a container scan per step"),
        WarehouseIndex(tier: .recommended, table: "dw_mes_spec_workcenter_v", method: "btree", key: "spec",
                       createStatement: "CREATE INDEX dw_mes_spec_workcenter_v_spec ON dwh.dw_mes_spec_workcenter_v (spec);",
                       purpose: "rejects domain: spec → work center map (a small table: little effect)"),
        jobsTokenIndex,
    ]

    public static let minimal: [WarehouseIndex] = [
        ("dw_mes_container", "containerid", "every stage: containers by id"),
        ("dw_mes_container", "containername", "seeds: --lot-ids"),
        ("dw_mes_container", "firstname", "seeds: --wafer-lots; lineage: wafer origin"),
        ("dw_mes_container", "mfgordername", "seeds: work orders"),
        ("dw_mes_container", "splitfromid", "lineage: split children"),
        ("dw_mes_pj_combinedassylots", "finishedname", "seeds: --serials"),
        ("dw_mes_pj_combinedassylots", "lotid", "lineage: merge sources"),
        ("dw_mes_pj_combinedassylots", "containerid", "lineage: merge targets"),
        ("dw_mes_lotwiphistory", "containerid", "history, upstream_history, MSD detection"),
        ("dw_mes_lotwiphistory", "trackintimestamp", "MSD date mode: detection windows"),
        ("dw_mes_lotmaterialshistory", "containerid", "materials"),
        ("dw_mes_lotrejecthistory", "containerid", "rejects, downstream_rejects, MSD detection"),
        ("dw_mes_lotrejecthistory", "txndate", "MSD date mode: reject windows"),
        ("dw_mes_holdreleasehistory", "containerid", "holds"),
        ("dw_mes_wip", "containerid", "MSD detection: workflow"),
    ].map { table, column, purpose in
        WarehouseIndex(tier: .minimal, table: table, method: "btree", key: column,
                       createStatement: "CREATE INDEX ON dwh.\(table) (\(column));", purpose: purpose)
    }

    public static var all: [WarehouseIndex] { minimal + recommended }

    /// A valid index of `dwh.<table>` with this access method whose first key is `key`.
    static let presenceSQL = """
        SELECT EXISTS (
          SELECT 1
          FROM pg_index i
          JOIN pg_class t ON t.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
          JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_am am ON am.oid = ic.relam
          WHERE n.nspname = 'dwh' AND t.relname = $1 AND am.amname = $2 AND i.indisvalid
            AND pg_get_indexdef(i.indexrelid, 1, true) = $3
        )
        """

    /// Whether the warehouse has `index` (or an equivalent one under another name).
    public static func present(_ index: WarehouseIndex, on connection: PGConnection) throws -> Bool {
        let r = try connection.query(presenceSQL, [index.table, index.method, index.key])
        return r.string(0, 0) == "t"
    }
}
