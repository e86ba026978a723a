/// Genealogy in PostgreSQL, per batch of seeds (`$1`, bpchar[]), as recursive queries with a depth
/// counter (≤ 20 hops, the reference's MAX_SPLIT_DEPTH) and a path array that stops cycles.
/// Every seed's closure is computed for that seed alone, so a seed's ancestors never depend on the
/// other seeds of the trace.
///
/// Both queries return rows of one shape into the spool's `lineage_raw` staging table:
/// KIND 'N' (node of the seed's graph, with its snapshot), 'E' (edge FROM → TO of EDGE_TYPE),
/// 'D' (forward: descendant of the seed, itself included), 'S' (forward: a node's serial number,
/// in NAME), 'R' (the top of the seed's split chain, forward). CONTAINERID is the seed.
/// Ids are compared as `bpchar` (so the btree indexes apply) and emitted trimmed.
public enum LineageQueries {
    /// The planner misjudges the recursive parts (≈ 80 000 estimated rows for ≈ 2 000) and hashes
    /// the whole container table for every seed batch; index nested loops over a few thousand
    /// nodes are what these queries need (measured 580 → 197 ms per 1000-seed batch on a
    /// 120 000-container warehouse, identical rows; on 5 M containers the gap grows).
    /// The 'N' rows (every node with its snapshot) and 'E' rows of a query's `nodes` and `edges`.
    static let nodeAndEdgeRows = """
        SELECT 'N' AS "KIND", n.seed AS "CONTAINERID", n.cid AS "NODE_ID", NULL AS "FROM_ID", NULL AS "TO_ID",
               NULL AS "EDGE_TYPE", c.containername AS "NAME", c.mfgordername AS "MFGORDERNAME",
               c.firstname AS "WAFER_LOT", c.objecttype AS "OBJECTTYPE"
        FROM nodes n
        LEFT JOIN dwh.dw_mes_container c ON c.containerid = n.cid::bpchar
        UNION ALL
        SELECT 'E', seed, NULL, from_id, to_id, edge_type, NULL, NULL, NULL, NULL FROM edges
        """

    public static let sessionSettings = ["SET LOCAL enable_hashjoin = off"]

    /// Backward (`query_tool_reverse`, MSD backward): the seed's split chain; merge sources (one
    /// hop) of the seed and its chain; the split chains of those sources; then wafer-origin and
    /// GD-rework parents of all those nodes (`trace-pipeline.md` §1.2, DESIGN.md).
    public static let backward = """
        WITH RECURSIVE
        seed AS (
          SELECT DISTINCT btrim(s) AS seed FROM unnest($1::bpchar[]) AS s
        ),
        chain (seed, cid, child, depth, path) AS (
          SELECT seed, seed, NULL::text, 0, ARRAY[seed] FROM seed
          UNION ALL
          SELECT ch.seed, btrim(c.splitfromid), ch.cid, ch.depth + 1, ch.path || btrim(c.splitfromid)
          FROM chain ch
          JOIN dwh.dw_mes_container c ON c.containerid = ch.cid::bpchar
          WHERE ch.depth < 20
            AND NULLIF(btrim(c.splitfromid), '') IS NOT NULL
            AND btrim(c.splitfromid) <> ALL (ch.path)
        ),
        merge_src AS (
          SELECT DISTINCT ch.seed, btrim(ca.containerid) AS cid, ch.cid AS target
          FROM chain ch
          JOIN dwh.dw_mes_pj_combinedassylots ca ON ca.lotid = ch.cid::bpchar
          WHERE NULLIF(btrim(ca.containerid), '') IS NOT NULL AND btrim(ca.containerid) <> ch.cid
        ),
        src_chain (seed, cid, child, depth, path) AS (
          SELECT DISTINCT seed, cid, NULL::text, 0, ARRAY[cid] FROM merge_src
          UNION ALL
          SELECT sc.seed, btrim(c.splitfromid), sc.cid, sc.depth + 1, sc.path || btrim(c.splitfromid)
          FROM src_chain sc
          JOIN dwh.dw_mes_container c ON c.containerid = sc.cid::bpchar
          WHERE sc.depth < 20
            AND NULLIF(btrim(c.splitfromid), '') IS NOT NULL
            AND btrim(c.splitfromid) <> ALL (sc.path)
        ),
        base_nodes AS (
          SELECT seed, cid FROM chain
          UNION SELECT seed, cid FROM src_chain
        ),
        snap AS (
          SELECT n.seed, n.cid, c.containername, c.mfgordername, btrim(c.firstname) AS firstname,
                 COALESCE(NULLIF(btrim(c.originalcontainerid), ''), NULLIF(btrim(c.splitfromid), '')) AS rework_source
          FROM base_nodes n
          LEFT JOIN dwh.dw_mes_container c ON c.containerid = n.cid::bpchar
        ),
        semantic AS (
          SELECT s.seed, btrim(w.containerid) AS from_id, s.cid AS to_id, 'wafer_origin' AS edge_type
          FROM snap s
          JOIN dwh.dw_mes_container w ON w.containername = s.firstname AND w.objecttype = 'LOT'
          WHERE btrim(w.containerid) <> s.cid
          UNION
          SELECT s.seed, s.rework_source, s.cid, 'gd_rework_source'
          FROM snap s
          WHERE (upper(s.mfgordername) LIKE 'GD%' OR upper(s.containername) LIKE 'GD%')
            AND s.rework_source IS NOT NULL AND s.rework_source <> s.cid
        ),
        edges AS (
          SELECT seed, cid AS from_id, child AS to_id, 'split_from' AS edge_type FROM chain WHERE child IS NOT NULL
          UNION SELECT seed, cid, child, 'split_from' FROM src_chain WHERE child IS NOT NULL
          UNION SELECT seed, cid, target, 'merge_source' FROM merge_src
          UNION SELECT seed, from_id, to_id, edge_type FROM semantic
        ),
        nodes AS (
          SELECT seed, cid FROM base_nodes
          UNION SELECT seed, from_id FROM semantic
        )
        \(nodeAndEdgeRows)
        """

    /// Forward (`query_tool`, MSD forward): climb to the root of the seed's split tree (≤ 20),
    /// walk the whole tree down from it (≤ 20 levels, sibling branches included, as the
    /// reference's graph), add merge sources of tree nodes (shown, not followed), GD rework lots
    /// made from tree lots (one hop) and wafer-origin parents. Descendants of a seed: the seed, the
    /// split subtree below it, and GD rework lots of those.
    public static let forward = """
        WITH RECURSIVE
        seed AS (
          SELECT DISTINCT btrim(s) AS seed FROM unnest($1::bpchar[]) AS s
        ),
        up (seed, cid, depth, path) AS (
          SELECT seed, seed, 0, ARRAY[seed] FROM seed
          UNION ALL
          SELECT u.seed, btrim(c.splitfromid), u.depth + 1, u.path || btrim(c.splitfromid)
          FROM up u
          JOIN dwh.dw_mes_container c ON c.containerid = u.cid::bpchar
          WHERE u.depth < 20
            AND NULLIF(btrim(c.splitfromid), '') IS NOT NULL
            AND btrim(c.splitfromid) <> ALL (u.path)
        ),
        root AS (
          SELECT DISTINCT ON (seed) seed, cid AS root FROM up ORDER BY seed, depth DESC
        ),
        down (seed, cid, parent, depth, path) AS (
          SELECT seed, root, NULL::text, 0, ARRAY[root] FROM root
          UNION ALL
          SELECT d.seed, btrim(c.containerid), d.cid, d.depth + 1, d.path || btrim(c.containerid)
          FROM down d
          JOIN dwh.dw_mes_container c ON c.splitfromid = d.cid::bpchar
          WHERE d.depth < 20 AND btrim(c.containerid) <> ALL (d.path)
        ),
        tree AS (
          SELECT DISTINCT seed, cid FROM down
          UNION SELECT seed, seed FROM seed
        ),
        gd_children AS (
          SELECT DISTINCT t.seed, btrim(c.containerid) AS cid, t.cid AS parent
          FROM tree t
          JOIN dwh.dw_mes_container c ON c.originalcontainerid = t.cid::bpchar
          WHERE (upper(c.mfgordername) LIKE 'GD%' OR upper(c.containername) LIKE 'GD%')
            AND btrim(c.containerid) <> t.cid
        ),
        merge_src AS (
          SELECT DISTINCT t.seed, btrim(ca.containerid) AS cid, t.cid AS target
          FROM tree t
          JOIN dwh.dw_mes_pj_combinedassylots ca ON ca.lotid = t.cid::bpchar
          WHERE NULLIF(btrim(ca.containerid), '') IS NOT NULL AND btrim(ca.containerid) <> t.cid
        ),
        graph AS (
          SELECT seed, cid FROM tree
          UNION SELECT seed, cid FROM gd_children
          UNION SELECT seed, cid FROM merge_src
        ),
        wafer AS (
          SELECT DISTINCT g.seed, btrim(w.containerid) AS from_id, g.cid AS to_id
          FROM graph g
          JOIN dwh.dw_mes_container c ON c.containerid = g.cid::bpchar
          JOIN dwh.dw_mes_container w ON w.containername = btrim(c.firstname) AND w.objecttype = 'LOT'
          WHERE btrim(w.containerid) <> g.cid
        ),
        descendants AS (
          SELECT DISTINCT d.seed, d.cid FROM down d WHERE d.seed = ANY (d.path)
          UNION SELECT seed, seed FROM seed
          UNION SELECT g.seed, g.cid
          FROM gd_children g
          JOIN down d ON d.seed = g.seed AND d.cid = g.parent AND g.seed = ANY (d.path)
        ),
        edges AS (
          SELECT seed, parent AS from_id, cid AS to_id, 'split_from' AS edge_type FROM down WHERE parent IS NOT NULL
          UNION SELECT seed, parent, cid, 'gd_rework_source' FROM gd_children
          UNION SELECT seed, cid, target, 'merge_source' FROM merge_src
          UNION SELECT seed, from_id, to_id, 'wafer_origin' FROM wafer
        ),
        nodes AS (
          SELECT seed, cid FROM graph
          UNION SELECT seed, from_id FROM wafer
        )
        \(nodeAndEdgeRows)
        UNION ALL
        SELECT 'D', seed, cid, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM descendants
        UNION ALL
        SELECT 'R', seed, root, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM root
        UNION ALL
        SELECT DISTINCT 'S', t.seed, t.cid, NULL, NULL, NULL, ca.finishedname, NULL, NULL, NULL
        FROM tree t
        JOIN dwh.dw_mes_pj_combinedassylots ca ON ca.containerid = t.cid::bpchar
        WHERE ca.finishedname IS NOT NULL
        """
}
