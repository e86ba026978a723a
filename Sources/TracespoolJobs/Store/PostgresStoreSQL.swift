/// The SQL of the job store on PostgreSQL (`TRACESPOOL_STORE=postgresql://…`, README "Many
/// hosts"). The same columns, states and compare-and-set transitions as `CatalogSQL`; what differs
/// is what many hosts need: the store's clock (not each host's) judges leases, claiming locks the
/// row it takes with `FOR UPDATE SKIP LOCKED` so concurrent claimers never wait on each other, and
/// a job's request lists live in the store, so a worker on any host can run it.
enum PostgresStoreSQL {
    /// The store's clock: every lease, heartbeat and finish time is the database's, so hosts whose
    /// clocks differ still agree on whether a lease expired.
    static let epochNow = "extract(epoch FROM now())::float8"
    static let isoNow = #"to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#
    static let expiresFromNow = #"to_char((now() + make_interval(secs => ttl_seconds)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#

    /// Versioned migrations, applied in order by `tracespool store migrate` (each once, recorded in
    /// `tracespool_store_migrations`). Append, never edit: a deployed store has run the old ones.
    static let migrations: [(version: Int, sql: String)] = [
        (1, """
            CREATE TABLE jobs (
              id                text PRIMARY KEY,
              seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,   -- submit order
              profile           text NOT NULL,
              request           text NOT NULL,        -- normalised request; its lists are in job_request_values
              request_key       text NOT NULL,
              state             text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired')),
              attempt           integer NOT NULL DEFAULT 0,
              worker            text,
              node              text,                 -- the node whose spool folder holds the job's spool
              node_url          text,                 -- that node's API address, for proxied reads
              lease_until       double precision,     -- unix seconds, the store's clock
              cancel_requested  boolean NOT NULL DEFAULT false,
              quality           text CHECK (quality IN ('complete', 'partial', 'failed')),
              stage             text,
              pct               double precision,
              progress          text,
              cid_count         bigint,
              rows              bigint,
              warnings          text,
              error_code        text,
              error_message     text,
              created_at        text NOT NULL,
              started_at        text,
              finished_at       text,
              heartbeat_at      text,
              spool_file        text,
              bytes             bigint,
              ttl_seconds       integer NOT NULL DEFAULT 86400,
              expires_at        text
            );
            CREATE INDEX jobs_state ON jobs (state, seq);
            CREATE INDEX jobs_request_key ON jobs (request_key) WHERE state IN ('queued', 'running');
            CREATE INDEX jobs_key_seq ON jobs (request_key, seq);

            CREATE TABLE job_aliases (
              alias   text PRIMARY KEY,
              job_id  text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE
            );
            CREATE INDEX job_aliases_job ON job_aliases (job_id);

            -- The request's lists (seed values, seed CIDs, explicit CIDs), as `<id>.request.sqlite`
            -- holds them on one host: any worker restores that file from here.
            CREATE TABLE job_request_values (
              job_id  text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
              list    text NOT NULL,
              value   text NOT NULL,
              pos     bigint NOT NULL,
              PRIMARY KEY (job_id, list, value)
            );
            """),
    ]

    static var version: Int { migrations.last?.version ?? 0 }

    static let migrationsTable = """
        CREATE TABLE IF NOT EXISTS tracespool_store_migrations (
          version     integer PRIMARY KEY,
          applied_at  timestamptz NOT NULL DEFAULT now(),
          applied_by  text NOT NULL
        )
        """

    /// One migrator at a time (two hosts running `store migrate` at once): a transaction-scoped
    /// advisory lock on a constant key.
    static let migrationLock = "SELECT pg_advisory_xact_lock(7438210564)"
    static let appliedVersion = "SELECT coalesce(max(version), 0) FROM tracespool_store_migrations"
    static let hasMigrationsTable = "SELECT to_regclass('tracespool_store_migrations') IS NOT NULL"
    static let recordMigration = "INSERT INTO tracespool_store_migrations (version, applied_by) VALUES ($1::int, $2)"

    static let columns = """
        id, profile, request, request_key, state, attempt, worker, lease_until, cancel_requested::int, quality, stage, pct,
        progress, cid_count, rows, warnings, error_code, error_message, created_at, started_at, finished_at,
        heartbeat_at, spool_file, bytes, expires_at, ttl_seconds, seq, node, node_url
        """

    /// Submits of one request key wait for each other (the check and the insert are one unit).
    static let keyLock = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"

    static let activeWithKey = "SELECT id FROM jobs WHERE request_key = $1 AND state IN ('queued', 'running') ORDER BY seq LIMIT 1"

    /// As `CatalogSQL.answeringWithKey`; `$2` is how many seconds a failure answers.
    static let answeringWithKey = """
        SELECT id FROM jobs
        WHERE request_key = $1
          AND (state IN ('queued', 'running', 'succeeded')
               OR (state = 'failed' AND finished_at >= to_char((now() - make_interval(secs => $2::float8)) AT TIME ZONE 'UTC',
                                                               'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
        ORDER BY CASE state WHEN 'succeeded' THEN 0 WHEN 'failed' THEN 2 ELSE 1 END,
                 CASE WHEN state IN ('queued', 'running') THEN seq ELSE -seq END
        LIMIT 1
        """

    static let insert = """
        INSERT INTO jobs (id, profile, request, request_key, state, created_at, ttl_seconds, cid_count)
        VALUES ($1, $2, $3, $4, 'queued', \(isoNow), $5::int, $6::bigint)
        """

    /// `run`: inserted already claimed by this process.
    static let insertClaimed = """
        INSERT INTO jobs (id, profile, request, request_key, state, created_at, ttl_seconds, cid_count,
                          attempt, worker, node, node_url, lease_until, started_at, heartbeat_at)
        VALUES ($1, $2, $3, $4, 'running', \(isoNow), $5::int, $6::bigint, 1, $7, $8, $9, \(epochNow) + $10::float8, \(isoNow), \(isoNow))
        """

    /// A chunk of a request's lists (parallel arrays), inserted in the submit's transaction.
    static let insertRequestValues = """
        INSERT INTO job_request_values (job_id, list, value, pos)
        SELECT $1, l, v, p FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u (l, v, p)
        ON CONFLICT DO NOTHING
        """

    /// One keyset page of a request's lists, to rebuild its request file on another host.
    static let requestValuesPage = """
        SELECT list, value, pos FROM job_request_values
        WHERE job_id = $1 AND ($2::text IS NULL OR (list, value) > ($2, $3))
        ORDER BY list, value LIMIT $4::int
        """

    static let cancelAbandoned = """
        UPDATE jobs SET state = 'cancelled', finished_at = \(isoNow), error_code = 'CANCELLED',
                        error_message = 'the job was cancelled (its worker was gone)', expires_at = \(expiresFromNow)
        WHERE state = 'running' AND cancel_requested AND lease_until < \(epochNow)
        """

    /// The oldest queued job or a running one whose lease expired, locked and taken in one
    /// statement; rows another claimer holds are skipped, not waited for. `$1` limits it to one job.
    static let claim = """
        WITH next AS (
          SELECT id FROM jobs
          WHERE ($1::text IS NULL OR id = $1)
            AND ((state = 'queued' AND NOT cancel_requested) OR (state = 'running' AND lease_until < \(epochNow)))
          ORDER BY seq
          LIMIT 1
          FOR UPDATE SKIP LOCKED
        )
        UPDATE jobs SET state = 'running', worker = $2, node = $3, node_url = $4, attempt = jobs.attempt + 1,
                        lease_until = \(epochNow) + $5::float8, started_at = coalesce(jobs.started_at, \(isoNow)),
                        heartbeat_at = \(isoNow), error_code = NULL, error_message = NULL
        FROM next WHERE jobs.id = next.id
        RETURNING jobs.id, jobs.attempt, jobs.request
        """

    static let heartbeat = """
        UPDATE jobs SET lease_until = \(epochNow) + $4::float8, heartbeat_at = \(isoNow)
        WHERE id = $1 AND state = 'running' AND worker = $2 AND attempt = $3::int
        RETURNING cancel_requested::int
        """

    static let progress = """
        UPDATE jobs SET stage = coalesce($4, stage), pct = coalesce($5::float8, pct), progress = coalesce($6, progress)
        WHERE id = $1 AND state = 'running' AND worker = $2 AND attempt = $3::int
        """

    static let finish = """
        UPDATE jobs SET state = $4, quality = $5, cid_count = coalesce($6::bigint, cid_count), rows = $7::bigint, warnings = $8,
                        error_code = $9, error_message = $10, spool_file = $11, bytes = $12::bigint, finished_at = \(isoNow),
                        heartbeat_at = \(isoNow), lease_until = NULL,
                        pct = CASE WHEN $4 = 'succeeded' THEN 100 ELSE pct END,
                        expires_at = \(expiresFromNow)
        WHERE id = $1 AND state = 'running' AND worker = $2 AND attempt = $3::int
        """

    /// Whether a finish whose reply was lost (the connection broke after the commit) was written.
    static let finishedAs = "SELECT 1 FROM jobs WHERE id = $1 AND worker = $2 AND attempt = $3::int AND state = $4"

    static let release = """
        UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, progress = 'interrupted: waiting for a worker'
        WHERE id = $1 AND state = 'running' AND worker = $2 AND attempt = $3::int
        """

    static let cancelQueued = """
        UPDATE jobs SET state = 'cancelled', cancel_requested = true, finished_at = \(isoNow), error_code = 'CANCELLED',
                        error_message = 'the job was cancelled before it started', expires_at = \(expiresFromNow)
        WHERE id = $1 AND state = 'queued'
        """

    static let cancelRunning = "UPDATE jobs SET cancel_requested = true WHERE id = $1 AND state = 'running'"
    static let stateOf = "SELECT state FROM jobs WHERE id = $1"

    static let requeue = """
        UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, cancel_requested = false, finished_at = NULL,
                        expires_at = NULL, error_code = NULL, error_message = NULL, progress = 'queued again'
        WHERE id = $1 AND state = $2
        """

    static let expire = "UPDATE jobs SET state = 'expired' WHERE id = $1 AND state = $2"

    static let list = """
        SELECT \(columns) FROM jobs
        WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR seq < (SELECT seq FROM jobs WHERE id = $2))
        ORDER BY seq DESC LIMIT $3::int
        """

    static let get = "SELECT \(columns) FROM jobs WHERE id = $1"

    /// As `CatalogSQL.retentionPage`; `$1` is a text array of states; `$6` (if not NULL) keeps
    /// only the jobs whose spool lives on that node — each node collects its own.
    static let retentionPage = """
        SELECT \(columns) FROM jobs
        WHERE state = ANY ($1::text[])
          AND ($2::text IS NULL OR expires_at <= $2)
          AND ($3::text IS NULL OR (coalesce(finished_at, ''), seq) > ($3, $4::bigint))
          AND ($6::text IS NULL OR node = $6 OR node IS NULL)
        ORDER BY coalesce(finished_at, ''), seq LIMIT $5::int
        """

    static let delete = "DELETE FROM jobs WHERE id = $1"

    static let setAlias = "INSERT INTO job_aliases (alias, job_id) VALUES ($1, $2) ON CONFLICT (alias) DO UPDATE SET job_id = excluded.job_id"
    static let jobOfAlias = "SELECT job_id FROM job_aliases WHERE alias = $1"
    static let aliasesOfJob = "SELECT alias FROM job_aliases WHERE job_id = $1 ORDER BY alias"

    static let totals = "SELECT coalesce(sum(bytes), 0), (SELECT count(*) FROM jobs WHERE attempt > 1) FROM jobs WHERE state <> 'expired'"
    static let countInState = "SELECT count(*) FROM jobs WHERE state = $1"
    /// `/readyz`: a write that changes nothing, run inside a transaction that is rolled back.
    static let writeProbe = "UPDATE jobs SET state = state WHERE false"

    /// Wakes idle workers sooner; they poll regardless (NOTIFY does not pass PgBouncer's
    /// transaction pooling, so nothing may depend on it).
    static let notifyQueued = "SELECT pg_notify('tracespool_jobs', $1)"
}
