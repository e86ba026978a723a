import Foundation
import TracespoolSpool

/// The warehouse query of each event domain: one SELECT per domain, output columns in the order of
/// `SpoolDomain` (the reference contract of `trace-pipeline.md` §2.1).
///
/// Parameters: `$1` is the CID batch as `bpchar[]` (a `text[]` would make PostgreSQL cast the
/// `char(16)` column and scan the whole index — ~60× slower); `$2` is the job's snapshot time,
/// so `HOLD_HOURS` of unreleased holds is reproducible within a job.
/// `{{STATION_GROUP(x)}}` expands to the literal station-group CASE of `StationGroup.sqlCase`.
///
/// Every query orders by the trimmed CID (byte order, `COLLATE "C"`, the order batches are cut in),
/// then the reference's per-domain order, then tie-breakers down to the physical row, so rows
/// arrive grouped and in a reproducible source order. char(16) ids are trimmed of their padding;
/// where the reference uses `NVL(TRIM(x), …)`, an all-blank value counts as missing, as Oracle's
/// empty-string-is-NULL did.
public enum DomainQueries {
    public static func select(for domain: String) -> String? {
        guard let raw = raw[domain] else { return nil }
        return expandStationGroups(raw)
    }

    /// The batch's own container rows (≤ one per CID, by primary key): joining these instead of the
    /// whole container table keeps PostgreSQL from hashing all 5 M containers for every batch.
    static let batchContainers = """
        SELECT * FROM dwh.dw_mes_container WHERE containerid = ANY ($1::bpchar[])
        """

    static let raw: [String: String] = [
        "history": """
            WITH c AS (\(batchContainers))
            SELECT btrim(h.containerid)        AS "CONTAINERID",
                   h.workcentername            AS "WORKCENTERNAME",
                   btrim(h.equipmentid)        AS "EQUIPMENTID",
                   h.equipmentname             AS "EQUIPMENTNAME",
                   h.specname                  AS "SPECNAME",
                   h.trackintimestamp          AS "TRACKINTIMESTAMP",
                   h.trackouttimestamp         AS "TRACKOUTTIMESTAMP",
                   h.trackinqty                AS "TRACKINQTY",
                   h.trackoutqty               AS "TRACKOUTQTY",
                   h.finishedruncard           AS "FINISHEDRUNCARD",
                   h.pj_workorder              AS "PJ_WORKORDER",
                   c.containername             AS "CONTAINERNAME",
                   c.pj_type                   AS "PJ_TYPE",
                   c.pj_bop                    AS "PJ_BOP",
                   btrim(c.productlinename)    AS "PRODUCTLINENAME",
                   c.firstname                 AS "WAFER_LOT_ID"
            FROM dwh.dw_mes_lotwiphistory h
            LEFT JOIN c ON c.containerid = h.containerid
            WHERE h.containerid = ANY ($1::bpchar[])
              AND h.equipmentid IS NOT NULL
              AND h.trackintimestamp IS NOT NULL
            ORDER BY btrim(h.containerid) COLLATE "C", h.trackintimestamp, h.trackouttimestamp NULLS LAST,
                     h.trackinqty DESC NULLS LAST, h.equipmentid, h.ctid
            """,
        "materials": """
            WITH c AS (\(batchContainers))
            SELECT btrim(m.containerid)  AS "CONTAINERID",
                   c.containername       AS "CONTAINERNAME",
                   m.materialpartname    AS "MATERIALPARTNAME",
                   m.materiallotname     AS "MATERIALLOTNAME",
                   m.description         AS "MATERIALDESCRIPTION",
                   m.qtyconsumed         AS "QTYCONSUMED",
                   m.workcentername      AS "WORKCENTERNAME",
                   m.specname            AS "SPECNAME",
                   m.equipmentname       AS "EQUIPMENTNAME",
                   m.txndate             AS "TXNDATE"
            FROM dwh.dw_mes_lotmaterialshistory m
            LEFT JOIN c ON c.containerid = m.containerid
            WHERE m.containerid = ANY ($1::bpchar[])
            ORDER BY btrim(m.containerid) COLLATE "C", m.txndate, m.ctid
            """,
        // Spec map: per spec, the work center of its lowest WORKCENTERSEQUENCE_GROUP.
        // REJECT_TOTAL_QTY here is the five charge-off quantities; DEFECTQTY stays apart.
        "rejects": """
            WITH c AS (\(batchContainers)),
            spec AS (
              SELECT DISTINCT ON (btrim(s.spec))
                     btrim(s.spec)                          AS spec,
                     NULLIF(btrim(s.work_center), '')       AS work_center,
                     NULLIF(btrim(s.work_center_group), '') AS work_center_group,
                     CASE WHEN btrim(s.workcentersequence_group) ~ '^-?[0-9]+(\\.[0-9]+)?$'
                          THEN btrim(s.workcentersequence_group)::numeric END AS seq
              FROM dwh.dw_mes_spec_workcenter_v s
              ORDER BY btrim(s.spec), 4 NULLS LAST, 2
            ),
            r AS (
              SELECT r.*, btrim(r.containerid) AS cid,
                     COALESCE(r.rejectqty, 0) + COALESCE(r.standbyqty, 0) + COALESCE(r.qtytoprocess, 0)
                       + COALESCE(r.inprocessqty, 0) + COALESCE(r.processedqty, 0) AS reject_total,
                     r.ctid AS row_id
              FROM dwh.dw_mes_lotrejecthistory r
              WHERE r.containerid = ANY ($1::bpchar[])
            )
            SELECT r.cid                                                               AS "CONTAINERID",
                   COALESCE(NULLIF(btrim(c.containername), ''), r.cid)                 AS "CONTAINERNAME",
                   COALESCE(spec.work_center, NULLIF(btrim(r.workcentername), ''), '(NA)')       AS "WORKCENTERNAME",
                   COALESCE(spec.work_center_group, NULLIF(btrim(r.workcentername), ''), '(NA)') AS "WORKCENTER_GROUP",
                   COALESCE(spec.seq, 999)                                             AS "WORKCENTERSEQUENCE_GROUP",
                   COALESCE(NULLIF(btrim(c.productlinename), ''), '(NA)')              AS "PRODUCTLINENAME",
                   COALESCE(NULLIF(btrim(c.pj_function), ''), '(NA)')                  AS "PJ_FUNCTION",
                   COALESCE(NULLIF(btrim(c.pj_type), ''), '(NA)')                      AS "PJ_TYPE",
                   COALESCE(NULLIF(btrim(c.productname), ''), '(NA)')                  AS "PRODUCTNAME",
                   COALESCE(NULLIF(btrim(r.specname), ''), '(NA)')                     AS "SPECNAME",
                   COALESCE(NULLIF(btrim(r.lossreasonname), ''), '(未填寫)')            AS "LOSSREASONNAME",
                   COALESCE(NULLIF(btrim(r.equipmentname), ''), '(NA)')                AS "EQUIPMENTNAME",
                   NULLIF(btrim(r.rejectcomment), '')                                  AS "REJECTCOMMENT",
                   COALESCE(r.rejectqty, 0)                                            AS "REJECT_QTY",
                   COALESCE(r.standbyqty, 0)                                           AS "STANDBY_QTY",
                   COALESCE(r.qtytoprocess, 0)                                         AS "QTYTOPROCESS_QTY",
                   COALESCE(r.inprocessqty, 0)                                         AS "INPROCESS_QTY",
                   COALESCE(r.processedqty, 0)                                         AS "PROCESSED_QTY",
                   r.reject_total                                                      AS "REJECT_TOTAL_QTY",
                   COALESCE(r.defectqty, 0)                                            AS "DEFECT_QTY",
                   r.txndate                                                           AS "TXN_TIME",
                   r.txndate                                                           AS "TXNDATE",
                   date_trunc('day', r.txndate)                                        AS "TXN_DAY"
            FROM r
            LEFT JOIN c ON c.containerid = r.containerid
            LEFT JOIN spec ON spec.spec = btrim(r.specname)
            ORDER BY r.cid COLLATE "C", date_trunc('day', r.txndate) DESC NULLS LAST, 5, 3, r.reject_total DESC,
                     2, r.txndate DESC NULLS LAST, r.row_id
            """,
        "holds": """
            WITH c AS (\(batchContainers))
            SELECT btrim(h.containerid)                                          AS "CONTAINERID",
                   COALESCE(NULLIF(btrim(c.containername), ''), btrim(h.containerid)) AS "CONTAINERNAME",
                   h.workcentername                                              AS "WORKCENTERNAME",
                   h.holdtxndate                                                 AS "HOLDTXNDATE",
                   h.holdemp                                                     AS "HOLDEMP",
                   h.holdempdeptname                                             AS "HOLDEMPDEPTNAME",
                   h.holdreasonname                                              AS "HOLDREASONNAME",
                   h.holdcomments                                                AS "HOLDCOMMENTS",
                   h.releasetxndate                                              AS "RELEASETXNDATE",
                   h.releaseemp                                                  AS "RELEASEEMP",
                   h.releasecomments                                             AS "RELEASECOMMENTS",
                   h.ncrid                                                       AS "NCRID",
                   CASE WHEN h.releasetxndate IS NULL THEN 'HOLD' ELSE 'RELEASED' END AS "HOLD_STATUS",
                   round((extract(epoch FROM COALESCE(h.releasetxndate, $2::timestamp) - h.holdtxndate)
                          / 3600)::numeric, 2)                                   AS "HOLD_HOURS"
            FROM dwh.dw_mes_holdreleasehistory h
            LEFT JOIN c ON c.containerid = h.containerid
            WHERE h.containerid = ANY ($1::bpchar[])
            ORDER BY btrim(h.containerid) COLLATE "C", h.holdtxndate DESC NULLS LAST, h.ctid
            """,
        // Whole-CID match on the job's id tokens, never a substring LIKE: one output row per
        // (job, matching CID of the batch). One containment probe per CID of the batch, which the
        // recommended GIN index on the token expression answers (~30 ms per 1000 CIDs on a 24 000-job
        // table, where an `&&` of the whole batch made the planner scan and compare 1000 × 4
        // tokens per job: 8 s). JobsQueries has the form for warehouses without the index.
        "jobs": """
            SELECT \(JobsQueries.columns("b.cid"))
            FROM unnest($1::bpchar[]::text[]) AS b(cid)
            JOIN dwh.dw_mes_job j ON \(WarehouseIndexes.jobTokens) @> ARRAY[b.cid]
            ORDER BY \(JobsQueries.order("b.cid"))
            """,
        // Latest track-in per (CID, workcenter, equipment); among a partial session's rows the
        // session's original load (largest TRACKINQTY) is kept.
        "upstream_history": """
            SELECT cid AS "CONTAINERID", workcentername AS "WORKCENTERNAME", grp AS "WORKCENTER_GROUP",
                   equipmentid AS "EQUIPMENTID", equipmentname AS "EQUIPMENTNAME", specname AS "SPECNAME",
                   trackintimestamp AS "TRACKINTIMESTAMP", trackinqty AS "TRACKINQTY"
            FROM (
              SELECT btrim(h.containerid) AS cid, h.workcentername,
                     {{STATION_GROUP(h.workcentername)}} AS grp,
                     btrim(h.equipmentid) AS equipmentid, h.equipmentname, h.specname, h.trackintimestamp,
                     COALESCE(h.trackinqty, 0) AS trackinqty, h.ctid AS row_id,
                     row_number() OVER (PARTITION BY h.containerid, h.workcentername, h.equipmentname
                                        ORDER BY h.trackintimestamp DESC, h.trackinqty DESC NULLS LAST, h.ctid) AS rn
              FROM dwh.dw_mes_lotwiphistory h
              WHERE h.containerid = ANY ($1::bpchar[])
                AND h.equipmentid IS NOT NULL
                AND h.trackintimestamp IS NOT NULL
            ) latest
            WHERE rn = 1
            ORDER BY cid COLLATE "C", trackintimestamp, workcentername, equipmentname, row_id
            """,
        // REJECT_TOTAL_QTY here includes DEFECTQTY (the reference's MSD definition since 2026-02-24).
        "downstream_rejects": """
            SELECT btrim(r.containerid)                                     AS "CONTAINERID",
                   r.workcentername                                         AS "WORKCENTERNAME",
                   {{STATION_GROUP(r.workcentername)}}                      AS "WORKCENTER_GROUP",
                   COALESCE(NULLIF(btrim(r.lossreasonname), ''), '(未填寫)') AS "LOSSREASONNAME",
                   COALESCE(NULLIF(btrim(r.equipmentname), ''), '(NA)')     AS "EQUIPMENTNAME",
                   COALESCE(r.rejectqty, 0) + COALESCE(r.standbyqty, 0) + COALESCE(r.qtytoprocess, 0)
                     + COALESCE(r.inprocessqty, 0) + COALESCE(r.processedqty, 0)
                     + COALESCE(r.defectqty, 0)                             AS "REJECT_TOTAL_QTY",
                   r.txndate                                                AS "TXNDATE"
            FROM dwh.dw_mes_lotrejecthistory r
            WHERE r.containerid = ANY ($1::bpchar[])
            ORDER BY btrim(r.containerid) COLLATE "C", r.txndate NULLS LAST, r.ctid
            """,
    ]

    /// Replaces each `{{STATION_GROUP(col)}}` with the station-group CASE over `col`.
    static func expandStationGroups(_ sql: String) -> String {
        var out = sql
        while let open = out.range(of: "{{STATION_GROUP("), let close = out.range(of: ")}}", range: open.upperBound..<out.endIndex) {
            let column = String(out[open.upperBound..<close.lowerBound])
            out.replaceSubrange(open.lowerBound..<close.upperBound, with: StationGroup.sqlCase(column))
        }
        return out
    }
}
