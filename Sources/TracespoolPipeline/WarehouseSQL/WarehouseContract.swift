/// What tracespool reads from the warehouse: the `dwh` tables, and of each the columns its queries
/// name, with the type `scripts/warehouse/schema.sql` gives them (as `format_type` prints it).
/// The one list `tracespool doctor` checks a warehouse against. Columns of schema.sql no query reads
/// (`dw_mes_container.specname`, `.qty`, `dw_mes_pj_combinedassylots.containername`) are not here.
///
/// Kept honest by tests: every listed column exists with this type in the generated warehouse, and
/// every statement of `statements` still plans on a copy of schema.sql with all unlisted columns
/// dropped (so a query that starts reading a new column fails the test until it is listed).
public struct WarehouseTable: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        public let name: String
        /// `format_type(atttypid, atttypmod)` of the reference schema, e.g. `character(16)`.
        public let type: String
    }

    public let name: String
    public let columns: [Column]
    /// Which stages or domains read it.
    public let readBy: String
    /// Whether a default trace (`tracespool run --lot-ids …`: query_tool seeds, forward lineage and
    /// its default domains) reads it. The others are read only by MSD or by named domains.
    public let defaultTrace: Bool
}

public enum WarehouseContract {
    public static let schema = "dwh"

    private static let id = "character(16)"
    private static let v40 = "character varying(40)"
    private static let v100 = "character varying(100)"
    private static let v255 = "character varying(255)"
    private static let v2000 = "character varying(2000)"
    private static let num = "numeric"
    private static let ts = "timestamp(0) without time zone"

    private static func table(_ name: String, _ readBy: String, defaultTrace: Bool = true,
                              _ columns: [(String, String)]) -> WarehouseTable {
        WarehouseTable(name: name, columns: columns.map { WarehouseTable.Column(name: $0.0, type: $0.1) },
                       readBy: readBy, defaultTrace: defaultTrace)
    }

    public static let tables: [WarehouseTable] = [
        table("dw_mes_container", "seeds, lineage, container columns of every domain", [
            ("containerid", id), ("containername", v40), ("mfgordername", v40), ("objecttype", v40),
            ("firstname", v40), ("originalcontainerid", id), ("splitfromid", id), ("pj_type", v40),
            ("pj_bop", v40), ("productlinename", v40), ("pj_function", v40), ("productname", v40),
        ]),
        table("dw_mes_lotwiphistory", "history, upstream_history, MSD detection", [
            ("containerid", id), ("workcentername", v40), ("equipmentid", id), ("equipmentname", v40),
            ("specname", v40), ("trackintimestamp", ts), ("trackouttimestamp", ts), ("trackinqty", num),
            ("trackoutqty", num), ("finishedruncard", v255), ("pj_workorder", v40),
        ]),
        table("dw_mes_lotmaterialshistory", "materials", [
            ("containerid", id), ("materialpartname", v40), ("materiallotname", v40), ("description", v255),
            ("qtyconsumed", num), ("workcentername", v40), ("specname", v40), ("equipmentname", v40), ("txndate", ts),
        ]),
        table("dw_mes_lotrejecthistory", "rejects, downstream_rejects, MSD detection", [
            ("containerid", id), ("workcentername", v40), ("specname", v40), ("lossreasonname", v40),
            ("equipmentname", v255), ("rejectcomment", v255), ("rejectqty", num), ("standbyqty", num),
            ("qtytoprocess", num), ("inprocessqty", num), ("processedqty", num), ("defectqty", num), ("txndate", ts),
        ]),
        table("dw_mes_holdreleasehistory", "holds", [
            ("containerid", id), ("workcentername", v40), ("holdtxndate", ts), ("holdemp", v40),
            ("holdempdeptname", v100), ("holdreasonname", v40), ("holdcomments", v255), ("releasetxndate", ts),
            ("releaseemp", v40), ("releasecomments", v255), ("ncrid", v255),
        ]),
        table("dw_mes_job", "jobs", [
            ("jobid", id), ("resourceid", id), ("resourcename", v40), ("jobstatus", v40), ("jobmodelname", v40),
            ("jobordername", v40), ("createdate", ts), ("completedate", ts), ("causecodename", v40),
            ("repaircodename", v40), ("symptomcodename", v40), ("containerids", v2000), ("containernames", v2000),
        ]),
        table("dw_mes_pj_combinedassylots", "lineage (merges), --serials seeds", [
            ("containerid", id), ("finishedname", v40), ("lotid", id),
        ]),
        table("dw_mes_spec_workcenter_v", "rejects (spec → work center)", [
            ("spec", v40), ("work_center", v40), ("work_center_group", v40), ("workcentersequence_group", v255),
        ]),
        table("dw_mes_wip", "MSD detection (workflow)", defaultTrace: false, [
            ("containerid", id), ("workflowname", v40), ("productlinename", v40),
        ]),
        table("dw_mes_resource", "MSD (equipment families)", defaultTrace: false, [
            ("resourceid", id), ("resourcename", v40), ("resourcefamilyname", "character varying(30)"),
        ]),
    ]

    public static func table(named name: String) -> WarehouseTable? { tables.first { $0.name == name } }

    /// Every warehouse SELECT tracespool runs (before COPY wrapping), by name: what the contract
    /// is checked against. Station-group placeholders are expanded.
    public static var statements: [(name: String, sql: String)] {
        var out: [(String, String)] = DomainQueries.raw.keys.sorted().map { ("domain \($0)", DomainQueries.select(for: $0)!) }
        out += [("jobs tokens", JobsQueries.tokens), ("jobs by ctid", JobsQueries.byTid)]
        out += ResolveType.allCases.map { ("seeds \($0.rawValue)", SeedQueries.select(for: $0)) }
        out.append(("seeds MSD container mode",
                    DomainQueries.expandStationGroups(SeedQueries.detectionStationFilter(SeedQueries.select(for: .lotId)))))
        out += [("lineage backward", LineageQueries.backward), ("lineage forward", LineageQueries.forward)]
        out += [("MSD candidates", DomainQueries.expandStationGroups(DetectionQueries.candidates)),
                ("MSD enrichment", DomainQueries.expandStationGroups(DetectionQueries.enrichment)),
                ("MSD resources", DetectionQueries.resources)]
        return out
    }
}
