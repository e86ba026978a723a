import Foundation
import Logging
import Testing
import TracespoolJobs
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

@Suite("Events stage on the generated warehouse")
struct EventsStageTests {
    /// A trace of a few hundred real CIDs plus two that do not exist.
    static func traceCIDs(limit: Int = 400, warehouse: String = "recommended") throws -> [String] {
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse(warehouse))
        let r = try c.query("""
            SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY md5(containerid) LIMIT $1
            """, [String(limit)])
        return (0..<r.rowCount).compactMap { r.string($0, 0) } + ["ffffffffffff0000", "ffffffffffff0001"]
    }

    static func runJob(cids: [String], domains: [String], batch: Int, fetchRows: Int, folder: String,
                       warehouse: String = "recommended") throws -> JobResult {
        var config = EventsConfig()
        config.cidBatchSize = batch
        config.fetchRows = fetchRows
        let runner = try JobRunner(spoolDir: folder, conninfo: try TestEnvironment.warehouse(warehouse), config: config,
                               logger: Logger(label: "test"))
        return try runner.run(try TraceRequest.make(input("query_tool") { $0.domains = domains; $0.cids = cids }))
    }

    @Test("every domain's spooled rows equal the domain query run in PostgreSQL, grouped by CID",
          arguments: TestEnvironment.warehouses)
    func spooledRowsEqualWarehouse(warehouse: String) throws {
        let folder = TempFolder()
        let cids = try Self.traceCIDs(warehouse: warehouse)
        let result = try Self.runJob(cids: cids, domains: SpoolDomain.names, batch: 97, fetchRows: 50, folder: folder.path,
                                     warehouse: warehouse)
        #expect(result.quality == .complete)
        #expect(result.unknownCIDs == 2)
        let spool = try Spool.open(at: result.spoolPath)
        let snapshotTime = try #require(try spool.meta("snapshot_time"))
        let pg = try PGConnection(conninfo: try TestEnvironment.warehouse(warehouse))
        let sorted = try CIDList.normalize(cids).cids
        // The jobs domain took the scan path exactly where the GIN index is missing.
        let scanned = try spool.database.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'job_tokens'") == 1
        #expect(scanned == (warehouse == "minimal"), "jobs matched by \(scanned ? "scan" : "index") on the \(warehouse) warehouse")
        // jobs, independently: whole trimmed tokens of the comma-separated list, written another way.
        let independent = try pg.query("""
            SELECT btrim(j.jobid), t.cid
            FROM dwh.dw_mes_job j
            JOIN LATERAL (SELECT DISTINCT btrim(x) AS cid FROM unnest(string_to_array(j.containerids, ',')) AS x) t ON true
            WHERE t.cid = ANY ($1::text[])
            """, [CIDList.arrayLiteral(sorted)])
        let jobPairs = Set(try spool.strings("SELECT JOBID || '|' || CONTAINERID FROM ev_jobs"))
        #expect(jobPairs == Set((0..<independent.rowCount).map { "\(independent.string($0, 0) ?? "")|\(independent.string($0, 1) ?? "")" }))
        #expect(try spool.database.scalarInt("SELECT count(*) FROM ev_jobs") == independent.rowCount)
        for domain in SpoolDomain.all {
            let spooled = try CanonicalRows.spool(spool, domain)
            let direct = try CanonicalRows.warehouse(pg, try #require(DomainQueries.select(for: domain.name)), domain,
                                                    cids: sorted, snapshotTime: snapshotTime)
            #expect(spooled.count == direct.count, "\(domain.name): \(spooled.count) spooled vs \(direct.count) in PostgreSQL")
            #expect(CanonicalRows.multiset(spooled) == CanonicalRows.multiset(direct), "\(domain.name) rows differ")
            // Grouped order: CIDs never go backwards in seq order.
            let cidIndex = domain.cidColumn
            let order = spooled.map { $0[cidIndex] }
            #expect(order == order.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }), "\(domain.name) not grouped by CID")
            #expect(result.domains.first { $0.domain == domain.name }?.rows == spooled.count)
        }
        // The warehouse has rows in every domain for this many lots; an empty comparison proves nothing.
        for name in ["history", "materials", "rejects", "jobs", "upstream_history", "downstream_rejects"] {
            #expect((result.domains.first { $0.domain == name }?.rows ?? 0) > 0, "\(name) is empty")
        }
    }

    @Test("the ledger's counts add up and batches cover the sorted CIDs without gaps")
    func ledgerAddsUp() throws {
        let folder = TempFolder()
        let cids = try Self.traceCIDs(limit: 250)
        let result = try Self.runJob(cids: cids, domains: ["history", "rejects"], batch: 40, fetchRows: 7, folder: folder.path)
        let spool = try Spool.open(at: result.spoolPath)
        let sorted = try CIDList.normalize(cids).cids
        for domain in ["history", "rejects"] {
            let ledger = try spool.ledger(domain: domain)
            #expect(ledger.count == (sorted.count + 39) / 40)
            #expect(ledger.allSatisfy { $0.state == "done" && $0.attempts == 1 })
            #expect(ledger.reduce(0) { $0 + $1.rows } == result.domains.first { $0.domain == domain }?.rows)
            #expect(ledger.reduce(0) { $0 + $1.cidCount } == sorted.count)
            #expect(ledger.first?.firstCID == sorted.first)
            #expect(ledger.last?.lastCID == sorted.last)
            // Each batch's rows carry its number and their count matches the ledger.
            for b in ledger {
                let n = try spool.database.scalarInt("SELECT count(*) FROM ev_\(domain) WHERE batch = ?1", [String(b.batch)])
                #expect(n == b.rows)
            }
        }
    }

    @Test("batch boundaries neither lose nor duplicate rows", arguments: [(1, 1), (7, 3), (1000, 5000), (33, 100_000)])
    func batchBoundaries(batch: Int, fetchRows: Int) throws {
        let folder = TempFolder()
        let cids = Array(try Self.traceCIDs(limit: 60))
        let reference = try Self.runJob(cids: cids, domains: ["history", "jobs"], batch: 10_000, fetchRows: 5000, folder: folder.path)
        let other = try Self.runJob(cids: cids, domains: ["history", "jobs"], batch: batch, fetchRows: fetchRows, folder: folder.path)
        let a = try Spool.open(at: reference.spoolPath), b = try Spool.open(at: other.spoolPath)
        for d in ["history", "jobs"].compactMap(SpoolDomain.named) {
            let ra = try CanonicalRows.spool(a, d), rb = try CanonicalRows.spool(b, d)
            #expect(ra.count > 0)
            // Same rows in the same grouped order, whatever the batch and block sizes.
            #expect(ra == rb, "\(d.name) differs at batch \(batch), block \(fetchRows)")
        }
    }
}
