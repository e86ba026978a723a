/// Tables the seed, lineage and MSD detection stages write, beside the event domain tables.
/// Column names are upper case like the reference's spools (`msd.md` §2.5, `trace-pipeline.md` §3.4).
extension SpoolDomain {
    /// MSD detection table (`msd.md` §1.3): one row per (detection lot, loss reason); a lot without
    /// rejects has one row with LOSSREASONNAME NULL and REJECTQTY 0; a reject without a reason is
    /// the reason `(未填寫)`. TRACKINQTY is the session's original load (MAX over partial rows).
    public static let detection = SpoolDomain("msd_detection", table: "msd_detection", [
        ("CONTAINERID", .text), ("CONTAINERNAME", .text), ("MFGORDERNAME", .text), ("PJ_TYPE", .text),
        ("PRODUCTLINENAME", .text), ("WORKFLOW", .text), ("FINISHEDRUNCARD", .text),
        ("DETECTION_EQUIPMENTID", .text), ("DETECTION_EQUIPMENTNAME", .text), ("WORKCENTERNAME", .text),
        ("TRACKINQTY", .numeric), ("TRACKINTIMESTAMP", .timestamp), ("LOSSREASONNAME", .text),
        ("REJECTQTY", .numeric),
    ])

    /// Equipment → model family, for attribution's RESOURCEFAMILYNAME.
    public static let resources = SpoolDomain("msd_resources", table: "msd_resources", [
        ("CONTAINERID", .text),  // the RESOURCEID (named so the generic batch writer can key it)
        ("RESOURCENAME", .text), ("RESOURCEFAMILYNAME", .text),
    ])
}

extension SpoolDomain {
    /// Seed resolution matches: container → the input value that found it.
    public static let seedMatches = SpoolDomain("seed_matches", table: "seed_matches", [
        ("CONTAINERID", .text), ("CONTAINERNAME", .text), ("MFGORDERNAME", .text), ("INPUT_VALUE", .text),
    ])

    /// The `jobs` domain without the recommended GIN index: every (id token, job ctid) pair of
    /// `dw_mes_job`, cut down to the trace's CIDs (JobsQueries in the pipeline module).
    public static let jobTokens = SpoolDomain("job_tokens", table: "job_tokens", [("CONTAINERID", .text), ("JOB_TID", .text)])

    /// MSD date mode, step A: lots seen at the detection station, per date window (may repeat).
    public static let candidates = SpoolDomain("msd_candidates", table: "msd_candidates", [("CONTAINERID", .text)])

    /// Raw lineage rows as PostgreSQL returns them per seed batch (see LineageQueries); folded into
    /// the lineage tables below by `SpoolLineageSQL`.
    public static let lineageRaw = SpoolDomain("lineage_raw", table: "lineage_raw", [
        ("KIND", .text), ("CONTAINERID", .text), ("NODE_ID", .text), ("FROM_ID", .text), ("TO_ID", .text),
        ("EDGE_TYPE", .text), ("NAME", .text), ("MFGORDERNAME", .text), ("WAFER_LOT", .text), ("OBJECTTYPE", .text),
    ])
}

extension SpoolSchema {
    /// Seeds and lineage. Per-seed rows include a self row for the seed.
    static let stageTables = """
        -- Seeds of the trace: CID, CONTAINERNAME, and the input value that found it.
        CREATE TABLE IF NOT EXISTS seeds (
          CID     TEXT PRIMARY KEY,
          NAME    TEXT,
          LOT_ID  TEXT
        ) WITHOUT ROWID;

        -- Backward lineage: every ancestor of each seed (self row included).
        CREATE TABLE IF NOT EXISTS lineage_ancestors (
          SEED_ID      TEXT NOT NULL,
          ANCESTOR_ID  TEXT NOT NULL,
          PRIMARY KEY (SEED_ID, ANCESTOR_ID)
        ) WITHOUT ROWID;

        -- Forward lineage: every descendant of each seed (self row included).
        CREATE TABLE IF NOT EXISTS lineage_descendants (
          SEED_ID        TEXT NOT NULL,
          DESCENDANT_ID  TEXT NOT NULL,
          PRIMARY KEY (SEED_ID, DESCENDANT_ID)
        ) WITHOUT ROWID;

        -- Every node of the lineage graph with its snapshot and classification (§3.2).
        CREATE TABLE IF NOT EXISTS lineage_nodes (
          CID           TEXT PRIMARY KEY,
          NAME          TEXT,
          MFGORDERNAME  TEXT,
          WAFER_LOT     TEXT,
          OBJECTTYPE    TEXT,
          NODE_TYPE     TEXT
        ) WITHOUT ROWID;

        -- Deduplicated edges: FROM = parent/source, TO = child/target.
        CREATE TABLE IF NOT EXISTS lineage_edges (
          FROM_ID    TEXT NOT NULL,
          TO_ID      TEXT NOT NULL,
          EDGE_TYPE  TEXT NOT NULL CHECK (EDGE_TYPE IN ('split_from', 'merge_source', 'wafer_origin', 'gd_rework_source')),
          PRIMARY KEY (FROM_ID, TO_ID, EDGE_TYPE)
        ) WITHOUT ROWID;

        CREATE INDEX IF NOT EXISTS lineage_edges_to ON lineage_edges (TO_ID, FROM_ID);

        -- Forward: serial numbers (finished names) of tree nodes.
        CREATE TABLE IF NOT EXISTS lineage_serials (
          CID           TEXT NOT NULL,
          FINISHEDNAME  TEXT NOT NULL,
          PRIMARY KEY (CID, FINISHEDNAME)
        ) WITHOUT ROWID;

        -- Keys of the resource lookup (equipment ids seen by the trace).
        CREATE TABLE IF NOT EXISTS msd_resource_ids (
          RESOURCEID TEXT PRIMARY KEY
        ) WITHOUT ROWID;

        -- Each seed's root: the ancestor without parents (smallest name when several).
        CREATE TABLE IF NOT EXISTS lineage_seed_roots (
          SEED_ID    TEXT PRIMARY KEY,
          ROOT_ID    TEXT,
          ROOT_NAME  TEXT
        ) WITHOUT ROWID;
        """
}
