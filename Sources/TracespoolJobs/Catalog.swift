import Foundation
import TracespoolSpool

/// `spool/catalog.sqlite`: every job, its state and progress. Each job only ever updates its own
/// row, so a failing job (even on a full disk) leaves earlier jobs' records as they were.
public final class Catalog: @unchecked Sendable {
    public let database: SQLiteDatabase
    public let folder: String

    static let schema = """
        CREATE TABLE IF NOT EXISTS jobs (
          id             TEXT PRIMARY KEY,
          profile        TEXT NOT NULL,
          request        TEXT NOT NULL,
          state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
          quality        TEXT CHECK (quality IN ('complete', 'partial', 'failed')),
          stage          TEXT,
          pct            REAL,
          progress       TEXT,
          cid_count      INTEGER,
          rows           INTEGER,
          warnings       TEXT,
          error_code     TEXT,
          error_message  TEXT,
          created_at     TEXT NOT NULL,
          started_at     TEXT,
          finished_at    TEXT,
          heartbeat_at   TEXT,
          spool_file     TEXT,
          bytes          INTEGER,
          expires_at     TEXT
        );
        CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, created_at);
        """

    public init(folder: String) throws {
        self.folder = folder
        database = try SQLiteDatabase(path: folder + "/catalog.sqlite", mode: .create)
        // A handful of rows per job: a small page cache keeps the job's memory for the spool.
        try database.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -256;")
        try database.execute(Catalog.schema)
        // Catalogs written before the quality column: add it (a succeeded job of theirs predates
        // per-stage quality and reads as unknown, NULL).
        let columns = try database.prepare("SELECT count(*) FROM pragma_table_info('jobs') WHERE name = 'quality'")
        let hasQuality = try columns.step() && columns.int(0) == 1
        columns.reset()
        if !hasQuality { try database.execute("ALTER TABLE jobs ADD COLUMN quality TEXT") }
    }

    public struct Job: Sendable {
        public let id: String
        public let profile: String
        public let state: String
        public let quality: String?
        public let spoolFile: String?
        public let errorCode: String?
        public let errorMessage: String?
    }

    public func insert(id: String, profile: String, request: String, state: String, ttlSeconds: Int) throws {
        let s = try database.prepare("""
            INSERT INTO jobs (id, profile, request, state, created_at, started_at, heartbeat_at, expires_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, ?6)
            """)
        let now = Date()
        try s.bind([id, profile, request, state, Timestamps.iso(now), Timestamps.iso(now.addingTimeInterval(Double(ttlSeconds)))])
        try s.step()
    }

    public func update(id: String, stage: String?, pct: Double?, progress: String?) throws {
        let s = try database.prepare("""
            UPDATE jobs SET stage = coalesce(?2, stage), pct = coalesce(?3, pct), progress = coalesce(?4, progress),
                            heartbeat_at = ?5 WHERE id = ?1
            """)
        try s.bind([id, stage, pct.map { String($0) }, progress, Timestamps.iso(Date())])
        try s.step()
    }

    /// `quality` is the job's (`complete` / `partial`) when it succeeded: a partial job is never
    /// recorded as a plain success.
    public func finish(id: String, state: String, quality: String?, cidCount: Int?, rows: Int?, warnings: String?,
                       errorCode: String?, errorMessage: String?, spoolFile: String?, bytes: Int?) throws {
        let s = try database.prepare("""
            UPDATE jobs SET state = ?2, cid_count = ?3, rows = ?4, warnings = ?5, error_code = ?6, error_message = ?7,
                            spool_file = ?8, bytes = ?9, finished_at = ?10, heartbeat_at = ?10,
                            pct = CASE WHEN ?2 = 'succeeded' THEN 100 ELSE pct END, quality = ?11
            WHERE id = ?1
            """)
        try s.bind([id, state, cidCount.map { String($0) }, rows.map { String($0) }, warnings, errorCode, errorMessage,
                    spoolFile, bytes.map { String($0) }, Timestamps.iso(Date()), quality])
        try s.step()
    }

    public func delete(id: String) throws {
        let s = try database.prepare("DELETE FROM jobs WHERE id = ?1")
        s.bind(1, id)
        try s.step()
    }

    public func job(_ id: String) throws -> Job? {
        let s = try database.prepare("SELECT id, profile, state, spool_file, error_code, error_message, quality FROM jobs WHERE id = ?1")
        s.bind(1, id)
        guard try s.step() else { return nil }
        return Job(id: s.text(0) ?? "", profile: s.text(1) ?? "", state: s.text(2) ?? "", quality: s.text(6),
                   spoolFile: s.text(3), errorCode: s.text(4), errorMessage: s.text(5))
    }
}

enum Timestamps {
    static func iso(_ d: Date) -> String { UTCTime.iso(d) }
}
