import Foundation
import TracespoolSpool

/// A failed CID batch of a domain (`quality_meta.failed_ranges`).
public struct FailedRange: Sendable, Equatable {
    public let start: String
    public let end: String
}

/// One domain as an export sees it: its columns (read from the file), its status, and the
/// high-water mark that bounds the export — rows committed after the export started are not in it.
public struct DomainSnapshot: Sendable {
    public let domain: SpoolDomain
    public var name: String { domain.name }
    /// Column names in table order, without `seq` and `batch`.
    public let columns: [String]
    public let cidColumn: Int
    public let nameColumn: Int?
    /// `complete`, `partial` or `failed` as the events stage recorded it; `pending` while the job
    /// is still writing (or has not reached) this domain.
    public let status: String
    /// Rows up to the high-water mark.
    public let total: Int
    public let highWaterMark: Int64
    public let failedRanges: [FailedRange]

    public var quality: DomainQuality {
        DomainQuality(domain: name, status: status, observedRows: total, failedRanges: failedRanges)
    }
}

/// Opens a view of a spool for export: job meta and per-domain snapshots taken in one short read
/// transaction. A spool a job is still writing can be read: in WAL mode this never blocks the
/// writer, and the high-water marks keep the export to the batches committed when it started.
/// Pages run in their own short read transactions, so a long export does not pin the WAL.
public final class SpoolReader {
    public let spool: Spool
    public let jobId: String?
    public let profile: String?
    public let queryId: String?
    /// True once the job recorded `finished_at` (a running job's spool reads as in progress).
    public let finished: Bool
    /// The job's stored MSD summary (meta `msd_summary`, JSON), passed through as `aggregation`.
    public let aggregation: String?
    /// Every domain of the job, in request order.
    public let domains: [DomainSnapshot]

    public init(spool: Spool) throws {
        self.spool = spool
        let db = spool.database
        do {
            // A sequential scan gains nothing from a big page cache; keep the reader's small.
            try db.execute(ReaderQueries.connectionPragmas)
            try db.execute("BEGIN")
            defer { try? db.execute("COMMIT") }
            let meta = try db.prepare(ReaderQueries.metaValue)
            func value(_ key: String) throws -> String? {
                meta.reset()
                meta.bind(1, key)
                return try meta.step() ? meta.text(0) : nil
            }
            jobId = try value("job_id")
            profile = try value("profile")
            queryId = try value("query_id") ?? jobId
            finished = try value("finished_at") != nil
            aggregation = try value("msd_summary")

            var list: [(name: String, rows: Int, status: String)] = []
            let d = try db.prepare(ReaderQueries.domains)
            while try d.step() { list.append((d.text(0) ?? "", d.int(1) ?? 0, d.text(2) ?? "pending")) }
            var snapshots: [DomainSnapshot] = []
            for entry in list {
                guard let domain = SpoolDomain.named(entry.name) else {
                    throw SpoolError(.unsupportedVersion, "\(spool.path) holds domain \"\(entry.name)\", unknown to this tracespool")
                }
                snapshots.append(try SpoolReader.snapshot(db, domain, rows: entry.rows, status: entry.status, path: spool.path))
            }
            domains = snapshots
        } catch {
            throw SpoolReader.readFailure(error, spool.path)
        }
    }

    private static func snapshot(_ db: SQLiteDatabase, _ domain: SpoolDomain, rows: Int, status: String,
                                 path: String) throws -> DomainSnapshot {
        let info = try db.prepare(ReaderQueries.tableColumns)
        info.bind(1, domain.tableName)
        var columns: [String] = []
        while try info.step() {
            let c = info.text(0) ?? ""
            if c != "seq" && c != "batch" { columns.append(c) }
        }
        guard !columns.isEmpty else {
            throw SpoolError(.corrupt, "\(path) lists domain \(domain.name) but has no table \(domain.tableName)")
        }
        guard let cid = columns.firstIndex(of: "CONTAINERID") else {
            throw SpoolError(.corrupt, "\(path): table \(domain.tableName) has no CONTAINERID column")
        }
        let high = Int64(try db.scalarInt(ReaderQueries.highWaterMark(table: domain.tableName)) ?? 0)
        // A finished domain's count was recorded when it finished (and is checked again when the
        // export reaches its end); a domain still being written is counted now.
        let total: Int
        if status == "pending" {
            let s = try db.prepare(ReaderQueries.rowsUpTo(table: domain.tableName))
            s.bind(1, Int(high))
            total = try s.step() ? (s.int(0) ?? 0) : 0
        } else {
            total = rows
        }
        let f = try db.prepare(ReaderQueries.failedBatches)
        f.bind(1, domain.name)
        var failed: [FailedRange] = []
        while try f.step() { failed.append(FailedRange(start: f.text(0) ?? "", end: f.text(1) ?? "")) }
        return DomainSnapshot(domain: domain, columns: columns, cidColumn: cid,
                              nameColumn: columns.firstIndex(of: "CONTAINERNAME"), status: status, total: total,
                              highWaterMark: high, failedRanges: failed)
    }

    /// The snapshot of a domain this spool holds. An unknown name, or a domain the job did not
    /// ask for, is `READER_UNKNOWN_DOMAIN`.
    public func domain(named name: String) throws -> DomainSnapshot {
        if let d = domains.first(where: { $0.name == name }) { return d }
        let held = domains.map(\.name).joined(separator: ", ")
        if SpoolDomain.named(name) == nil {
            throw ReaderError(.unknownDomain,
                "unknown domain \"\(name)\": domains are \(SpoolDomain.names.joined(separator: ", "))")
        }
        throw ReaderError(.unknownDomain, "this spool has no domain \"\(name)\" (it holds: \(held.isEmpty ? "none" : held))")
    }

    /// Rows of one domain in grouped order, after seq `after`, up to `high` (default: the
    /// snapshot's high-water mark), at most `limit` rows; read in keyset pages of `pageRows`.
    public func rows(_ domain: DomainSnapshot, after: Int64 = 0, high: Int64? = nil, limit: Int? = nil,
                     pageRows: Int = 8192) throws -> RowStream {
        try RowStream(reader: self, domain: domain, after: after, high: high ?? domain.highWaterMark,
                      limit: limit, pageRows: pageRows)
    }

    /// Rows in (after, high], counted no further than `limit`.
    public func countRows(_ domain: DomainSnapshot, after: Int64, high: Int64, limit: Int) throws -> Int {
        do {
            let sql = ReaderQueries.rowsBetween(table: domain.domain.tableName)
            // From the connection's statement cache: a reader the API keeps between pages
            // (`SpoolReaderPool`) plans these once.
            let s = try spool.database.takeStatement(sql)
            defer { spool.database.giveBack(s, sql) }
            s.bind(1, Int(after))
            s.bind(2, Int(high))
            s.bind(3, limit)
            return try s.step() ? (s.int(0) ?? 0) : 0
        } catch {
            throw SpoolReader.readFailure(error, spool.path)
        }
    }

    /// Whether any row lies in (after, high].
    func hasRows(_ domain: DomainSnapshot, after: Int64, high: Int64) throws -> Bool {
        do {
            let sql = ReaderQueries.anyRowBetween(table: domain.domain.tableName)
            // From the connection's statement cache: a reader the API keeps between pages
            // (`SpoolReaderPool`) plans these once.
            let s = try spool.database.takeStatement(sql)
            defer { spool.database.giveBack(s, sql) }
            s.bind(1, Int(after))
            s.bind(2, Int(high))
            return try s.step() && s.int(0) == 1
        } catch {
            throw SpoolReader.readFailure(error, spool.path)
        }
    }

    /// A SQLite failure while reading is a damaged spool (exit 65), not a write problem.
    static func readFailure(_ error: Error, _ path: String) -> Error {
        guard let e = error as? SpoolError else { return error }
        switch e.kind {
        case .failed, .unwritable: return SpoolError(.corrupt, "cannot read spool \(path): \(e.message)")
        default: return e
        }
    }
}

/// One domain's rows in grouped order, walked as keyset pages (`seq > position … LIMIT n`). The
/// current row is `row`: column 0 is `seq`, domain column `c` is `c + 1`. Values are valid until
/// the next call to `next()`.
public final class RowStream {
    public let domain: DomainSnapshot
    public let row: SQLiteStatement
    let path: String
    let high: Int64
    private let database: SQLiteDatabase
    private let sql: String
    /// Seq of the last row returned (the start position before the first).
    // Per-row state of one thread's stream: no dynamic exclusivity checks on the hot path.
    @exclusivity(unchecked) public private(set) var position: Int64
    @exclusivity(unchecked) public private(set) var rowsRead = 0
    @exclusivity(unchecked) private var left: Int
    private let pageRows: Int
    @exclusivity(unchecked) private var pageOpen = false
    @exclusivity(unchecked) private var pageLimit = 0
    @exclusivity(unchecked) private var pageGot = 0

    init(reader: SpoolReader, domain: DomainSnapshot, after: Int64, high: Int64, limit: Int?, pageRows: Int) throws {
        self.domain = domain
        self.high = high
        database = reader.spool.database
        path = reader.spool.path
        position = after
        left = limit ?? Int.max
        self.pageRows = max(1, pageRows)
        sql = ReaderQueries.page(table: domain.domain.tableName, columns: domain.columns)
        do {
            row = try database.takeStatement(sql)
        } catch {
            throw SpoolReader.readFailure(error, path)
        }
    }

    deinit { database.giveBack(row, sql) }

    @inline(__always)
    public func next() throws -> Bool {
        while true {
            if !pageOpen {
                if left <= 0 { return false }
                pageLimit = min(pageRows, left)
                pageGot = 0
                row.bind(1, Int(position))
                row.bind(2, Int(high))
                row.bind(3, pageLimit)
                pageOpen = true
            }
            let has: Bool
            do { has = try row.step() } catch { throw SpoolReader.readFailure(error, path) }
            if has {
                position = row.rawInt64(0)
                pageGot += 1
                left -= 1
                rowsRead += 1
                return true
            }
            // End of a page: its read transaction ends here. A short page is the end of the range.
            row.reset()
            pageOpen = false
            if pageGot < pageLimit { left = 0; return false }
        }
    }

    /// Ends the current page (and its read transaction) early.
    public func close() {
        if pageOpen { row.reset(); pageOpen = false }
    }
}

/// The grouped view across domains: CID by CID, each domain's rows of that CID in source order.
/// A k-way merge of the domains' row streams on CONTAINERID (byte order, the order batches are cut
/// in); rows are never collected — a CID with any number of rows streams through.
public final class CIDGroupStream {
    public let streams: [RowStream]
    private let count: Int
    // Per-domain merge state in plain memory (no copy-on-write or exclusivity checks per row):
    // `pending[i]` — stream i holds a row not yet handed out; `done[i]` — stream i is exhausted;
    // `consumed[i]` — seq of the last row handed out (the position a cursor resumes from).
    private let pending: UnsafeMutablePointer<Bool>
    private let done: UnsafeMutablePointer<Bool>
    private let consumed: UnsafeMutablePointer<Int64>
    /// The current CID's bytes (grown as needed, reused).
    @exclusivity(unchecked) private var current: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var currentCapacity = 64
    @exclusivity(unchecked) private var currentCount = 0
    @exclusivity(unchecked) public private(set) var hasCurrent = false
    @exclusivity(unchecked) public private(set) var cidsRead = 0

    /// `lastCID`: the CID a previous page ended on (rows must continue after it).
    init(streams: [RowStream], lastCID: [UInt8]?) {
        self.streams = streams
        count = streams.count
        pending = .allocate(capacity: max(1, count))
        pending.initialize(repeating: false, count: max(1, count))
        done = .allocate(capacity: max(1, count))
        done.initialize(repeating: false, count: max(1, count))
        consumed = .allocate(capacity: max(1, count))
        for (i, s) in streams.enumerated() { (consumed + i).initialize(to: s.position) }
        current = .allocate(capacity: currentCapacity)
        if let lastCID {
            lastCID.withUnsafeBytes { setCurrent($0) }
            hasCurrent = true
        }
    }

    deinit {
        pending.deallocate()
        done.deallocate()
        consumed.deallocate()
        current.deallocate()
    }

    /// Per domain, the seq of the last row consumed: the position a cursor resumes from.
    public var positions: [Int64] { (0..<count).map { consumed[$0] } }
    /// The current CID's bytes.
    public var currentCID: [UInt8] { Array(UnsafeBufferPointer(start: current, count: currentCount)) }
    /// The current CID's bytes without copying (valid until the next `nextCID`).
    public var currentCIDBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: current, count: currentCount) }

    private func setCurrent(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > currentCapacity {
            current.deallocate()
            currentCapacity = max(bytes.count, currentCapacity * 2)
            current = .allocate(capacity: currentCapacity)
        }
        if let b = bytes.baseAddress, bytes.count > 0 { UnsafeMutableRawPointer(current).copyMemory(from: b, byteCount: bytes.count) }
        currentCount = bytes.count
    }

    @inline(__always)
    private func cid(_ i: Int) -> UnsafeRawBufferPointer {
        if case .text(let t) = streams[i].row.cell(streams[i].domain.cidColumn + 1) { return t }
        return UnsafeRawBufferPointer(start: nil, count: 0)
    }

    private static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int32 {
        let n = min(a.count, b.count)
        if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, n)
            if c != 0 { return c }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    @inline(__always)
    private func isCurrent(_ i: Int) -> Bool {
        let c = cid(i)
        guard c.count == currentCount else { return false }
        guard currentCount > 0, let p = c.baseAddress else { return true }
        return memcmp(p, current, currentCount) == 0
    }

    /// Moves to the next CID (skipping whatever the caller left of the previous one).
    public func nextCID() throws -> Bool {
        try finishCurrent()
        var best = -1
        for i in 0..<count where !done[i] {
            if !pending[i] {
                if try streams[i].next() { pending[i] = true } else { done[i] = true; continue }
            }
            if best < 0 || CIDGroupStream.compare(cid(i), cid(best)) < 0 { best = i }
        }
        guard best >= 0 else { hasCurrent = false; return false }
        let head = cid(best)
        if hasCurrent, CIDGroupStream.compare(head, currentCIDBytes) <= 0 {
            let s = streams[best]
            throw SpoolError(.corrupt, "\(s.path): domain \(s.domain.name) is not in CID order at seq \(s.position) "
                + "(\(String(decoding: head, as: UTF8.self)) after \(String(decoding: currentCIDBytes, as: UTF8.self)))")
        }
        setCurrent(head)
        hasCurrent = true
        cidsRead += 1
        return true
    }

    /// Skips the rest of the current CID's rows in every domain.
    public func finishCurrent() throws {
        for i in 0..<count { while try nextRow(i) {} }
    }

    /// Advances domain `i` to its next row of the current CID; false when it has no more.
    @inline(__always)
    public func nextRow(_ i: Int) throws -> Bool {
        guard hasCurrent, !done[i] else { return false }
        if !pending[i] {
            if try !streams[i].next() { done[i] = true; return false }
            pending[i] = true
        }
        guard isCurrent(i) else { return false }
        pending[i] = false
        consumed[i] = streams[i].position
        return true
    }

    /// Domain `i`'s first unread row if it belongs to the current CID (for the CID's name).
    public func head(_ i: Int) throws -> SQLiteStatement? {
        guard hasCurrent, !done[i] else { return nil }
        if !pending[i] {
            if try !streams[i].next() { done[i] = true; return nil }
            pending[i] = true
        }
        return isCurrent(i) ? streams[i].row : nil
    }

    public func close() { streams.forEach { $0.close() } }
}
