import Foundation
import Testing
import TracespoolMSD
import TracespoolSpool

/// MSD work runs under a fixed SQLite memory budget, whatever the job's size: small page caches
/// (which also cap each sorter's in-memory run), temp tables spilled to files, no memory-mapped
/// pages, and a process-wide soft heap limit. The job's writer gets its own settings back.
@Suite("MSD memory budget")
struct MSDMemoryBudgetTests {
    /// A cache_size pragma value in bytes (negative: KiB; positive: pages).
    static func cacheBytes(_ db: SQLiteDatabase, _ schema: String) throws -> Int {
        let v = try db.scalarInt("PRAGMA \(schema).cache_size") ?? 0
        let page = try db.scalarInt("PRAGMA \(schema).page_size") ?? 4096
        return v < 0 ? -v * 1024 : v * page
    }

    @Test("a reader's MSD connection: small main and temp caches, temp files, no mmap, a soft heap limit")
    func readerConnection() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let m = try b.reader()
        let db = m.database
        #expect(try Self.cacheBytes(db, "main") <= 1 << 20)
        #expect(try Self.cacheBytes(db, "temp") <= 1 << 20)
        #expect(try db.scalarInt("PRAGMA temp_store") == 1)  // FILE
        #expect(try db.scalarInt("PRAGMA mmap_size") == 0)
        let limit = SQLiteDatabase.softHeapLimit(-1)
        #expect(limit > 0 && limit <= 8 << 20)
        // A masked summary (temp tables) and a sorted detail page run under it.
        _ = try MSDSummaryStore.summaryText(m, masks: MSDMasks(lossReasons: ["A"]))
        _ = try MSDDetail.page(m, MSDDetailRequest(sortBy: "input_qty", order: "asc"))
        #expect(try Self.cacheBytes(db, "main") <= 1 << 20)
    }

    @Test("the end-of-run step on the job's writer connection restores that connection's caches")
    func writerConnectionRestored() throws {
        let b = try MSDWorkedExamples.backward()
        let db = b.spool.database
        try db.execute("PRAGMA cache_size = -2048; PRAGMA temp.cache_size = -1536;")
        try b.finish()
        #expect(try db.scalarInt("PRAGMA cache_size") == -2048)
        #expect(try db.scalarInt("PRAGMA temp.cache_size") == -1536)
        #expect(SQLiteDatabase.softHeapLimit(-1) > 0)
    }
}
