import TracespoolSpool

/// The `jobs` domain on a warehouse without the recommended GIN index on `containerids` tokens
/// (`WarehouseIndexes.jobsTokenIndex`). Matching a batch's CIDs would then scan all of
/// `dw_mes_job` once per batch, so the stage works in two passes instead:
///
/// 1. `tokens`: one scan of `dw_mes_job` for the whole trace, streaming narrow (token, ctid) pairs
///    into the spool (`SpoolDomain.jobTokens`), where those not in the trace are dropped;
/// 2. `byTid`: per CID batch, the matching jobs fetched by their ctids (a TID scan, no index
///    needed). ctids are stable inside the job's snapshot: every connection imports the same one.
///
/// Both passes give exactly the rows of `DomainQueries`' indexed form, in the same order.
public enum JobsQueries {
    /// The domain's output columns (`SpoolDomain` "jobs"), shared by both forms; `cid` is the
    /// matched CID's expression.
    static func columns(_ cid: String) -> String { """
        btrim(j.jobid)        AS "JOBID",
               btrim(j.resourceid)   AS "RESOURCEID",
               j.resourcename        AS "RESOURCENAME",
               j.jobstatus           AS "JOBSTATUS",
               j.jobmodelname        AS "JOBMODELNAME",
               j.jobordername        AS "JOBORDERNAME",
               j.createdate          AS "CREATEDATE",
               j.completedate        AS "COMPLETEDATE",
               j.causecodename       AS "CAUSECODENAME",
               j.repaircodename      AS "REPAIRCODENAME",
               j.symptomcodename     AS "SYMPTOMCODENAME",
               j.containerids        AS "CONTAINERIDS",
               j.containernames      AS "CONTAINERNAMES",
               \(cid)                 AS "CONTAINERID"
        """
    }

    static func order(_ cid: String) -> String { #"\#(cid) COLLATE "C", j.createdate DESC NULLS LAST, j.jobid, j.ctid"# }

    /// Pass 1: every non-empty token of every job with the job's ctid. No parameters.
    public static let tokens = """
        SELECT x AS "CONTAINERID", j.ctid::text AS "JOB_TID"
        FROM dwh.dw_mes_job j
        CROSS JOIN LATERAL unnest(\(WarehouseIndexes.jobTokens)) AS x
        WHERE x <> '' AND length(x) <= 16
        """

    /// Pass 2: `$1` the CID batch, `$2` the snapshot time (unused here, shared by every domain's
    /// plan), `$3` the ctids of the jobs that list any of the batch's CIDs.
    /// The ctids of a CID range's jobs, from the spool (`?1`, `?2` = the range).
    public static let tidsOfRange = """
        SELECT DISTINCT JOB_TID FROM job_tokens WHERE CONTAINERID BETWEEN ?1 AND ?2 ORDER BY JOB_TID
        """

    /// Keeps only the tokens that are CIDs of the trace, then indexes them.
    public static let keepTraceTokens = """
        DELETE FROM job_tokens WHERE CONTAINERID NOT IN (SELECT cid FROM trace_cids);
        CREATE INDEX IF NOT EXISTS job_tokens_cid ON job_tokens (CONTAINERID, JOB_TID);
        """

    public static let byTid = """
        SELECT \(columns("m.cid"))
        FROM dwh.dw_mes_job j
        CROSS JOIN LATERAL (SELECT DISTINCT x FROM unnest(\(WarehouseIndexes.jobTokens)) AS x) AS m(cid)
        WHERE j.ctid = ANY ($3::tid[])
          AND m.cid = ANY ($1::bpchar[]::text[])
        ORDER BY \(order("m.cid"))
        """
}
