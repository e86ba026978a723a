import Foundation
import TracespoolSpool

/// Direction of an MSD trace (`msd.md` §0).
public enum MSDDirection: String, Sendable {
    case backward, forward
}

/// An opened MSD spool: the job's parameters read from `meta`, checked against the tables the
/// aggregation reads. Opening never writes; `MSDHelpers.ensure` builds the per-job helper tables.
public final class MSDSpool: @unchecked Sendable {
    public let spool: Spool
    public var database: SQLiteDatabase { spool.database }
    public let direction: MSDDirection
    /// `date_range` or `container` (no daily trend in container mode).
    public let mode: String
    /// Selected detection station group keys (`msd.stations`).
    public let stations: [String]
    public let from: String?
    public let to: String?
    public let jobId: String?
    /// Detection station order s0 (`msd.md` §1.2): the smallest order of the selected station keys,
    /// else of the classified detection workcenters; nil when neither is known.
    public let detectionOrder: Int?
    /// Event tables present in the spool (absent ones read as empty).
    let eventTables: Set<String>
    let hasResources: Bool

    /// Tables and columns the aggregation reads. A spool lacking a table is "missing MSD tables";
    /// one whose table lacks a column was written by an older schema.
    static let requiredTables: [(String, [String])] = [
        ("msd_detection", SpoolDomain.detection.columns.map(\.name)),
        ("seeds", ["CID", "NAME"]),
        ("lineage_ancestors", ["SEED_ID", "ANCESTOR_ID"]),
        ("lineage_descendants", ["SEED_ID", "DESCENDANT_ID"]),
        ("lineage_seed_roots", ["SEED_ID", "ROOT_ID", "ROOT_NAME"]),
    ]
    static let optionalTables: [(String, [String])] = [
        ("ev_upstream_history", ["CONTAINERID", "WORKCENTER_GROUP", "EQUIPMENTID", "EQUIPMENTNAME", "TRACKINTIMESTAMP", "TRACKINQTY"]),
        ("ev_materials", ["CONTAINERID", "MATERIALPARTNAME", "MATERIALLOTNAME", "MATERIALDESCRIPTION"]),
        ("ev_downstream_rejects", ["CONTAINERID", "WORKCENTER_GROUP", "LOSSREASONNAME", "EQUIPMENTNAME", "REJECT_TOTAL_QTY", "TXNDATE"]),
        ("msd_resources", ["CONTAINERID", "RESOURCEFAMILYNAME"]),
    ]

    public static let profile = "mid_section_defect"

    /// The spool file of `job`: a job id names `<spoolDir>/<id>.sqlite`; a path (with a `/` or
    /// ending in `.sqlite`) is used as given, so a copied spool file can be read without the catalog.
    public static func path(forJob job: String, spoolDir: String) throws -> String {
        if job.contains("/") || job.hasSuffix(".sqlite") { return job }
        let safe = !job.isEmpty && job.utf8.count <= 64 && job.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
        guard safe else { throw MSDError(.noSuchJob, "\"\(job)\" is neither a job id nor a spool file path") }
        return "\(spoolDir)/\(job).sqlite"
    }

    /// The memory budget of every connection doing MSD work (helper tables, summaries, detail
    /// pages, export). The helper tables and the factor × lot pairs of a big job are hundreds of MiB,
    /// far beyond any cache, so a larger cache buys no speed — the spool's pages sit in the OS page
    /// cache either way (measured: `msd prepare` of 112 K lots takes the same time with 1 MiB as with
    /// 8 MiB) — it only adds resident memory that grows with the job up to the cap. So:
    /// - main page cache 1 MiB. SQLite also sizes each sorter's in-memory run by it (at least 250
    ///   pages), so ORDER BY / GROUP BY / CREATE INDEX over millions of pairs spill sorted runs to a
    ///   temp file instead of filling an 8 MiB buffer next to an 8 MiB cache (massif: that pair was
    ///   the 18.5 MiB SQLite peak of the 112 K-lot job);
    /// - temp schema page cache 512 KiB: `temp.m_lot`, `temp.sig_key` … spill to the temp file;
    /// - `temp_store = FILE`, `mmap_size = 0` (no mapped spool pages in the resident set);
    /// - a process-wide soft heap limit (`softHeapBytes`, about twice what the budget above needs):
    ///   near it every page cache — including those of SQLite's transient tables (DISTINCT, IN
    ///   lists), which do not follow `cache_size` — recycles its own pages instead of growing.
    ///   Soft: nothing fails, caches just stay small.
    enum Budget {
        static let cacheKiB = 1024
        static let tempCacheKiB = 512
        static let softHeapBytes = 4 << 20
    }

    /// Applies the budget to `db`'s main and temp schemas and lowers the process-wide soft heap
    /// limit to the budget's (never raises it: it stays for the rest of the process, which only
    /// keeps SQLite's caches small).
    static func applyBudget(_ db: SQLiteDatabase) throws {
        try db.execute("""
            PRAGMA cache_size = -\(Budget.cacheKiB);
            PRAGMA temp.cache_size = -\(Budget.tempCacheKiB);
            PRAGMA temp_store = FILE;
            PRAGMA mmap_size = 0;
            """)
        SQLiteDatabase.lowerSoftHeapLimit(to: Budget.softHeapBytes)
    }

    /// Runs `body` under the MSD budget on a connection someone else owns (the job's writer), then
    /// restores that connection's page cache sizes.
    static func withBudget<T>(_ db: SQLiteDatabase, _ body: () throws -> T) throws -> T {
        let main = try db.scalarInt("PRAGMA cache_size") ?? -2000
        let temp = try db.scalarInt("PRAGMA temp.cache_size") ?? -2000
        try applyBudget(db)
        defer { try? db.execute("PRAGMA cache_size = \(main); PRAGMA temp.cache_size = \(temp);") }
        return try body()
    }

    /// Opens and validates. Errors: `MSD_NO_SUCH_JOB`, a `SpoolError` for files that are not
    /// (readable) spools, `MSD_NOT_MSD_JOB`, `MSD_TABLES_MISSING`, `MSD_SCHEMA_OUTDATED`.
    public static func open(at path: String, readOnly: Bool = true) throws -> MSDSpool {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MSDError(.noSuchJob, "no spool file \(path)")
        }
        let spool = try Spool.open(at: path, readOnly: readOnly)
        try applyBudget(spool.database)  // our own connection
        return try MSDSpool(spool: spool)
    }

    public init(spool: Spool) throws {
        self.spool = spool
        let db = spool.database
        let profile = try spool.meta("profile")
        guard profile == MSDSpool.profile else {
            throw MSDError(.notMSD, "\(spool.path) is a \(profile.map { "\"\($0)\"" } ?? "profile-less") job, not \(MSDSpool.profile)")
        }
        let missing = try MSDSpool.requiredTables.map(\.0).filter { try !db.tableExists($0) }
        guard missing.isEmpty else {
            throw MSDError(.tablesMissing, "\(spool.path) has no MSD table(s) \(missing.joined(separator: ", ")) (the job never reached the MSD stages?)")
        }
        for (table, cols) in MSDSpool.requiredTables {
            let have = try db.columns(of: table)
            let lacking = cols.filter { !have.contains($0) }
            guard lacking.isEmpty else {
                throw MSDError(.schemaOutdated, "\(table) lacks column(s) \(lacking.joined(separator: ", ")): the spool was written by an older tracespool; re-run the job")
            }
        }
        var present = Set<String>()
        for (table, cols) in MSDSpool.optionalTables where try db.tableExists(table) {
            let have = try db.columns(of: table)
            let lacking = cols.filter { !have.contains($0) }
            guard lacking.isEmpty else {
                throw MSDError(.schemaOutdated, "\(table) lacks column(s) \(lacking.joined(separator: ", ")): the spool was written by an older tracespool; re-run the job")
            }
            present.insert(table)
        }
        hasResources = present.remove("msd_resources") != nil
        eventTables = present

        let dir = try spool.meta("msd.direction") ?? MSDDirection.backward.rawValue
        guard let d = MSDDirection(rawValue: dir) else {
            throw MSDError(.schemaOutdated, "meta msd.direction is \"\(dir)\", expected backward or forward")
        }
        direction = d
        mode = try spool.meta("msd.mode") ?? "date_range"
        stations = (try spool.meta("msd.stations") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        from = try spool.meta("msd.from")
        to = try spool.meta("msd.to")
        jobId = try spool.meta("job_id")

        if let o = stations.compactMap({ MSDStation.named($0)?.order }).min() {
            detectionOrder = o
        } else {
            let names = try db.rows("SELECT DISTINCT WORKCENTERNAME FROM msd_detection WHERE WORKCENTERNAME IS NOT NULL") { $0.text(0) ?? "" }
            detectionOrder = names.compactMap { MSDStation.classify($0)?.order }.min()
        }
    }

    func hasEvents(_ table: String) -> Bool { eventTables.contains(table) }
}
