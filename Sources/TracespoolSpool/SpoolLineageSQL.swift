/// SQL that runs in the spool to fold `lineage_raw` into the lineage tables, expand the trace's
/// CID set and pick each seed's root. Runs once per job, on disk.
public enum SpoolLineageSQL {
    /// Nodes, edges and per-seed rows from the raw rows (deduplicated by the primary keys).
    public static let fold = """
        INSERT OR IGNORE INTO lineage_nodes (CID, NAME, MFGORDERNAME, WAFER_LOT, OBJECTTYPE)
          SELECT NODE_ID, NAME, MFGORDERNAME, WAFER_LOT, OBJECTTYPE FROM lineage_raw WHERE KIND = 'N';
        INSERT OR IGNORE INTO lineage_edges (FROM_ID, TO_ID, EDGE_TYPE)
          SELECT FROM_ID, TO_ID, EDGE_TYPE FROM lineage_raw WHERE KIND = 'E';
        INSERT OR IGNORE INTO lineage_serials (CID, FINISHEDNAME)
          SELECT NODE_ID, NAME FROM lineage_raw WHERE KIND = 'S';
        -- Node classification (trace-pipeline.md §3.2): WAFER when matched as a wafer-origin lot,
        -- else GD / GC / GA by work order or name prefix, else LOT by object type, else UNKNOWN.
        UPDATE lineage_nodes SET NODE_TYPE = CASE
          WHEN EXISTS (SELECT 1 FROM lineage_edges e WHERE e.FROM_ID = lineage_nodes.CID AND e.EDGE_TYPE = 'wafer_origin') THEN 'WAFER'
          WHEN upper(trim(MFGORDERNAME)) GLOB 'GD*' OR upper(trim(NAME)) GLOB 'GD*' THEN 'GD'
          WHEN upper(trim(MFGORDERNAME)) GLOB 'GC*' OR upper(trim(NAME)) GLOB 'GC*' THEN 'GC'
          WHEN upper(trim(MFGORDERNAME)) GLOB 'GA*' OR upper(trim(NAME)) GLOB 'GA*' THEN 'GA'
          WHEN OBJECTTYPE = 'LOT' THEN 'LOT'
          ELSE 'UNKNOWN' END;
        """

    /// Backward: every node of a seed's graph is one of its ancestors (the seed itself included).
    public static let backwardExpand = """
        INSERT OR IGNORE INTO lineage_ancestors (SEED_ID, ANCESTOR_ID)
          SELECT CONTAINERID, NODE_ID FROM lineage_raw WHERE KIND = 'N';
        INSERT OR IGNORE INTO lineage_ancestors (SEED_ID, ANCESTOR_ID) SELECT CID, CID FROM seeds;
        INSERT OR IGNORE INTO trace_cids (cid) SELECT ANCESTOR_ID FROM lineage_ancestors;
        """

    /// Backward roots: ancestors with no parent inside the seed's own set; the smallest name wins
    /// (then the smallest id). A seed whose set has no such node (a split cycle) is its own root.
    public static let backwardRoots = """
        INSERT OR REPLACE INTO lineage_seed_roots (SEED_ID, ROOT_ID, ROOT_NAME)
        SELECT SEED_ID, ROOT_ID, ROOT_NAME FROM (
          SELECT a.SEED_ID, a.ANCESTOR_ID AS ROOT_ID, COALESCE(n.NAME, a.ANCESTOR_ID) AS ROOT_NAME,
                 row_number() OVER (PARTITION BY a.SEED_ID
                                    ORDER BY COALESCE(n.NAME, a.ANCESTOR_ID), a.ANCESTOR_ID) AS rn
          FROM lineage_ancestors a
          LEFT JOIN lineage_nodes n ON n.CID = a.ANCESTOR_ID
          WHERE NOT EXISTS (
            SELECT 1 FROM lineage_edges e
            JOIN lineage_ancestors p ON p.SEED_ID = a.SEED_ID AND p.ANCESTOR_ID = e.FROM_ID
            WHERE e.TO_ID = a.ANCESTOR_ID)
        ) WHERE rn = 1;
        INSERT OR IGNORE INTO lineage_seed_roots (SEED_ID, ROOT_ID, ROOT_NAME)
          SELECT s.CID, s.CID, COALESCE(n.NAME, s.CID) FROM seeds s LEFT JOIN lineage_nodes n ON n.CID = s.CID;
        """

    /// Forward: descendants (seed included) and the top of each seed's split chain.
    public static let forwardExpand = """
        INSERT OR IGNORE INTO lineage_descendants (SEED_ID, DESCENDANT_ID)
          SELECT CONTAINERID, NODE_ID FROM lineage_raw WHERE KIND = 'D';
        INSERT OR IGNORE INTO lineage_descendants (SEED_ID, DESCENDANT_ID) SELECT CID, CID FROM seeds;
        INSERT OR IGNORE INTO trace_cids (cid) SELECT DESCENDANT_ID FROM lineage_descendants;
        INSERT OR REPLACE INTO lineage_seed_roots (SEED_ID, ROOT_ID, ROOT_NAME)
          SELECT r.CONTAINERID, r.NODE_ID, COALESCE(n.NAME, r.NODE_ID)
          FROM lineage_raw r LEFT JOIN lineage_nodes n ON n.CID = r.NODE_ID
          WHERE r.KIND = 'R';
        INSERT OR IGNORE INTO lineage_seed_roots (SEED_ID, ROOT_ID, ROOT_NAME)
          SELECT s.CID, s.CID, COALESCE(n.NAME, s.CID) FROM seeds s LEFT JOIN lineage_nodes n ON n.CID = s.CID;
        """

    /// Seeds from resolution matches (first match of a CID keeps its input value).
    public static let seedsFromMatches = """
        INSERT OR IGNORE INTO seeds (CID, NAME, LOT_ID)
          SELECT CONTAINERID, CONTAINERNAME, COALESCE(CONTAINERNAME, INPUT_VALUE, CONTAINERID)
          FROM seed_matches ORDER BY seq;
        """

    /// MSD date mode: seeds are the distinct candidate lots.
    public static let seedsFromCandidates = """
        INSERT OR IGNORE INTO seeds (CID) SELECT CONTAINERID FROM msd_candidates;
        """

    /// MSD: seed names from the detection table.
    public static let seedNamesFromDetection = """
        UPDATE seeds SET
          NAME = (SELECT d.CONTAINERNAME FROM msd_detection d WHERE d.CONTAINERID = seeds.CID LIMIT 1),
          LOT_ID = COALESCE((SELECT d.CONTAINERNAME FROM msd_detection d WHERE d.CONTAINERID = seeds.CID LIMIT 1), CID)
        WHERE NAME IS NULL;
        """

    /// Equipment ids the MSD attribution needs families for.
    public static let resourceIds = """
        INSERT OR IGNORE INTO msd_resource_ids (RESOURCEID)
          SELECT DISTINCT EQUIPMENTID FROM ev_upstream_history WHERE EQUIPMENTID IS NOT NULL AND EQUIPMENTID <> '';
        INSERT OR IGNORE INTO msd_resource_ids (RESOURCEID)
          SELECT DISTINCT DETECTION_EQUIPMENTID FROM msd_detection
          WHERE DETECTION_EQUIPMENTID IS NOT NULL AND DETECTION_EQUIPMENTID <> '';
        """
}
