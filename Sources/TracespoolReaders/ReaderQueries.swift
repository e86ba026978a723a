import Foundation

/// Every SQL statement the readers run in a spool, in one place.
///
/// Grouped order is `seq` order: batches are cut from sorted CIDs and each batch's rows arrive in
/// (CID, source order), so walking a domain table by its rowid walks it by CID, then source order.
/// Pages are keyset pages on `seq` ("after position P, up to N rows"), never OFFSET scans, and are
/// bounded above by the high-water mark `seq` taken when the export started: rows a running job
/// commits later are not part of this export.
public enum ReaderQueries {
    /// Reader connections walk tables front to back: a 1 MiB page cache is plenty (the spool's
    /// default 8 MiB would be a quarter of the export's memory budget).
    static let connectionPragmas = "PRAGMA cache_size = -1024"

    /// One meta value (job id, profile, query id, finished_at, msd_summary …).
    static let metaValue = "SELECT value FROM meta WHERE key = ?1"

    /// The job's domains in request order with the status and row count the events stage recorded
    /// when each finished (`pending` while the job still writes it).
    static let domains = "SELECT domain, rows, status FROM domains ORDER BY position"

    /// A domain's status as the events stage recorded it (`pending` while it writes the domain).
    public static let domainStatus = "SELECT status FROM domains WHERE domain = ?1"

    /// For a stream that follows a running job: how many batches the domain has planned and the
    /// first one still pending (NULL when none is). Rows of the batches before it are final.
    public static let committedBatches = """
        SELECT count(*), min(CASE WHEN state = 'pending' THEN batch END)
        FROM ledger
        WHERE domain = ?1
        """

    /// Failed batches of one domain: `quality_meta.failed_ranges`, in CID order.
    static let failedBatches = """
        SELECT first_cid, last_cid
        FROM ledger
        WHERE domain = ?1 AND state = 'failed'
        ORDER BY batch
        """

    /// A domain table's columns in table order (`seq` and `batch` are dropped by the caller):
    /// readers discover the columns from the file, so a copied spool needs nothing else.
    static let tableColumns = "SELECT name FROM pragma_table_info(?1) ORDER BY cid"

    /// The high-water mark of a domain table: the last committed row.
    static func highWaterMark(table: String) -> String {
        "SELECT coalesce(max(seq), 0) FROM \(table)"
    }

    /// Rows at or below the high-water mark — for a domain the job is still writing, whose
    /// `domains.rows` is not set yet.
    static func rowsUpTo(table: String) -> String {
        "SELECT count(*) FROM \(table) WHERE seq <= ?1"
    }

    /// Rows in (after, high], counted no further than `limit`: sizes a page without a deep scan.
    static func rowsBetween(table: String) -> String {
        "SELECT count(*) FROM (SELECT 1 FROM \(table) WHERE seq > ?1 AND seq <= ?2 LIMIT ?3)"
    }

    /// Whether any row lies in (after, high]: checks that a domain ended where its count said.
    static func anyRowBetween(table: String) -> String {
        "SELECT EXISTS (SELECT 1 FROM \(table) WHERE seq > ?1 AND seq <= ?2)"
    }

    /// The keyset page: after position ?1, up to the high-water mark ?2, at most ?3 rows, in
    /// grouped order. Column 0 is `seq`; the domain's columns follow in table order.
    static func page(table: String, columns: [String]) -> String {
        let list = columns.map(quoted).joined(separator: ", ")
        return """
            SELECT seq, \(list)
            FROM \(table)
            WHERE seq > ?1 AND seq <= ?2
            ORDER BY seq
            LIMIT ?3
            """
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
