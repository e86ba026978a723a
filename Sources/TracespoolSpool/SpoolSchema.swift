/// The spool file's layout. Bump `version` whenever a table changes; readers refuse newer files.
public enum SpoolSchema {
    public static let version = 1
    /// Marks a file as a tracespool spool (`PRAGMA application_id`): "TSPL".
    public static let applicationId: Int32 = 0x5453_504C

    /// Tables every spool has. Domain tables are created per job from `SpoolDomain`.
    static let base = """
        -- Self-description: request, profile, domains, schema version, snapshot time, timings.
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT
        ) WITHOUT ROWID;

        -- The trace's CID set, in the order batches are cut (sorted).
        CREATE TABLE trace_cids (
          cid TEXT PRIMARY KEY
        ) WITHOUT ROWID;

        -- One row per (domain, CID batch): drives progress, resume and quality_meta.failed_ranges.
        CREATE TABLE ledger (
          domain      TEXT    NOT NULL,
          batch       INTEGER NOT NULL,
          first_cid   TEXT    NOT NULL,
          last_cid    TEXT    NOT NULL,
          cid_count   INTEGER NOT NULL,
          rows        INTEGER NOT NULL DEFAULT 0,
          state       TEXT    NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
          attempts    INTEGER NOT NULL DEFAULT 0,
          error_code  TEXT,
          error       TEXT,
          seconds     REAL,
          PRIMARY KEY (domain, batch)
        ) WITHOUT ROWID;

        -- Which domains the job asked for, in request order, and their final quality.
        CREATE TABLE domains (
          domain    TEXT PRIMARY KEY,
          position  INTEGER NOT NULL,
          rows      INTEGER NOT NULL DEFAULT 0,
          status    TEXT    NOT NULL DEFAULT 'pending'
        ) WITHOUT ROWID;
        """

    /// A domain's typed table. `seq` is `batch << 32 + position` (from 1) (`DomainTableWriter`): batches are
    /// cut in CID order and each batch's rows arrive in (CID, source order), so `seq` order is the
    /// grouped order, however late a batch is committed. `batch` ties rows to the ledger.
    static func domainTable(_ d: SpoolDomain) -> String {
        let cols = d.columns.map { "  \"\($0.name)\" \($0.type == .numeric ? "NUMERIC" : "TEXT")" }
        return """
            CREATE TABLE IF NOT EXISTS \(d.tableName) (
              seq   INTEGER PRIMARY KEY,
              batch INTEGER NOT NULL,
            \(cols.joined(separator: ",\n"))
            );
            """
    }

    /// "All rows of one CID in source order" as a range scan; built once the domain is loaded
    /// (an index built after the load costs a fraction of one maintained during it).
    static func domainIndex(_ d: SpoolDomain) -> String {
        "CREATE INDEX IF NOT EXISTS \(d.tableName)_cid ON \(d.tableName) (\"CONTAINERID\", seq);"
    }
}
