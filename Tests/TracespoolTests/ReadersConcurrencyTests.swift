import Foundation
import Testing
import TracespoolReaders
import TracespoolSpool

/// A reader started while a job writes sees only committed batches, never blocks the writer, and
/// finishes consistently (its counts agree with its rows; its pages with each other).
@Suite("Readers while a job writes")
struct ReadersConcurrencyTests {
    final class Progress: @unchecked Sendable {
        private let lock = NSLock()
        private var batches = 0
        private var slowest = 0.0
        private var failure: String?
        private var finished = false
        func committed(_ n: Int, seconds: Double) { lock.withLock { batches = n; slowest = max(slowest, seconds) } }
        func fail(_ e: Error) { lock.withLock { failure = "\(e)" } }
        func finish() { lock.withLock { finished = true } }
        var state: (batches: Int, slowest: Double, failure: String?, finished: Bool) {
            lock.withLock { (batches, slowest, failure, finished) }
        }
    }

    static let batchCIDs = 10
    static let rowsPerCID = 40
    static let batches = 24

    static func cid(_ i: Int) -> String { String(format: "L%04d", i) }

    static func row(_ d: SpoolDomain, _ cid: String, _ k: Int) -> [String?] {
        ReadersFixture.row(d, cid: cid, text: { "\(cid)-\(k)-\($0) 資料" }, number: "\(k)", name: "LOT-\(cid)")
    }

    @Test("a reader during a job: never blocks a commit, holds whole committed batches only, pages keep their first snapshot")
    func readWhileWriting() throws {
        let folder = TempFolder()
        let path = folder.path + "/live.sqlite"
        let d = SpoolDomain.named("history")!
        let spool = try Spool.create(at: path, domains: [d])
        try spool.setMeta("job_id", ReadersFixture.jobId)
        let cids = (0..<(Self.batches * Self.batchCIDs)).map(Self.cid)
        let cuts = stride(from: 0, to: cids.count, by: Self.batchCIDs).map { Array(cids[$0..<($0 + Self.batchCIDs)]) }
        try spool.planBatches(domain: d.name, batches: cuts.map { ($0.first!, $0.last!, $0.count) })
        let rowsPerBatch = Self.batchCIDs * Self.rowsPerCID
        let expected = { (batches: Int) in
            cuts.prefix(batches).flatMap { $0.flatMap { c in (0..<Self.rowsPerCID).map { Self.row(d, c, $0) } } }
        }

        // The writer commits three batches, then one batch per `gate` signal (lockstep with the
        // reader, so commits land exactly while a read is open or between pages), then finishes.
        let progress = Progress()
        let gate = DispatchSemaphore(value: 0)
        let committed = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        // The writing connection moves to the writer thread and is used only there from now on.
        nonisolated(unsafe) let writing = spool
        let writerThread = Thread {
            defer { done.signal() }
            let spool = writing
            do {
                let writer = try DomainTableWriter(spool: spool, domain: d)
                for (b, batch) in cuts.enumerated() {
                    if b >= 3 { gate.wait() }
                    let rows = batch.flatMap { c in (0..<Self.rowsPerCID).map { Self.row(d, c, $0) } }
                    let t0 = Date()
                    try ReadersFixture.write(rows, of: d, batch: b, spool: spool, writer: writer)
                    progress.committed(b + 1, seconds: Date().timeIntervalSince(t0))
                    if b >= 3 { committed.signal() }
                }
                try spool.finishDomain(d, status: "complete")
                try spool.setMeta("finished_at", "2026-01-01T00:00:00Z")
                progress.finish()
            } catch {
                progress.fail(error)
            }
        }
        writerThread.start()
        var gated = 0
        func commitOne() -> Bool {
            gated += 1
            gate.signal()
            return committed.wait(timeout: .now() + 10) == .success
        }
        while progress.state.batches < 3 && progress.state.failure == nil { usleep(1_000) }

        // 1. A commit while a read transaction is open mid-page: not blocked, and not seen.
        do {
            let reader = try SpoolReader(spool: try Spool.open(at: path))
            let snapshot = try reader.domain(named: "history")
            #expect(snapshot.total == 3 * rowsPerBatch && snapshot.status == "pending")
            let stream = try reader.rows(snapshot, pageRows: 500)
            var n = 0
            while n < 50, try stream.next() { n += 1 }
            #expect(commitOne(), "the writer committed while a read was open")
            while try stream.next() { n += 1 }
            #expect(n == 3 * rowsPerBatch, "rows committed after the snapshot stay out: \(n)")
        }

        // 2. An export while the job runs: whole committed batches, counts agreeing, in progress.
        let (text, _) = try ReadersFixture.export(path) { $0.batchSize = 150 }
        let lines = try ReadersFixture.lines(text)
        let start = try #require(lines.first { $0["type"] as? String == "domain_start" })
        let rows = lines.filter { $0["type"] as? String == "records" }.flatMap { $0["data"] as? [[String: Any]] ?? [] }
        #expect(start["total"] as? Int == 4 * rowsPerBatch && rows.count == 4 * rowsPerBatch)
        #expect(lines.first { $0["type"] as? String == "domain_end" }?["count"] as? Int == rows.count)
        let want = expected(4)
        #expect(rows.count == want.count && zip(rows, want).allSatisfy { ReadersFixture.rowMatches($0, $1, d) })
        let q = try #require(start["quality_meta"] as? [String: Any])
        #expect(q["in_progress"] as? Bool == true && q["reasons"] as? [String] == ["in_progress"])
        #expect(lines.contains { $0["type"] as? String == "warning" && $0["code"] as? String == "JOB_IN_PROGRESS" })

        // 3. A paged read with a commit between every two pages: all pages stay on the first
        //    page's high-water mark.
        var paged: [[String: Any]] = []
        var cursor: String?
        var pages = 0
        repeat {
            let (page, summary) = try ReadersFixture.export(path) { $0.limit = 333; $0.cursor = cursor }
            paged += try ReadersFixture.lines(page).filter { $0["type"] as? String == "records" }
                .flatMap { $0["data"] as? [[String: Any]] ?? [] }
            cursor = summary.nextCursor
            pages += 1
            if cursor != nil { #expect(commitOne()) }
        } while cursor != nil
        #expect(pages == (4 * rowsPerBatch + 332) / 333)
        #expect(paged.count == want.count && zip(paged, want).allSatisfy { ReadersFixture.rowMatches($0, $1, d) })
        #expect(progress.state.batches == 4 + pages - 1 && !progress.state.finished)

        // Let the job finish.
        for _ in gated..<(Self.batches - 3) { gate.signal() }
        done.wait()
        let state = progress.state
        #expect(state.failure == nil && state.finished)
        // A commit the reader had held up would have waited out the busy timeout (5 s).
        #expect(state.slowest < 1.0, "slowest commit \(state.slowest) s")

        // After the job: everything, complete, no warning.
        let final = try ReadersFixture.lines(try ReadersFixture.export(path).text)
        #expect(final.last?["total_records"] as? Int == Self.batches * rowsPerBatch)
        #expect(!final.contains { $0["type"] as? String == "warning" })
    }
}
