/// One `REPEATABLE READ READ ONLY` snapshot per job. The anchor connection opens the transaction
/// and exports its snapshot; every fetch connection imports it, so all batches of a job — on any
/// connection, and after a reconnect — see the same warehouse state.
public final class SourceSnapshot: @unchecked Sendable {
    public let conninfo: String
    public let snapshotId: String
    /// The server's clock when the snapshot was taken (`YYYY-MM-DD HH:MM:SS`), recorded in the spool.
    public let takenAt: String
    private let anchor: PGConnection

    public init(conninfo: String) throws {
        self.conninfo = conninfo
        anchor = try PGConnection(conninfo: conninfo)
        try anchor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let r = try anchor.query(
            "SELECT pg_export_snapshot(), to_char(statement_timestamp(), 'YYYY-MM-DD HH24:MI:SS')")
        snapshotId = r.string(0, 0) ?? ""
        takenAt = r.string(0, 1) ?? ""
    }

    /// A new connection inside this snapshot, with the given per-statement timeout.
    public func openReader(statementTimeoutMs: Int) throws -> PGConnection {
        let c = try PGConnection(conninfo: conninfo)
        try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        // The snapshot id comes from the server, never from a client: still quote it properly.
        // It lives only as long as the anchor's transaction: after a server restart (or a dead
        // anchor) it is gone, and a new snapshot would be another warehouse state.
        do {
            try c.execute("SET TRANSACTION SNAPSHOT \(try c.escapeLiteral(snapshotId))")
        } catch let e as SourceError where e.sqlState == "22023" || e.sqlState == "0A000" || e.kind == .queryFailed {
            throw SourceError(.snapshotLost, "the job's warehouse snapshot \(snapshotId) is gone (\(e.message)); "
                + "the job stops rather than mix warehouse states", sqlState: e.sqlState)
        }
        try c.execute("SET LOCAL statement_timeout = \(max(0, statementTimeoutMs))")
        for setting in SourceSnapshot.readerSettings { try c.execute(setting) }
        return c
    }

    /// The planner settings of every fetch connection (`tracespool doctor` plans its sample
    /// batches under them too).
    public static let readerSettings = [
        // A batch's sort (by CID, then source order) fits in memory instead of spilling to disk.
        "SET LOCAL work_mem = '64MB'",
        // Batch joins are id equalities. A merge join orders char(16) ids with the database's
        // collation (strcoll per comparison under a non-C locale) and measured ~3× slower than a
        // hash join over the batch's own ≤ 1000 container rows.
        "SET LOCAL enable_mergejoin = off",
    ]

    /// Runs small lookups inside the snapshot on the anchor connection.
    public var connection: PGConnection { anchor }

    public func close() {
        try? anchor.execute("COMMIT")
        anchor.close()
    }
}
