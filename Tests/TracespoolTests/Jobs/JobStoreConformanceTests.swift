import Foundation
import Testing
@testable import TracespoolJobs
import TracespoolSource
import TracespoolSpool

/// One store under test: the SQLite catalog of a temporary folder, or the PostgreSQL store in a
/// scratch database of the test cluster, migrated by `PostgresJobStore.migrate`.
final class StoreUnderTest {
    let kind: String
    let folder = TempFolder()
    let database: ScratchDatabase?
    private(set) var stores: [any JobStore] = []

    init(_ kind: String) throws {
        self.kind = kind
        if kind == "postgresql" {
            let db = try ScratchDatabase("store", schema: false)
            database = db
            let migrated = try PostgresJobStore.migrate(url: db.conninfo)
            #expect(migrated.from == 0 && migrated.to == PostgresStoreSQL.version)
        } else {
            database = nil
        }
    }

    /// Another store object on the same queue — what another process or host opens.
    func open(node: String = "node-a") throws -> any JobStore {
        let identity = NodeIdentity(id: node, url: "http://\(node).invalid:8080")
        let store: any JobStore = kind == "postgresql"
            ? try PostgresJobStore(url: database!.conninfo, node: identity, retrySeconds: 5)
            : try SQLiteJobStore(folder: folder.path, node: identity)
        stores.append(store)
        return store
    }

    /// Runs SQL on the store's own database (test set-up the protocol has no call for).
    func sql(_ sqlite: String, _ postgres: String, _ args: [String]) throws {
        if let database {
            _ = try database.connect().query(postgres, args)
        } else {
            let db = try SQLiteDatabase(path: SQLiteJobStore.path(in: folder.path), mode: .readWrite)
            try db.run(sqlite, args.map { .text($0) })
        }
    }
}

/// The `JobStore` contract (README "Jobs", "Many hosts"), run against both stores: the state
/// machine, compare-and-set transitions, leases and takeover, cancel, reuse, retention's walk,
/// aliases, and concurrent claimers that never take one job twice.
@Suite(.serialized) struct JobStoreConformanceTests {
    static let kinds = ["sqlite", "postgresql"]

    static func submission(_ key: String, id: String = JobId.make(), requestFile: String? = nil) -> Submission {
        Submission(id: id, profile: "query_tool", requestJSON: "{\"k\":\"\(key)\"}", requestKey: key, ttlSeconds: 3600, cidCount: 7,
                   requestFile: requestFile)
    }

    @Test("submit, get and list: queued rows in submit order, keyset pages, reuse of an active request", arguments: kinds)
    func submitAndList(kind: String) throws {
        let t = try StoreUnderTest(kind)
        let store = try t.open()
        var ids: [String] = []
        for k in 0..<5 { ids.append(try store.submit(Self.submission("key-\(k)"), reuse: .active).record.id) }
        let first = try #require(try store.get(id: ids[0]))
        #expect(first.state == .queued && first.attempt == 0 && first.worker == nil && first.cidCount == 7 && first.profile == "query_tool")
        #expect(first.requestJSON == "{\"k\":\"key-0\"}" && first.createdAt.hasSuffix("Z") && first.expiresAt == nil)
        // Newest first, two per page, each page after the last id of the one before.
        let page1 = try store.list(state: nil, limit: 2, after: nil)
        let page2 = try store.list(state: nil, limit: 2, after: page1.last?.id)
        let page3 = try store.list(state: nil, limit: 2, after: page2.last?.id)
        #expect((page1 + page2 + page3).map(\.id) == ids.reversed())
        #expect(try store.list(state: .running, limit: 10, after: nil).isEmpty)
        // The same key while queued: the same job; with .none: a new one.
        let again = try store.submit(Self.submission("key-1"), reuse: .active)
        #expect(again.reused && again.record.id == ids[1])
        let fresh = try store.submit(Self.submission("key-1"), reuse: .none)
        #expect(!fresh.reused && fresh.record.id != ids[1])
        #expect(try store.get(id: "j20990101-000000-000000") == nil)
        #expect(try store.count(state: .queued) == 6)
    }

    @Test("claim takes the oldest queued job under a lease, records worker and node; CAS refuses a stale claim", arguments: kinds)
    func claimAndCompareAndSet(kind: String) throws {
        let t = try StoreUnderTest(kind)
        let a = try t.open(node: "node-a"), b = try t.open(node: "node-b")
        let j1 = try a.submit(Self.submission("k1"), reuse: .active).record.id
        let j2 = try a.submit(Self.submission("k2"), reuse: .active).record.id
        let c1 = try #require(try b.claim(worker: "wb", leaseSeconds: 30, only: nil))
        #expect(c1.id == j1 && c1.attempt == 1 && c1.worker == "wb" && c1.requestJSON == "{\"k\":\"k1\"}")
        let running = try #require(try a.get(id: j1))
        #expect(running.state == .running && running.worker == "wb" && running.node == "node-b")
        #expect(running.nodeURL == "http://node-b.invalid:8080" && running.startedAt != nil && !running.leaseExpired())
        #expect(try a.heartbeat(c1, leaseSeconds: 30) == .held(cancelRequested: false))
        #expect(try a.progress(c1, stage: "events", pct: 40, text: "history 2/5"))
        let stale = Claim(id: j1, worker: "someone-else", attempt: 1, requestJSON: "")
        #expect(try a.heartbeat(stale, leaseSeconds: 30) == .lost)
        #expect(try !a.progress(stale, stage: "x", pct: 1, text: nil))
        #expect(try !a.finish(stale, JobOutcome(state: .failed)))
        #expect(try a.finish(c1, JobOutcome(state: .succeeded, quality: .complete, cidCount: 9, rows: 123, spoolFile: "/s/\(j1).sqlite", bytes: 4096)))
        let done = try #require(try a.get(id: j1))
        #expect(done.state == .succeeded && done.quality == .complete && done.rows == 123 && done.cidCount == 9 && done.pct == 100)
        #expect(done.stage == "events" && done.leaseUntil == nil && done.finishedAt != nil && done.expiresAt != nil && done.bytes == 4096)
        #expect(try !a.finish(c1, JobOutcome(state: .failed)), "a second outcome is refused")
        // `only` takes just that job; nothing left: nil.
        #expect(try a.claim(worker: "wa", leaseSeconds: 30, only: "j20990101-000000-000000") == nil)
        let c2 = try #require(try a.claim(worker: "wa", leaseSeconds: 30, only: j2))
        #expect(c2.id == j2)
        #expect(try a.get(id: j2)?.node == "node-a")
        #expect(try b.claim(worker: "wb", leaseSeconds: 30, only: nil) == nil)
        #expect(try a.totals().bytes == 4096)
    }

    @Test("a lease that expires is taken over under attempt 2; the old worker is lost and its outcome refused", arguments: kinds)
    func takeover(kind: String) throws {
        let t = try StoreUnderTest(kind)
        let a = try t.open(node: "node-a"), b = try t.open(node: "node-b")
        let id = try a.submit(Self.submission("k"), reuse: .active).record.id
        let old = try #require(try a.claim(worker: "wa", leaseSeconds: 0.3, only: nil))
        #expect(try b.claim(worker: "wb", leaseSeconds: 30, only: nil) == nil, "a live lease is not taken")
        Thread.sleep(forTimeInterval: 1.2)
        #expect(try b.get(id: id)?.leaseExpired() == true)
        let new = try #require(try b.claim(worker: "wb", leaseSeconds: 30, only: nil))
        #expect(new.id == id && new.attempt == 2)
        #expect(try a.heartbeat(old, leaseSeconds: 30) == .lost)
        #expect(try !a.finish(old, JobOutcome(state: .succeeded, quality: .complete)))
        #expect(try b.get(id: id)?.node == "node-b")
        #expect(try b.finish(new, JobOutcome(state: .succeeded, quality: .partial)))
        #expect(try b.get(id: id)?.attempt == 2)
        #expect(try b.totals().takeovers == 1)
        // Release hands a running job back: queued, claimable again.
        let id2 = try a.submit(Self.submission("k2"), reuse: .active).record.id
        let c = try #require(try a.claim(worker: "wa", leaseSeconds: 30, only: id2))
        #expect(try a.release(c))
        #expect(try a.get(id: id2)?.state == .queued)
        #expect(try b.claim(worker: "wb", leaseSeconds: 30, only: nil)?.attempt == 2)
    }

    @Test("cancel: queued at once, running by request seen at the heartbeat, finished is a conflict, unknown is not found", arguments: kinds)
    func cancel(kind: String) throws {
        let t = try StoreUnderTest(kind)
        let s = try t.open()
        let queued = try s.submit(Self.submission("q"), reuse: .active).record.id
        #expect(try s.cancel(id: queued) == .cancelled)
        let q = try #require(try s.get(id: queued))
        #expect(q.state == .cancelled && q.errorCode == "CANCELLED" && q.expiresAt != nil)
        #expect(throws: JobStateConflict.self) { try s.cancel(id: queued) }
        #expect(throws: JobNotFound.self) { try s.cancel(id: "j20990101-000000-000000") }
        let running = try s.submit(Self.submission("r"), reuse: .active).record.id
        let c = try #require(try s.claim(worker: "w", leaseSeconds: 30, only: nil))
        #expect(c.id == running)
        #expect(try s.cancel(id: running) == .requested)
        #expect(try s.heartbeat(c, leaseSeconds: 30) == .held(cancelRequested: true))
        // A cancel-requested job whose worker died ends cancelled instead of being taken over.
        let gone = try s.submit(Self.submission("g"), reuse: .active).record.id
        _ = try #require(try s.claim(worker: "w2", leaseSeconds: 0.2, only: gone))
        #expect(try s.cancel(id: gone) == .requested)
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try s.claim(worker: "w3", leaseSeconds: 30, only: nil) == nil)
        #expect(try s.get(id: gone)?.state == .cancelled)
    }

    @Test("reuse .answering: the newest success, else the active job, else a failure younger than the hold", arguments: kinds)
    func answering(kind: String) throws {
        let t = try StoreUnderTest(kind)
        let s = try t.open()
        func failed(_ key: String) throws -> String {
            let id = try s.submit(Self.submission(key), reuse: .answering).record.id
            let c = try #require(try s.claim(worker: "w", leaseSeconds: 30, only: id))
            #expect(try s.finish(c, JobOutcome(state: .failed, errorCode: "SOURCE_UNAVAILABLE", errorMessage: "down")))
            return id
        }
        let recent = try failed("k-recent")
        let again = try s.submit(Self.submission("k-recent"), reuse: .answering)
        #expect(again.reused && again.record.id == recent && again.record.errorCode == "SOURCE_UNAVAILABLE")
        let retried = try s.submit(Self.submission("k-recent"), reuse: .active)
        #expect(!retried.reused && retried.record.state == .queued)
        #expect(try s.submit(Self.submission("k-recent"), reuse: .answering).record.id == retried.record.id)
        let old = try failed("k-old")
        let aged = UTCTime.iso(Date(timeIntervalSinceNow: -JobReuse.failureHoldSeconds - 5))
        try t.sql("UPDATE jobs SET finished_at = ?1 WHERE id = ?2", "UPDATE jobs SET finished_at = $1 WHERE id = $2", [aged, old])
        let fresh = try s.submit(Self.submission("k-old"), reuse: .answering)
        #expect(!fresh.reused && fresh.record.id != old)
        // A success answers before the queued one.
        let c = try #require(try s.claim(worker: "w", leaseSeconds: 30, only: fresh.record.id))
        #expect(try s.finish(c, JobOutcome(state: .succeeded, quality: .complete)))
        _ = try s.submit(Self.submission("k-old"), reuse: .none)
        #expect(try s.submit(Self.submission("k-old"), reuse: .answering).record.id == fresh.record.id)
    }

    @Test("requeue and expire are compare-and-set on the state; retention walks oldest finish first in keyset pages", arguments: kinds)
    func requeueExpireRetention(kind: String) throws {
        let t = try StoreUnderTest(kind)
        let s = try t.open()
        var finished: [String] = []
        for k in 0..<5 {
            let id = try s.submit(Self.submission("k\(k)"), reuse: .active).record.id
            let c = try #require(try s.claim(worker: "w", leaseSeconds: 30, only: id))
            #expect(try s.finish(c, JobOutcome(state: k == 0 ? .failed : .succeeded, quality: .complete)))
            try t.sql("UPDATE jobs SET finished_at = ?1 WHERE id = ?2", "UPDATE jobs SET finished_at = $1 WHERE id = $2",
                      ["2026-01-0\(k + 1)T00:00:00Z", id])
            finished.append(id)
        }
        #expect(try !s.requeue(id: finished[0], from: .succeeded), "wrong from-state")
        #expect(try s.requeue(id: finished[0], from: .failed))
        let requeued = try #require(try s.get(id: finished[0]))
        #expect(requeued.state == .queued && requeued.finishedAt == nil && requeued.errorCode == nil)
        var walked: [String] = []
        var after: RetentionCursor?
        while true {
            let page = try s.retentionPage(states: [.succeeded, .failed], expiringBy: nil, after: after, limit: 2)
            walked += page.map(\.id)
            guard page.count == 2 else { break }
            after = page.last?.retentionCursor
        }
        #expect(walked == Array(finished.dropFirst()))
        #expect(try s.retentionPage(states: [.succeeded], expiringBy: "2000-01-01T00:00:00Z", after: nil, limit: 10).isEmpty)
        #expect(try s.expire(id: finished[1], from: .succeeded))
        #expect(try !s.expire(id: finished[1], from: .succeeded))
        #expect(try s.get(id: finished[1])?.state == .expired)
        try s.setAlias("trc-1", job: finished[2])
        try s.delete(id: finished[2])
        #expect(try s.get(id: finished[2]) == nil)
        #expect(try s.job(alias: "trc-1") == nil)
    }

    @Test("aliases: set, looked up, taken over by a later job, listed per job", arguments: kinds)
    func aliases(kind: String) throws {
        let t = try StoreUnderTest(kind)
        let s = try t.open()
        let a = try s.submit(Self.submission("a"), reuse: .active).record.id
        let b = try s.submit(Self.submission("b"), reuse: .active).record.id
        try s.setAlias("trc-x", job: a)
        try s.setAlias("msd-y", job: a)
        #expect(try s.job(alias: "trc-x") == a)
        #expect(try s.aliases(job: a) == ["msd-y", "trc-x"])
        try s.setAlias("trc-x", job: b)
        #expect(try s.job(alias: "trc-x") == b)
        #expect(try s.aliases(job: a) == ["msd-y"])
        #expect(try s.job(alias: "no-such") == nil)
    }

    @Test("eight claimers on separate connections and 40 queued jobs: every job is claimed exactly once", arguments: kinds)
    func concurrentClaims(kind: String) throws {
        let t = try StoreUnderTest(kind)
        let submitter = try t.open()
        var ids: Set<String> = []
        for k in 0..<40 { ids.insert(try submitter.submit(Self.submission("c\(k)"), reuse: .active).record.id) }
        let claimers = try (0..<8).map { try t.open(node: "node-\($0)") }
        let lock = NSLock()
        nonisolated(unsafe) var claimed: [String] = []
        nonisolated(unsafe) var errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            while true {
                do {
                    guard let c = try claimers[i].claim(worker: "w\(i)", leaseSeconds: 30, only: nil) else { return }
                    lock.withLock { claimed.append(c.id) }
                } catch {
                    lock.withLock { errors.append("\(error)") }
                    return
                }
            }
        }
        #expect(errors.isEmpty, "\(errors)")
        #expect(claimed.count == 40 && Set(claimed) == ids, "\(claimed.count) claims of \(Set(claimed).count) jobs")
    }

    @Test("a request's lists survive the trip through the store: a host without the file rebuilds it", arguments: kinds)
    func requestLists(kind: String) throws {
        let t = try StoreUnderTest(kind)
        let s = try t.open()
        let request = TraceRequest(profile: .queryTool, domains: ["history"], cids: (0..<12_000).map { String(format: "%016x", $0 * 7919) },
                                   duplicateCIDs: 0, seedCIDs: ["00000000000000ff"], values: ["GA2601-A01", "GA2601-A02"],
                                   direction: "forward", cidLimit: 50_000)
        let here = TempFolder()
        let id = JobId.make()
        let stored = try RequestFile.write(request, to: RequestFile.path(folder: here.path, id: id))
        _ = try s.submit(Submission(id: id, profile: "query_tool", requestJSON: stored.json, requestKey: stored.key, ttlSeconds: 60,
                                    cidCount: 12_000, requestFile: RequestFile.path(folder: here.path, id: id)), reuse: .none)
        let there = TempFolder()
        let path = RequestFile.path(folder: there.path, id: id)
        let restored = try s.restoreRequestLists(id: id, to: path)
        if kind == "sqlite" {
            #expect(!restored, "the catalog's request file is beside it; nothing to restore")
            return
        }
        #expect(restored)
        let back = try RequestFile.load(json: stored.json, path: path)
        #expect(back.values == request.values && back.seedCIDs == request.seedCIDs)
        var cids: [String] = []
        try RequestFile.forEachCID(path: path) { cids.append($0) }
        #expect(cids == request.cids.sorted())
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }
}

/// What only the PostgreSQL store has: versioned migrations and a connection that comes back.
@Suite(.serialized) struct PostgresStoreTests {
    @Test("an unmigrated store is refused with STORE_NOT_MIGRATED; migrate is idempotent and safe to run twice at once")
    func migrations() throws {
        let db = try ScratchDatabase("store_mig", schema: false)
        let node = NodeIdentity(id: "n", url: nil)
        do {
            _ = try PostgresJobStore(url: db.conninfo, node: node)
            Issue.record("an empty database was accepted as a store")
        } catch let e as StoreError {
            #expect(e.kind == .notMigrated && e.message.contains("tracespool store migrate"), "\(e)")
        }
        nonisolated(unsafe) var results: [(Int, Int)] = []
        let lock = NSLock()
        let url = db.conninfo
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            if let r = try? PostgresJobStore.migrate(url: url) { lock.withLock { results.append(r) } }
        }
        #expect(results.count == 2 && results.map(\.1) == [PostgresStoreSQL.version, PostgresStoreSQL.version])
        #expect(results.map(\.0).sorted() == [0, PostgresStoreSQL.version], "one migrated, the other found it done: \(results)")
        let again = try PostgresJobStore.migrate(url: db.conninfo)
        #expect(again.from == PostgresStoreSQL.version && again.to == PostgresStoreSQL.version)
        _ = try PostgresJobStore(url: db.conninfo, node: node)
        // A store from a newer tracespool is refused, never written.
        _ = try db.connect().query("INSERT INTO tracespool_store_migrations (version, applied_by) VALUES (99, 'future')")
        #expect(throws: StoreError.self) { try PostgresJobStore(url: db.conninfo, node: node) }
        #expect(throws: StoreError.self) { try PostgresJobStore.migrate(url: db.conninfo) }
    }

    @Test("retention per node: each node collects its own spools; another node's job is never evicted here; leftovers of moved or removed jobs go")
    func retentionPerNode() throws {
        let db = try ScratchDatabase("store_ret", schema: false)
        _ = try PostgresJobStore.migrate(url: db.conninfo)
        let folderA = TempFolder(), folderB = TempFolder()
        let a = try PostgresJobStore(url: db.conninfo, node: NodeIdentity(id: "node-a", url: nil), retrySeconds: 5)
        let b = try PostgresJobStore(url: db.conninfo, node: NodeIdentity(id: "node-b", url: nil), retrySeconds: 5)
        let old = Date().addingTimeInterval(-(Retention.orphanAgeSeconds + 100))
        func file(_ folder: TempFolder, _ name: String, bytes: Int = 1000, at date: Date? = nil) throws {
            let path = "\(folder.path)/\(name)"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: bytes)))
            if let date { try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path) }
        }
        func finished(on store: PostgresJobStore, _ key: String, finishedAt: String) throws -> String {
            let id = try store.submit(JobStoreConformanceTests.submission(key), reuse: .active).record.id
            let c = try #require(try store.claim(worker: "w-\(store.node.id)", leaseSeconds: 30, only: id))
            #expect(try store.finish(c, JobOutcome(state: .succeeded, quality: .complete)))
            _ = try db.connect().query("UPDATE jobs SET finished_at = $1 WHERE id = $2", [finishedAt, id])
            return id
        }
        // B's job finished first (first in eviction order); A's later.
        let ofB = try finished(on: b, "b", finishedAt: "2026-01-01T00:00:00Z")
        let ofA = try finished(on: a, "a", finishedAt: "2026-01-02T00:00:00Z")
        try file(folderB, "\(ofB).sqlite")
        try file(folderA, "\(ofA).sqlite")
        try file(folderA, "\(ofB).sqlite", at: old)              // an earlier attempt of B's job ran on A
        let removed = JobId.make(), young = JobId.make()
        try file(folderA, "\(removed).request.sqlite", at: old)  // its row was deleted by another node
        try file(folderA, "\(young).request.sqlite")            // a submit still inserting its row

        var onA = try Retention(store: a, spoolDir: folderA.path, environment: [:])
        onA.maxBytes = 500
        let report = try onA.collect()
        #expect(report.evicted == [ofA], "A's cap evicts A's job only: \(report.evicted)")
        #expect(Set(report.cleaned) == [ofB, removed], "\(report.cleaned)")
        #expect(try a.get(id: ofA)?.state == .expired)
        #expect(try b.get(id: ofB)?.state == .succeeded)
        #expect(!FileManager.default.fileExists(atPath: "\(folderA.path)/\(ofA).sqlite"))
        #expect(!FileManager.default.fileExists(atPath: "\(folderA.path)/\(ofB).sqlite"))
        #expect(!FileManager.default.fileExists(atPath: "\(folderA.path)/\(removed).request.sqlite"))
        #expect(FileManager.default.fileExists(atPath: "\(folderA.path)/\(young).request.sqlite"), "a young file is never a leftover")
        #expect(FileManager.default.fileExists(atPath: "\(folderB.path)/\(ofB).sqlite"), "B's spool is B's")

        // B's job past its time: A's collection leaves it to B (its walk sees only A's jobs); B's
        // moves the row to expired first, then removes the files.
        _ = try db.connect().query("UPDATE jobs SET expires_at = '2026-01-03T00:00:00Z' WHERE id = $1", [ofB])
        let again = try Retention(store: a, spoolDir: folderA.path, environment: [:]).collect()
        #expect(again.expired.isEmpty && again.cleaned.isEmpty)
        #expect(try b.get(id: ofB)?.state == .succeeded)
        let onB = try Retention(store: b, spoolDir: folderB.path, environment: [:]).collect()
        #expect(onB.expired == [ofB], "\(onB.expired)")
        #expect(try b.get(id: ofB)?.state == .expired)
        #expect(!FileManager.default.fileExists(atPath: "\(folderB.path)/\(ofB).sqlite"))
    }

    @Test("a submit wakes an idle worker at once through NOTIFY: a worker polling every 10 minutes starts the job within seconds, also after its listening connection was killed")
    func notifyWakesWorkers() throws {
        let db = try ScratchDatabase("store_wake", schema: false)
        _ = try PostgresJobStore.migrate(url: db.conninfo)
        let folder = TempFolder(), submitter = TempFolder()
        let env = ["TRACESPOOL_STORE": try TestEnvironment.uri(database: db.name), "TRACESPOOL_NODE_ID": "node-w"]
        let worker = try BackgroundCLI(["worker", "--poll-ms", "600000", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path],
                                       environment: env, folder: folder.path)
        defer { worker.signal(SIGTERM); worker.wait(seconds: 20) }
        let store = try PostgresJobStore(url: db.conninfo, node: NodeIdentity(id: "test", url: nil), retrySeconds: 5)
        let admin = try db.connect()
        func listener() throws -> Int? {
            try admin.query("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query = 'LISTEN tracespool_jobs'", [db.name]).int(0, 0)
        }
        // The worker has looked at the empty queue and sleeps until its next poll, 10 minutes away.
        #expect(try eventually(20) { try listener() != nil }, "the worker listens: \(worker.stderr)")
        Thread.sleep(forTimeInterval: 1.5)
        func submitAndTime() throws -> Double {
            let r = try runCLI(["submit", "--cids", try JobKit.cids(3).joined(separator: ","), "--domains", "history", "--new", "--json",
                                "--spool-dir", submitter.path], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let id = try #require(try parseJSONObject(r.stdout)["job_id"] as? String)
            let t0 = Date()
            #expect(try eventually(20) { try store.get(id: id)?.state == .succeeded }, "\(worker.stderr)")
            return Date().timeIntervalSince(t0)
        }
        let first = try submitAndTime()
        #expect(first < 10, "started by the notification, not the 600 s poll: \(first) s")
        // The listening connection killed: it is reopened (within 5 s), and the next submit wakes it again.
        let killed = try #require(try listener())
        _ = try admin.query("SELECT pg_terminate_backend($1)", [String(killed)])
        #expect(try eventually(20) { try listener().map { $0 != killed } ?? false }, "a new listening connection")
        Thread.sleep(forTimeInterval: 1.5)
        let second = try submitAndTime()
        #expect(second < 10, "\(second) s")
    }

    @Test("the store's connection killed by the server: the next call reconnects and succeeds; a dead store is STORE_UNAVAILABLE")
    func reconnect() throws {
        let db = try ScratchDatabase("store_re", schema: false)
        _ = try PostgresJobStore.migrate(url: db.conninfo)
        let store = try PostgresJobStore(url: db.conninfo, node: NodeIdentity(id: "n", url: nil), retrySeconds: 10)
        let id = try store.submit(JobStoreConformanceTests.submission("k"), reuse: .active).record.id
        let admin = try db.connect()
        let killed = try admin.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tracespool store'",
                                     [db.name])
        #expect(killed.int(0, 0) == 1)
        #expect(try store.get(id: id)?.state == .queued)
        #expect(try store.claim(worker: "w", leaseSeconds: 30, only: nil)?.id == id)
        do {
            _ = try PostgresJobStore.migrate(url: "host=/nonexistent-tracespool-socket dbname=x")
            Issue.record("migrate on no server succeeded")
        } catch let e as StoreError {
            #expect(e.kind == .unavailable && e.message.contains("job store"), "\(e)")
        }
    }
}
