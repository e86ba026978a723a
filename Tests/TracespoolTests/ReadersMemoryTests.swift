import Foundation
import Testing
import TracespoolReaders
import TracespoolSpool

/// Constant memory: one CID with a huge number of rows still streams (the CID layout never
/// collects a CID's rows), and a whole export's peak RSS does not grow with its size.
@Suite("Readers memory")
struct ReadersMemoryTests {
    /// Runs the binary with stdout to /dev/null; returns its exit status and peak RSS in KiB
    /// (`wait4`'s rusage of that one child).
    static func peakRSS(_ arguments: [String]) throws -> (status: Int32, kib: Int) {
        let binary = try TestEnvironment.binary
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        #expect(rc == 0)
        var status: Int32 = 0
        var usage = rusage()
        _ = wait4(pid, &status, 0, &usage)
        return ((status >> 8) & 0xFF, usage.ru_maxrss)
    }

    @Test("a CID with 150 000 rows (≈ 90 MB of NDJSON) exports in the same memory as a tiny one")
    func enormousCID() throws {
        let folder = TempFolder()
        let big = folder.path + "/big.sqlite"
        let filler = String(repeating: "批次資料-x", count: 40)
        let d = SpoolDomain.named("upstream_history")!
        let spool = try Spool.create(at: big, domains: [d])
        try spool.setMeta("job_id", ReadersFixture.jobId)
        try spool.planBatches(domain: d.name, batches: [("A", "B", 2)])
        let writer = try DomainTableWriter(spool: spool, domain: d)
        var rows: [[String?]] = []
        for k in 0..<150_000 {
            rows.append(["A", "\(filler)\(k)", "G", "EQ\(k)", "E", "S", "2026-01-01 00:00:00", "\(k)"])
            if rows.count == 10_000 {
                try ReadersFixture.write(rows, of: d, batch: 0, spool: spool, writer: writer)
                rows.removeAll(keepingCapacity: true)
            }
        }
        try ReadersFixture.write([["B", "b", "G", "EQ", "E", "S", nil, "1"]], of: d, batch: 0, spool: spool, writer: writer)
        try spool.finishDomain(d, status: "complete")
        try spool.checkpoint()
        let small = try ReadersFixture.make(at: folder.path + "/small.sqlite", domains: ["upstream_history"], cids: ["A"]) { d, cid in
            [ReadersFixture.row(d, cid: cid, text: { _ in "t" }, number: "1", name: nil)]
        }

        let bigCID = try Self.peakRSS(["export", big, "--layout", "cid"])
        let bigRecords = try Self.peakRSS(["export", big])
        let bigCSV = try Self.peakRSS(["export", big, "--format", "csv"])
        let tiny = try Self.peakRSS(["export", small.path, "--layout", "cid"])
        #expect(bigCID.status == 0 && bigRecords.status == 0 && bigCSV.status == 0 && tiny.status == 0)
        // Holding the CID (or a 5000-row records line) would add tens of MiB; streaming adds the
        // page cache and the 64 KiB buffer at most.
        for (label, run) in [("cid", bigCID), ("records", bigRecords), ("csv", bigCSV)] {
            #expect(run.kib - tiny.kib < 8 * 1024, "\(label): \(run.kib) KiB vs \(tiny.kib) KiB for a one-row spool")
        }
        // And the line really is one CID with every row.
        let (text, summary) = try ReadersFixture.export(big) { $0.layout = .cid; $0.limit = 1 }
        #expect(summary.cids == 1 && summary.rows == 150_000 && summary.nextCursor != nil)
        #expect(text.utf8.count > 50_000_000)
    }
}
