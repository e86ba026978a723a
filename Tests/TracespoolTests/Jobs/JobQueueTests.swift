import Foundation
import Testing
import TracespoolJobs
import TracespoolSpool

/// The queue with real worker processes: submit and reuse, the stored request, several workers on
/// one catalog, a stopped worker's lease taken over and its stale writes refused.
@Suite(.serialized) struct JobQueueTests {
    @Test("submit stores the whole request: an identical one is reused, --new is not, a deleted --cids-file does not matter")
    func submitAndReuse() throws {
        let folder = TempFolder()
        let cids = try JobKit.cids(30)
        let file = folder.path + "/cids.txt"
        try (cids.reversed() + cids.prefix(5)).joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let first = try runCLI(["submit", "--cids-file", file, "--domains", "history", "--json", "--spool-dir", folder.path])
        #expect(first.status == 0, "\(first.stderr)")
        let a = try parseJSONObject(first.stdout)
        #expect(a["state"] as? String == "queued")
        #expect(a["reused"] as? Bool == false)
        let id = try #require(a["job_id"] as? String)
        // The same CIDs in another order, inline: the same normalised request.
        let again = try parseJSONObject(try runCLI(["submit", "--cids", cids.joined(separator: ","), "--domains", "history", "--json",
                                                    "--spool-dir", folder.path]).stdout)
        #expect(again["job_id"] as? String == id)
        #expect(again["reused"] as? Bool == true)
        let other = try parseJSONObject(try runCLI(["submit", "--cids", cids.joined(separator: ","), "--domains", "history", "--json",
                                                    "--new", "--spool-dir", folder.path]).stdout)
        #expect(other["job_id"] as? String != id)
        #expect(other["reused"] as? Bool == false)
        // The worker needs nothing but the spool folder.
        try FileManager.default.removeItem(atPath: file)
        let w = try runCLI(["worker", "--once", "--json", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path])
        #expect(w.status == 0, "\(w.stderr)")
        // --json: one object per job it ran.
        let ran = try w.stdout.split(separator: "\n").map { try parseJSONObject(String($0)) }
        #expect(Set(ran.compactMap { $0["job_id"] as? String }) == [id, other["job_id"] as? String ?? ""], "\(w.stdout)")
        #expect(ran.allSatisfy { $0["state"] as? String == "succeeded" && $0["quality"] as? String == "complete" }, "\(w.stdout)")
        let job = try JobKit.show(id, folder.path)
        #expect(job["state"] as? String == "succeeded", "\(job)")
        #expect(job["cid_count"] as? Int == 30)
        #expect(try JobKit.ndjson(id, folder.path) == (try JobKit.ndjson(other["job_id"] as! String, folder.path)))
        // A finished job is not reused: the same request queues a new one.
        let after = try parseJSONObject(try runCLI(["submit", "--cids", cids.joined(separator: ","), "--domains", "history", "--json",
                                                    "--spool-dir", folder.path]).stdout)
        #expect(after["reused"] as? Bool == false)
    }

    func manyWorkers(_ n: Int) throws {
        let folder = TempFolder()
        let source = try TestEnvironment.warehouse()
        var ids: [String] = []
        for k in 0..<20 {
            ids.append(try JobKit.submit(["--cids", try JobKit.cids(3, offset: k * 3).joined(separator: ","), "--domains", "history,holds"],
                                         folder.path))
        }
        let workers = try (0..<n).map { _ in
            try BackgroundCLI(["worker", "--once", "--poll-ms", "20", "--source", source, "--spool-dir", folder.path], folder: folder.path)
        }
        for w in workers { #expect(w.wait(seconds: 120) == 0, "\(w.stderr)") }
        let lines = workers.flatMap { $0.stdout.split(separator: "\n").filter { $0.contains("succeeded") } }
        #expect(lines.count == 20, "\(lines)")
        for id in ids {
            #expect(lines.filter { $0.contains(id) }.count == 1, "\(id) ran \(lines.filter { $0.contains(id) }.count) times")
            let job = try JobKit.show(id, folder.path)
            #expect(job["state"] as? String == "succeeded")
            #expect(job["attempts"] as? Int == 1)
        }
        #expect(workers.filter { $0.stdout.contains("succeeded") }.count >= 2, "the jobs were not shared")
    }

    @Test("two workers on one catalog with 20 queued jobs: each job runs exactly once")
    func twoWorkers() throws { try manyWorkers(2) }

    @Test("four workers on one catalog with 20 queued jobs: each job runs exactly once")
    func fourWorkers() throws { try manyWorkers(4) }

    @Test("a stopped worker loses its lease; the job is taken over; continued, its stale writes are refused and it stands down")
    func stoppedWorker() throws {
        // 40 CIDs, 4 per batch, each row read sleeps 100 ms inside PostgreSQL: about 2 s of events.
        let db = try gatedWarehouse("sigstop", lots: 40, gateBody: "PERFORM pg_sleep(0.1);")
        let folder = TempFolder()
        let source = db.conninfo + " user=tracespool_reader"
        let id = try JobKit.submit(["--cids", gatedCIDs(40), "--domains", "history", "--cid-batch", "4"], folder.path)
        let a = try BackgroundCLI(["worker", "--once", "--source", source, "--spool-dir", folder.path],
                                  environment: JobKit.fastLease, folder: folder.path)
        #expect(try eventually(20) { try JobKit.midway(id, folder.path) })
        a.signal(SIGSTOP)
        Thread.sleep(forTimeInterval: 1.5)
        let b = try BackgroundCLI(["worker", "--once", "--source", source, "--spool-dir", folder.path],
                                  environment: JobKit.fastLease, folder: folder.path)
        #expect(try eventually(20) { (try SQLiteJobStore.reading(folder: folder.path)?.get(id: id)?.attempt ?? 0) == 2 })
        a.signal(SIGCONT)
        #expect(b.wait(seconds: 60) == 0, "\(b.stderr)")
        let aStatus = a.wait(seconds: 30)
        #expect(aStatus != nil, "the stale worker did not stand down")
        #expect(a.stdout.contains("stood down") || a.stderr.contains("lease lost"), "\(a.stdout) \(a.stderr)")
        let job = try JobKit.show(id, folder.path)
        #expect(job["state"] as? String == "succeeded", "\(job)")
        #expect(job["attempts"] as? Int == 2)
        #expect(job["quality"] as? String == "complete")
        // Exactly one row per CID: nothing written twice, nothing lost.
        let spool = try Spool.open(at: folder.path + "/\(id).sqlite")
        #expect(try spool.database.scalarInt("SELECT count(*) FROM \(SpoolDomain.named("history")!.tableName)") == 40)
        #expect(try spool.database.scalarInt("SELECT count(DISTINCT CONTAINERID) FROM \(SpoolDomain.named("history")!.tableName)") == 40)
    }
}
