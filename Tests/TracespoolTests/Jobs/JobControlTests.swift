import Foundation
import Testing
import TracespoolJobs
import TracespoolSpool

/// Cancel, signals, readers of a dead worker's job, retention and every job command's bad input.
@Suite(.serialized) struct JobControlTests {
    @Test("cancel of a queued job is immediate; a worker then finds nothing to run")
    func cancelQueued() throws {
        let folder = TempFolder()
        let id = try JobKit.submit(["--cids", try JobKit.cids(3).joined(separator: ","), "--domains", "history"], folder.path)
        let r = try runCLI(["jobs", "cancel", id, "--json", "--spool-dir", folder.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try parseJSONObject(r.stdout)["state"] as? String == "cancelled")
        let w = try runCLI(["worker", "--once", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path])
        #expect(w.status == 0)
        #expect(!w.stdout.contains(id) && !w.stderr.contains(id))
        #expect(try JobKit.state(id, folder.path) == "cancelled")
        // Cancelling it again is a state conflict.
        let again = try runCLI(["jobs", "cancel", id, "--spool-dir", folder.path])
        #expect(again.status == 6, "\(again.stderr)")
        #expect(again.stderr.hasPrefix("tracespool: JOB_STATE_CONFLICT: "), "\(again.stderr)")
    }

    @Test("cancel of a running job during a long warehouse statement: PQcancel, cancelled within seconds, spool kept")
    func cancelDuringLongStatement() throws {
        // Reading c001's row sleeps 60 s inside PostgreSQL: only PQcancel ends that statement early.
        let db = try gatedWarehouse("cancel", lots: 4, gateBody: "IF cid = 'c001' THEN PERFORM pg_sleep(60); END IF;")
        let folder = TempFolder()
        let source = db.conninfo + " user=tracespool_reader"
        let id = try JobKit.submit(["--cids", gatedCIDs(4), "--domains", "history"], folder.path)
        let worker = try BackgroundCLI(["worker", "--once", "--source", source, "--spool-dir", folder.path], folder: folder.path)
        #expect(try eventually(20) { try SQLiteJobStore.reading(folder: folder.path)?.get(id: id)?.stage == "events" })
        Thread.sleep(forTimeInterval: 0.5)  // the one batch's statement is running now
        let r = try runCLI(["jobs", "cancel", id, "--wait", "--json", "--spool-dir", folder.path])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect(o["state"] as? String == "cancelled", "\(o)")
        let waited = o["waited_seconds"] as? Double ?? 99
        #expect(waited < 3, "cancel took \(waited) s")
        print("cancel latency during a 60 s statement: \(waited) s")
        #expect(worker.wait(seconds: 20) == 3, "\(worker.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/\(id).sqlite"), "a cancelled job keeps its spool until retention")
        // The warehouse is not left running the cancelled statement.
        let busy = try db.connect().query("SELECT count(*) FROM pg_stat_activity WHERE usename = 'tracespool_reader' AND state = 'active'")
        #expect(busy.string(0, 0) == "0")
    }

    @Test("cancel during the MSD aggregation interrupts its SQL")
    func cancelDuringAggregation() throws {
        let folder = TempFolder()
        let source = try TestEnvironment.warehouse()
        // A wide window so the aggregation is long enough to be caught; the worker is slowed by nothing.
        let id = try JobKit.submit(["--profile", "mid_section_defect", "--from", "2026-03-01", "--to", "2026-06-30"], folder.path)
        let worker = try BackgroundCLI(["worker", "--once", "--source", source, "--spool-dir", folder.path],
                                       environment: ["TRACESPOOL_TEST_AGGREGATE_PAUSE_MS": "3000"], folder: folder.path)
        #expect(try eventually(60) { try SQLiteJobStore.reading(folder: folder.path)?.get(id: id)?.stage == "aggregate" })
        let r = try runCLI(["jobs", "cancel", id, "--wait", "--json", "--spool-dir", folder.path])
        let o = try parseJSONObject(r.stdout)
        #expect(o["state"] as? String == "cancelled", "\(o) \(worker.stderr)")
        #expect((o["waited_seconds"] as? Double ?? 99) < 2.5, "\(o)")
        worker.wait(seconds: 20)
    }

    @Test("SIGTERM to run cancels its job (exit 130); SIGTERM to a worker hands the job back, and another worker finishes it")
    func signals() throws {
        let db = try gatedWarehouse("sigterm", lots: 12, gateBody: "PERFORM pg_sleep(0.3);")
        let folder = TempFolder()
        let source = db.conninfo + " user=tracespool_reader"
        let run = try BackgroundCLI(["run", "--cids", gatedCIDs(12), "--domains", "history", "--cid-batch", "2", "--source", source,
                                     "--spool-dir", folder.path], folder: folder.path)
        #expect(try eventually(20) { try JobKit.midway(nil, folder.path) })
        run.signal(SIGTERM)
        #expect(run.wait(seconds: 20) == 130, "\(run.stderr)")
        let cancelled = try #require(try SQLiteJobStore.reading(folder: folder.path)?.list(state: nil, limit: 5, after: nil).first)
        #expect(cancelled.state == .cancelled)

        let id = try JobKit.submit(["--cids", gatedCIDs(12), "--domains", "history", "--cid-batch", "2"], folder.path)
        let w = try BackgroundCLI(["worker", "--source", source, "--spool-dir", folder.path], folder: folder.path)
        #expect(try eventually(20) { try JobKit.midway(id, folder.path) })
        w.signal(SIGTERM)
        #expect(w.wait(seconds: 20) == 0, "\(w.stderr)")
        #expect(try JobKit.state(id, folder.path) == "queued")
        #expect(w.stdout.contains("handed back"), "\(w.stdout)")
        try JobKit.finish(id, folder.path, source: source)
        let job = try JobKit.show(id, folder.path)
        #expect(job["state"] as? String == "succeeded")
        #expect((job["domains"] as? [String: Any]).flatMap { $0["history"] as? [String: Any] }?["rows"] as? Int == 12)
        #expect((job["resumes"] as? [String])?.first?.contains("resumed") == true, "\(job)")
    }

    @Test("a job whose worker was killed reads as JOB_WORKER_LOST (exit 75) until a worker resumes it; jobs resume finishes it")
    func workerLost() throws {
        let db = try gatedWarehouse("lost", lots: 12, gateBody: "PERFORM pg_sleep(0.3);")
        let folder = TempFolder()
        let source = db.conninfo + " user=tracespool_reader"
        let id = try JobKit.submit(["--cids", gatedCIDs(12), "--domains", "history", "--cid-batch", "2"], folder.path)
        let w = try BackgroundCLI(["worker", "--once", "--source", source, "--spool-dir", folder.path], environment: JobKit.fastLease,
                                  folder: folder.path)
        #expect(try eventually(20) { try JobKit.midway(id, folder.path) })
        w.signal(SIGKILL)
        w.wait()
        // While the lease holds, resume is refused: the worker might be alive.
        let early = try runCLI(["jobs", "resume", id, "--source", source, "--spool-dir", folder.path], environment: ["TRACESPOOL_LEASE_SECONDS": "30"])
        if try SQLiteJobStore.reading(folder: folder.path)?.get(id: id)?.leaseExpired() == false {
            #expect(early.status == 6, "\(early.stderr)")
        }
        Thread.sleep(forTimeInterval: 1.2)
        for args in [["export", id], ["export", id, "--layout", "cid"], ["export", id, "--format", "csv"]] {
            let r = try runCLI(args + ["--spool-dir", folder.path])
            #expect(r.status == 75, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("JOB_WORKER_LOST"), "\(r.stderr)")
        }
        let resumed = try runCLI(["jobs", "resume", id, "--json", "--source", source, "--spool-dir", folder.path], environment: JobKit.fastLease)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try JobKit.state(id, folder.path) == "succeeded")
        #expect(try runCLI(["export", id, "--spool-dir", folder.path]).status == 0)
    }

    @Test("retention: TTL expiry, the size cap evicting oldest first, a running job untouched, gc twice")
    func retention() throws {
        let folder = TempFolder()
        let source = try TestEnvironment.warehouse()
        var ids: [String] = []
        for k in 0..<3 {
            let r = try runCLI(["run", "--json", "--cids", try JobKit.cids(5, offset: k * 5).joined(separator: ","), "--domains", "history",
                                "--source", source, "--spool-dir", folder.path], environment: ["TRACE_JOB_TTL_SECONDS": k == 0 ? "1" : "3600"])
            #expect(r.status == 0, "\(r.stderr)")
            ids.append(try parseJSONObject(r.stdout)["job_id"] as? String ?? "")
            Thread.sleep(forTimeInterval: 1.1)  // distinct finish times
        }
        // TTL: the first job expired a second after it finished.
        let dry = try parseJSONObject(try runCLI(["jobs", "gc", "--dry-run", "--json", "--spool-dir", folder.path]).stdout)
        #expect(dry["expired"] as? [String] == [ids[0]])
        #expect(FileManager.default.fileExists(atPath: folder.path + "/\(ids[0]).sqlite"), "a dry run removes nothing")
        let gc = try parseJSONObject(try runCLI(["jobs", "gc", "--json", "--spool-dir", folder.path]).stdout)
        #expect(gc["expired"] as? [String] == [ids[0]])
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/\(ids[0]).sqlite"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/\(ids[0]).request.sqlite"))
        let read = try runCLI(["export", ids[0], "--spool-dir", folder.path])
        #expect(read.status == 68, "\(read.stderr)")
        #expect(read.stderr.contains("JOB_RESULT_EXPIRED"))
        #expect(try JobKit.state(ids[0], folder.path) == "expired")

        // A running job (a slow gated one; its worker also collects, as every worker does) must never be touched, even with a cap of 0 bytes.
        // Reading c002 sleeps 60 s: the job stays running for as long as the test needs, then is cancelled.
        let db = try gatedWarehouse("retention", lots: 6, gateBody: "IF cid = 'c002' THEN PERFORM pg_sleep(60); END IF;")
        let slow = try JobKit.submit(["--cids", gatedCIDs(6), "--domains", "history", "--cid-batch", "1"], folder.path)
        let w = try BackgroundCLI(["worker", "--once", "--source", db.conninfo + " user=tracespool_reader", "--spool-dir", folder.path],
                                  folder: folder.path)
        #expect(try eventually(20) { try SQLiteJobStore.reading(folder: folder.path)?.get(id: slow)?.stage == "events" })

        // The size cap: room for the newest finished job and the running one only.
        let sizes = ids.map { id in ["", "-wal", "-shm", "-journal"].reduce(0) { t, s in
            t + ((try? FileManager.default.attributesOfItem(atPath: folder.path + "/\(id).sqlite\(s)")[.size] as? Int) ?? 0) }
            + ((try? FileManager.default.attributesOfItem(atPath: folder.path + "/\(id).request.sqlite")[.size] as? Int) ?? 0) }
        let running = ["", "-wal", "-shm", ".request.sqlite"].map { s -> Int in
            let suffix = s.hasPrefix(".") ? s : ".sqlite" + s
            return (try? FileManager.default.attributesOfItem(atPath: folder.path + "/\(slow)\(suffix)")[.size] as? Int) ?? 0 }.reduce(0, +)
        let cap = sizes[2] + running + 65_536
        let capped = try parseJSONObject(try runCLI(["jobs", "gc", "--json", "--spool-dir", folder.path],
                                                    environment: ["TRACESPOOL_SPOOL_MAX_BYTES": String(cap)]).stdout)
        #expect(capped["evicted"] as? [String] == [ids[1]], "\(capped)")
        #expect(try JobKit.state(ids[2], folder.path) == "succeeded")
        // Cap 0: every finished job goes, the running one stays.
        let zero = try parseJSONObject(try runCLI(["jobs", "gc", "--json", "--spool-dir", folder.path],
                                                  environment: ["TRACESPOOL_SPOOL_MAX_BYTES": "0"]).stdout)
        #expect(zero["evicted"] as? [String] == [ids[2]], "\(zero)")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/\(slow).sqlite"))
        #expect(try JobKit.state(slow, folder.path) == "running")
        // Collecting again changes nothing.
        let twice = try parseJSONObject(try runCLI(["jobs", "gc", "--json", "--spool-dir", folder.path],
                                                   environment: ["TRACESPOOL_SPOOL_MAX_BYTES": "0"]).stdout)
        #expect((twice["expired"] as? [String])?.isEmpty == true && (twice["evicted"] as? [String])?.isEmpty == true, "\(twice)")
        #expect(twice["freed_bytes"] as? Int == 0)
        let cancel = try runCLI(["jobs", "cancel", slow, "--wait", "--spool-dir", folder.path])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try JobKit.state(slow, folder.path) == "cancelled")
        w.wait(seconds: 30)
    }

    @Test("jobs retry-failed fetches a failed middle batch again; it lands in grouped order: the export equals a clean run's")
    func retryFailed() throws {
        // 300 lots so each batch is an index lookup; reading c005 fails while dwh.fail has a row.
        let db = try gatedWarehouse("retry", lots: 300,
                                    gateBody: "IF cid = 'c005' AND EXISTS (SELECT 1 FROM dwh.fail) THEN RAISE EXCEPTION 'gate: %', cid; END IF;")
        let c = try db.connect()
        try c.execute("CREATE TABLE dwh.fail (x int); INSERT INTO dwh.fail VALUES (1); GRANT SELECT ON dwh.fail TO tracespool_reader;")
        let folder = TempFolder()
        let source = db.conninfo + " user=tracespool_reader"
        let args = ["--cids", gatedCIDs(12), "--domains", "history", "--cid-batch", "4", "--source", source, "--spool-dir", folder.path]
        let partial = try runCLI(["run", "--json"] + args)
        #expect(partial.status == 3, "\(partial.stderr)")
        let id = try parseJSONObject(partial.stdout)["job_id"] as? String ?? ""
        let ranges = (try JobKit.show(id, folder.path)["domains"] as? [String: Any]).flatMap { $0["history"] as? [String: Any] }?["failed_ranges"] as? [[String: Any]]
        #expect(ranges?.count == 1 && ranges?.first?["start"] as? String == "c004", "\(String(describing: ranges))")
        try c.execute("DELETE FROM dwh.fail")
        let retried = try runCLI(["jobs", "retry-failed", id, "--json", "--source", source, "--spool-dir", folder.path])
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(retried.stderr.contains("1 failed batch(es) to fetch again"), "\(retried.stderr)")
        let job = try JobKit.show(id, folder.path)
        #expect(job["state"] as? String == "succeeded" && job["quality"] as? String == "complete", "\(job)")
        let clean = try parseJSONObject(try runCLI(["run", "--json"] + args).stdout)["job_id"] as? String ?? ""
        #expect(try JobKit.ndjson(id, folder.path) == (try JobKit.ndjson(clean, folder.path)))
        #expect(try JobKit.csv(id, folder.path, domain: "history") == (try JobKit.csv(clean, folder.path, domain: "history")))
    }

    @Test("every job command's bad input: its message, its code, its exit status")
    func badInput() throws {
        let folder = TempFolder()
        let source = try TestEnvironment.warehouse()
        let done = try parseJSONObject(try runCLI(["run", "--json", "--cids", try JobKit.cids(2).joined(separator: ","), "--domains", "history",
                                                   "--source", source, "--spool-dir", folder.path]).stdout)["job_id"] as? String ?? ""
        // Reading c001 sleeps 60 s: the job stays running until the test cancels it.
        let db = try gatedWarehouse("bad", lots: 4, gateBody: "IF cid = 'c001' THEN PERFORM pg_sleep(60); END IF;")
        let running = try JobKit.submit(["--cids", gatedCIDs(4), "--domains", "history", "--cid-batch", "1"], folder.path)
        let w = try BackgroundCLI(["worker", "--once", "--source", db.conninfo + " user=tracespool_reader", "--spool-dir", folder.path],
                                  folder: folder.path)
        #expect(try eventually(20) { try SQLiteJobStore.reading(folder: folder.path)?.get(id: running)?.stage == "events" })
        let cases: [([String], Int32, String)] = [
            (["jobs", "show", "j20990101-000000-abcdef"], 66, "JOB_NOT_FOUND"),
            (["jobs", "show", "not-a-job"], 64, "INVALID_JOB_ID"),
            (["jobs", "show", "../../etc/passwd"], 64, "INVALID_JOB_ID"),
            (["jobs", "cancel", "j2026\u{0}x"], 64, "INVALID_JOB_ID"),
            (["jobs", "rm", "../\(done)"], 64, "INVALID_JOB_ID"),
            (["jobs", "cancel", done], 6, "JOB_STATE_CONFLICT"),
            (["jobs", "resume", running, "--source", source], 6, "JOB_STATE_CONFLICT"),
            (["jobs", "rm", running], 6, "JOB_STATE_CONFLICT"),
            (["jobs", "retry-failed", done, "--source", source], 6, "JOB_STATE_CONFLICT"),
            (["jobs", "cancel", "j20990101-000000-abcdef"], 66, "JOB_NOT_FOUND"),
            (["export", "j20990101-000000-abcdef"], 66, "JOB_NOT_FOUND"),
        ]
        for (args, status, code) in cases {
            let r = try runCLI(args + ["--spool-dir", folder.path])
            #expect(r.status == status, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.hasPrefix("tracespool: \(code): "), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
        for args in [["jobs", "list", "--state", "done"], ["jobs", "list", "--limit", "0"], ["worker", "--concurrency", "0"],
                     ["worker", "--poll-ms", "-5"]] {
            let r = try runCLI(args + ["--spool-dir", folder.path])
            #expect(r.status == 64, "\(args): \(r.stderr)")
        }
        // rm of a finished job removes its row and files.
        let rm = try runCLI(["jobs", "rm", done, "--spool-dir", folder.path])
        #expect(rm.status == 0, "\(rm.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/\(done).sqlite"))
        #expect(try runCLI(["jobs", "show", done, "--spool-dir", folder.path]).status == 66)
        _ = try runCLI(["jobs", "cancel", running, "--wait", "--spool-dir", folder.path])
        w.wait(seconds: 20)
    }
}
