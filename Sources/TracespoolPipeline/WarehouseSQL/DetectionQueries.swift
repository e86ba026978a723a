/// MSD detection (`msd.md` §1.3–§1.4). Station groups are matched by the literal substring
/// classification of `StationGroup` (`{{STATION_GROUP(x)}}`), never by `LIKE`.
public enum DetectionQueries {
    /// Step A, date mode: the distinct lots that tracked in at a detection station in one window.
    /// `$1` = window start, `$2` = window end (exclusive), `$3` = station group keys (text[]).
    public static let candidates = """
        SELECT DISTINCT btrim(h.containerid) AS "CONTAINERID"
        FROM dwh.dw_mes_lotwiphistory h
        WHERE h.trackintimestamp >= $1::timestamp AND h.trackintimestamp < $2::timestamp
          AND h.equipmentid IS NOT NULL
          AND {{STATION_GROUP(h.workcentername)}} = ANY ($3::text[])
        """

    /// Step B for a batch of lots: one row per (lot, loss reason).
    /// `$1` = lots (bpchar[]), `$2` = window start or NULL (container mode: no window),
    /// `$3` = window end (exclusive) or NULL, `$4` = station group keys (text[]).
    /// TRACKINQTY is the session's original load — MAX over the partial rows of one track-in
    /// session (CID, TRACKINTIMESTAMP, EQUIPMENTID) — of the lot's latest track-in; rejects are the
    /// six-column sum per reason at the station in the window; a reject without a reason is
    /// `(未填寫)`; workflow is the alphabetically first non-點測 WIP workflow, else the spec.
    public static let enrichment = """
        WITH det AS (
          SELECT btrim(h.containerid) AS cid, h.containerid, h.workcentername, h.equipmentid, h.equipmentname,
                 h.specname, h.finishedruncard, h.trackintimestamp,
                 max(h.trackinqty) OVER (PARTITION BY h.containerid, h.trackintimestamp, h.equipmentid) AS orig_qty,
                 row_number() OVER (PARTITION BY h.containerid
                                    ORDER BY h.trackintimestamp DESC, h.trackouttimestamp DESC NULLS LAST,
                                             h.trackinqty DESC NULLS LAST, h.ctid) AS rn
          FROM dwh.dw_mes_lotwiphistory h
          WHERE h.containerid = ANY ($1::bpchar[])
            AND h.equipmentid IS NOT NULL AND h.trackintimestamp IS NOT NULL
            AND ($2::timestamp IS NULL OR (h.trackintimestamp >= $2::timestamp AND h.trackintimestamp < $3::timestamp))
            AND {{STATION_GROUP(h.workcentername)}} = ANY ($4::text[])
        )
        SELECT d.cid                                  AS "CONTAINERID",
               c.containername                        AS "CONTAINERNAME",
               c.mfgordername                         AS "MFGORDERNAME",
               c.pj_type                              AS "PJ_TYPE",
               c.productlinename                      AS "PRODUCTLINENAME",
               COALESCE(wf.workflowname, d.specname)  AS "WORKFLOW",
               d.finishedruncard                      AS "FINISHEDRUNCARD",
               btrim(d.equipmentid)                   AS "DETECTION_EQUIPMENTID",
               d.equipmentname                        AS "DETECTION_EQUIPMENTNAME",
               d.workcentername                       AS "WORKCENTERNAME",
               d.orig_qty                             AS "TRACKINQTY",
               d.trackintimestamp                     AS "TRACKINTIMESTAMP",
               rej.reason                             AS "LOSSREASONNAME",
               COALESCE(rej.qty, 0)                   AS "REJECTQTY"
        FROM det d
        LEFT JOIN dwh.dw_mes_container c ON c.containerid = d.containerid
        -- Per-lot lookups through the containerid indexes: joining whole-batch aggregates
        -- here made PostgreSQL rescan them once per lot (~1 s per 1000-lot batch).
        LEFT JOIN LATERAL (
          SELECT w.workflowname
          FROM dwh.dw_mes_wip w
          WHERE w.containerid = d.containerid
            AND w.workflowname IS NOT NULL
            AND COALESCE(btrim(w.productlinename), '') <> '點測'
          ORDER BY w.workflowname
          LIMIT 1
        ) wf ON true
        LEFT JOIN LATERAL (
          SELECT COALESCE(NULLIF(btrim(r.lossreasonname), ''), '(未填寫)') AS reason,
                 sum(COALESCE(r.rejectqty, 0) + COALESCE(r.standbyqty, 0) + COALESCE(r.qtytoprocess, 0)
                     + COALESCE(r.inprocessqty, 0) + COALESCE(r.processedqty, 0) + COALESCE(r.defectqty, 0)) AS qty
          FROM dwh.dw_mes_lotrejecthistory r
          WHERE r.containerid = d.containerid
            AND ($2::timestamp IS NULL OR (r.txndate >= $2::timestamp AND r.txndate < $3::timestamp))
            AND {{STATION_GROUP(r.workcentername)}} = ANY ($4::text[])
          GROUP BY 1
        ) rej ON true
        WHERE d.rn = 1
        ORDER BY d.cid COLLATE "C", rej.reason COLLATE "C" NULLS FIRST
        """

    /// Equipment → model family for attribution. `$1` = resource ids (bpchar[]).
    public static let resources = """
        SELECT btrim(r.resourceid) AS "CONTAINERID", r.resourcename AS "RESOURCENAME",
               r.resourcefamilyname AS "RESOURCEFAMILYNAME"
        FROM dwh.dw_mes_resource r
        WHERE r.resourceid = ANY ($1::bpchar[])
        ORDER BY btrim(r.resourceid) COLLATE "C"
        """
}
