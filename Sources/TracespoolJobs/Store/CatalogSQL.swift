/// The SQL of `catalog.sqlite` (the SQLite job store). Times a worker compares (leases) are unix
/// seconds; times people read are ISO-8601 UTC text, which sorts as it reads.
enum CatalogSQL {
    /// Bumped whenever the jobs table changes; `SQLiteJobStore` migrates older catalogs (a v2
    /// catalog gains the aliases table and the key index by running `schema`: every statement is
    /// `IF NOT EXISTS`).
    static let version = 4

    /// Version 4: the node that holds a job's spool (README "Many hosts"); one host's catalog
    /// records its own node, so a catalog moved to a PostgreSQL store keeps the fact.
    static let addNodeColumns = """
        ALTER TABLE jobs ADD COLUMN node TEXT;
        ALTER TABLE jobs ADD COLUMN node_url TEXT;
        """

    static let schema = """
        CREATE TABLE IF NOT EXISTS jobs (
          id                TEXT PRIMARY KEY,
          seq               INTEGER NOT NULL,            -- submit order (oldest queued first)
          profile           TEXT NOT NULL,
          request           TEXT NOT NULL,               -- normalised request; its lists are in <id>.request.sqlite
          request_key       TEXT NOT NULL,               -- hash of the normalised request and its lists
          state             TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired')),
          attempt           INTEGER NOT NULL DEFAULT 0,
          worker            TEXT,
          node              TEXT,                        -- the node whose spool folder holds the spool
          node_url          TEXT,                        -- its API address
          lease_until       REAL,                        -- unix seconds
          cancel_requested  INTEGER NOT NULL DEFAULT 0,
          quality           TEXT CHECK (quality IN ('complete', 'partial', 'failed')),
          stage             TEXT,
          pct               REAL,
          progress          TEXT,
          cid_count         INTEGER,
          rows              INTEGER,
          warnings          TEXT,
          error_code        TEXT,
          error_message     TEXT,
          created_at        TEXT NOT NULL,
          started_at        TEXT,
          finished_at       TEXT,
          heartbeat_at      TEXT,
          spool_file        TEXT,
          bytes             INTEGER,
          ttl_seconds       INTEGER NOT NULL DEFAULT 86400,
          expires_at        TEXT
        );
        CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, seq);
        CREATE INDEX IF NOT EXISTS jobs_request_key ON jobs (request_key) WHERE state IN ('queued', 'running');
        CREATE INDEX IF NOT EXISTS jobs_key_seq ON jobs (request_key, seq);

        -- Other names of a job: the reference routes' query ids (`trc-…`, `trace-lineage-…`,
        -- `msd-…`), so a client holding one finds the job (README "Reference routes").
        CREATE TABLE IF NOT EXISTS job_aliases (
          alias   TEXT PRIMARY KEY,
          job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS job_aliases_job ON job_aliases (job_id);
        """

    /// A catalog of tracespool ≤ 0.9 (no version, no leases): its rows are kept; a job it left
    /// `running` had no lease to expire and no stored request to resume from, so it reads as failed.
    static let migrateFromV1 = """
        ALTER TABLE jobs RENAME TO jobs_v1;
        DROP INDEX IF EXISTS jobs_state;
        \(schema)
        INSERT INTO jobs (id, seq, profile, request, request_key, state, quality, stage, pct, progress, cid_count, rows,
                          warnings, error_code, error_message, created_at, started_at, finished_at, heartbeat_at,
                          spool_file, bytes, expires_at)
        SELECT id, rowid, profile, request, 'v1:' || id,
               CASE WHEN state IN ('queued', 'running') THEN 'failed' ELSE state END,
               quality, stage, pct, progress, cid_count, rows, warnings,
               CASE WHEN state IN ('queued', 'running') THEN 'WORKER_LOST' ELSE error_code END,
               CASE WHEN state IN ('queued', 'running') THEN 'left running by a tracespool without leases' ELSE error_message END,
               created_at, started_at, coalesce(finished_at, heartbeat_at), heartbeat_at, spool_file, bytes, expires_at
        FROM jobs_v1;
        DROP TABLE jobs_v1;
        """

    static let columns = """
        id, profile, request, request_key, state, attempt, worker, lease_until, cancel_requested, quality, stage, pct,
        progress, cid_count, rows, warnings, error_code, error_message, created_at, started_at, finished_at,
        heartbeat_at, spool_file, bytes, expires_at, ttl_seconds, seq, node, node_url
        """

    /// Finished (or expired) jobs in the order retention takes them — oldest finish first — one
    /// keyset page at a time. `?1` is a comma-separated state list; `?2` (if not NULL) keeps only
    /// jobs expiring by then.
    static let retentionPage = """
        SELECT \(columns) FROM jobs
        WHERE instr(',' || ?1 || ',', ',' || state || ',') > 0
          AND (?2 IS NULL OR expires_at <= ?2)
          AND (?3 IS NULL OR (coalesce(finished_at, ''), seq) > (?3, ?4))
        ORDER BY coalesce(finished_at, ''), seq LIMIT ?5
        """

    static let activeWithKey = "SELECT id FROM jobs WHERE request_key = ?1 AND state IN ('queued', 'running') ORDER BY seq LIMIT 1"

    /// A job that answers the same request: the newest succeeded one (its spool is there until
    /// retention marks it expired), else the oldest queued or running one, else the newest one that
    /// failed since ?2 (an ISO time) — so a poller sees the failure instead of a fresh job.
    static let answeringWithKey = """
        SELECT id FROM jobs
        WHERE request_key = ?1
          AND (state IN ('queued', 'running', 'succeeded') OR (state = 'failed' AND finished_at >= ?2))
        ORDER BY CASE state WHEN 'succeeded' THEN 0 WHEN 'failed' THEN 2 ELSE 1 END,
                 CASE WHEN state IN ('queued', 'running') THEN seq ELSE -seq END
        LIMIT 1
        """

    static let setAlias = "INSERT INTO job_aliases (alias, job_id) VALUES (?1, ?2) ON CONFLICT (alias) DO UPDATE SET job_id = excluded.job_id"
    static let jobOfAlias = "SELECT job_id FROM job_aliases WHERE alias = ?1"
    static let aliasesOfJob = "SELECT alias FROM job_aliases WHERE job_id = ?1 ORDER BY alias"

    static let insert = """
        INSERT INTO jobs (id, seq, profile, request, request_key, state, created_at, ttl_seconds, cid_count)
        VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM jobs), ?2, ?3, ?4, 'queued', ?5, ?6, ?7)
        """

    /// `run`: the job is inserted already claimed by this process, so no worker can take it first.
    static let insertClaimed = """
        INSERT INTO jobs (id, seq, profile, request, request_key, state, created_at, ttl_seconds, cid_count,
                          attempt, worker, lease_until, started_at, heartbeat_at, node, node_url)
        VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM jobs), ?2, ?3, ?4, 'running', ?5, ?6, ?7, 1, ?8, ?9 + ?10, ?5, ?5, ?11, ?12)
        """

    /// A lease-expired job whose cancel was requested ends `cancelled` instead of being taken over.
    static let cancelAbandoned = """
        UPDATE jobs SET state = 'cancelled', finished_at = ?2, error_code = 'CANCELLED',
                        error_message = 'the job was cancelled (its worker was gone)',
                        expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?1 + ttl_seconds, 'unixepoch')
        WHERE state = 'running' AND cancel_requested = 1 AND lease_until < ?1
        """

    /// One statement: the oldest queued job, or a running one whose lease expired (takeover).
    /// `?5` limits it to one job (`jobs resume ID`); NULL takes any.
    static let claim = """
        UPDATE jobs SET state = 'running', worker = ?2, node = ?6, node_url = ?7, attempt = attempt + 1, lease_until = ?1 + ?3,
                        started_at = coalesce(started_at, ?4), heartbeat_at = ?4, error_code = NULL, error_message = NULL
        WHERE id = (SELECT id FROM jobs
                    WHERE (?5 IS NULL OR id = ?5)
                      AND ((state = 'queued' AND cancel_requested = 0) OR (state = 'running' AND lease_until < ?1))
                    ORDER BY seq LIMIT 1)
        RETURNING id, attempt, request
        """

    static let heartbeat = """
        UPDATE jobs SET lease_until = ?4 + ?5, heartbeat_at = ?6
        WHERE id = ?1 AND state = 'running' AND worker = ?2 AND attempt = ?3
        RETURNING cancel_requested
        """

    static let progress = """
        UPDATE jobs SET stage = coalesce(?4, stage), pct = coalesce(?5, pct), progress = coalesce(?6, progress)
        WHERE id = ?1 AND state = 'running' AND worker = ?2 AND attempt = ?3
        """

    static let finish = """
        UPDATE jobs SET state = ?4, quality = ?5, cid_count = coalesce(?6, cid_count), rows = ?7, warnings = ?8,
                        error_code = ?9, error_message = ?10, spool_file = ?11, bytes = ?12, finished_at = ?13,
                        heartbeat_at = ?13, lease_until = NULL,
                        pct = CASE WHEN ?4 = 'succeeded' THEN 100 ELSE pct END,
                        expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?14 + ttl_seconds, 'unixepoch')
        WHERE id = ?1 AND state = 'running' AND worker = ?2 AND attempt = ?3
        """

    static let release = """
        UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, progress = 'interrupted: waiting for a worker'
        WHERE id = ?1 AND state = 'running' AND worker = ?2 AND attempt = ?3
        """

    static let cancelQueued = """
        UPDATE jobs SET state = 'cancelled', cancel_requested = 1, finished_at = ?2, error_code = 'CANCELLED',
                        error_message = 'the job was cancelled before it started',
                        expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?3 + ttl_seconds, 'unixepoch')
        WHERE id = ?1 AND state = 'queued'
        """

    static let cancelRunning = "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1 AND state = 'running'"

    static let requeue = """
        UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, cancel_requested = 0, finished_at = NULL,
                        expires_at = NULL, error_code = NULL, error_message = NULL, progress = 'queued again'
        WHERE id = ?1 AND state = ?2
        """

    static let expire = "UPDATE jobs SET state = 'expired' WHERE id = ?1 AND state = ?2"

    static let list = """
        SELECT \(columns) FROM jobs
        WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR seq < (SELECT seq FROM jobs WHERE id = ?2))
        ORDER BY seq DESC LIMIT ?3
        """

    static let get = "SELECT \(columns) FROM jobs WHERE id = ?1"

    static let delete = "DELETE FROM jobs WHERE id = ?1"
    static let deleteAliases = "DELETE FROM job_aliases WHERE job_id = ?1"
}
