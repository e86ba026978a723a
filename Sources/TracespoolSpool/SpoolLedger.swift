/// The batch ledger of a spool: one row per (domain, CID batch).
public struct LedgerBatch: Sendable, Equatable {
    public let domain: String
    public let batch: Int
    public let firstCID: String
    public let lastCID: String
    public let cidCount: Int
    public var rows: Int
    public var state: String
    public var attempts: Int
    public var errorCode: String?
    public var error: String?
}

extension Spool {
    /// Registers every batch of a domain as pending (idempotent: a resumed job keeps its rows).
    public func planBatches(domain: String, batches: [(first: String, last: String, count: Int)]) throws {
        try database.transaction {
            let s = try database.prepare("""
                INSERT OR IGNORE INTO ledger(domain, batch, first_cid, last_cid, cid_count, state)
                VALUES (?1, ?2, ?3, ?4, ?5, 'pending')
                """)
            for (i, b) in batches.enumerated() {
                try s.bind([domain, String(i), b.first, b.last, String(b.count)])
                try s.step()
                s.reset()
            }
        }
    }

    /// Marks a batch done inside the caller's transaction (the one that inserted its rows).
    public func markBatchDone(domain: String, batch: Int, rows: Int, attempts: Int, seconds: Double) throws {
        try checkFence()
        let s = try database.prepare("""
            UPDATE ledger SET state = 'done', rows = ?3, attempts = ?4, seconds = ?5, error_code = NULL, error = NULL
            WHERE domain = ?1 AND batch = ?2
            """)
        try s.bind([domain, String(batch), String(rows), String(attempts), String(seconds)])
        try s.step()
    }

    public func markBatchFailed(domain: String, batch: Int, attempts: Int, code: String, message: String) throws {
        try checkFence()
        let s = try database.prepare("""
            UPDATE ledger SET state = 'failed', rows = 0, attempts = ?3, error_code = ?4, error = ?5
            WHERE domain = ?1 AND batch = ?2
            """)
        try s.bind([domain, String(batch), String(attempts), code, message])
        try s.step()
    }

    public func ledger(domain: String? = nil) throws -> [LedgerBatch] {
        let s = try database.prepare("""
            SELECT domain, batch, first_cid, last_cid, cid_count, rows, state, attempts, error_code, error
            FROM ledger WHERE ?1 IS NULL OR domain = ?1 ORDER BY domain, batch
            """)
        s.bind(1, domain)
        var out: [LedgerBatch] = []
        while try s.step() {
            out.append(LedgerBatch(
                domain: s.text(0) ?? "", batch: s.int(1) ?? 0, firstCID: s.text(2) ?? "", lastCID: s.text(3) ?? "",
                cidCount: s.int(4) ?? 0, rows: s.int(5) ?? 0, state: s.text(6) ?? "", attempts: s.int(7) ?? 0,
                errorCode: s.text(8), error: s.text(9)))
        }
        return out
    }
}

extension Spool {
    /// `jobs retry-failed`: failed batches become pending again (their rows were never kept), so
    /// the next run of the job fetches them; with `seq` keyed by batch they land in grouped order.
    /// Returns how many batches were reset.
    @discardableResult
    public func resetFailedBatches() throws -> Int {
        try database.transaction {
            try checkFence()
            try database.execute("UPDATE ledger SET state = 'pending', error_code = NULL, error = NULL WHERE state = 'failed'")
            let n = database.changes
            try database.execute("UPDATE domains SET status = 'pending' WHERE status <> 'complete'")
            try database.execute("DELETE FROM meta WHERE key IN ('stage.aggregated', 'quality', 'finished_at')")
            return n
        }
    }
}
