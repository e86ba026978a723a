import Foundation
import Logging
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// One attempt of one job: opens (or resumes) its spool under the attempt's fence and runs the
/// stages the spool does not hold yet. Meta keys it keeps for a later attempt:
/// `stage.prepared` (seeds, detection, lineage, admission done), `stage.aggregated`,
/// `result.*` (what the prepared stages found, for the job's report), and `resumes` — one line
/// per attempt after the first, with its snapshot time and why (`resumed`: continued from the
/// ledger; `restarted`: the prepared stages were incomplete and ran again).
struct JobExecution {
    let runner: JobRunner
    let claim: Claim
    let request: TraceRequest
    let spoolPath: String
    let snapshot: SourceSnapshot
    let signal: JobStopSignal
    let started: Date
    let logger: Logger

    var store: any JobStore { runner.store }
    var config: EventsConfig { request.tuning?.applied(to: runner.config) ?? runner.config }
    var cancellation: CancellationFlag { signal.cancellation }

    func run() throws -> JobResult {
        try WarehouseCheck.requireTables(for: request, on: snapshot.connection)
        let domains = request.domains.compactMap(SpoolDomain.named)
        let (spool, resumeReason, history) = try openSpool(domains: domains)
        // Every attempt's snapshot time, and why each later attempt ran (kept across a restart).
        try spool.setMeta("snapshot_times", [history.snapshots, snapshot.takenAt].compactMap { $0 }.joined(separator: ","))
        if let reason = resumeReason {
            let line = "attempt \(claim.attempt) at \(UTCTime.iso(Date())): \(reason), snapshot \(snapshot.takenAt)"
            try spool.setMeta("resumes", [history.resumes, line].compactMap { $0 }.joined(separator: "\n"))
            onStage("\(reason) (attempt \(claim.attempt)) in a new snapshot \(snapshot.takenAt)")
        }
        let copy = BatchCopyStage(snapshot: snapshot, spool: spool, config: config, logger: logger, cancellation: cancellation)
        let clock = StageClock(store: store, claim: claim, spool: spool)
        copy.onBatch = { [runner] p in
            var p = p
            p.stage = clock.currentStage
            runner.onStageProgress(p)
        }
        if try spool.meta("stage.prepared") != "done" {
            try prepare(spool: spool, copy: copy, clock: clock)
        }
        let found = try PreparedResult(spool: spool)
        for w in found.warnings { logger.notice("\(w)") }

        // A staged job (seed-resolve or lineage of the reference routes) fetches no events.
        let outcomes = request.stopAfter != nil ? [] : try fetchEvents(spool: spool, copy: copy, clock: clock, domains: domains)
        let elapsed = Date().timeIntervalSince(started)
        try spool.setMeta("timing.total_seconds", String(format: "%.3f", elapsed))
        try spool.setMeta("finished_at", UTCTime.iso(Date()))
        let stages = try spool.stageQualities()
        try spool.setMeta("quality", StageQuality.job(stages.map(\.quality)).rawValue)
        try spool.checkpoint()
        // A finished spool is one file: readers open it read-only without creating -wal/-shm.
        spool.leaveWAL()
        return JobResult(spoolBytes: spool.fileBytes,
            jobId: claim.id, spoolPath: spoolPath, state: "succeeded", profile: request.profile.rawValue, cidCount: found.cidCount,
            unknownCIDs: found.unknown, unknownCIDSample: found.unknownSample, duplicateCIDs: found.duplicates,
            seedCount: found.seedCount, notFound: found.notFound, nodeCount: found.nodes, edgeCount: found.edges,
            detectionLots: found.detectionLots,
            warnings: found.warnings + (resumeReason?.hasPrefix("restarted on node") == true ? [resumeReason!] : []), domains: outcomes, stages: stages,
            stageSeconds: clock.timings, elapsedSeconds: elapsed, resumes: try spool.meta("resumes"))
    }

    /// The events stage, and for MSD the resource lookup and the aggregation.
    private func fetchEvents(spool: Spool, copy: BatchCopyStage, clock: StageClock, domains: [SpoolDomain]) throws -> [DomainOutcome] {
        // Events
        try store.progress(claim, stage: "events", pct: 0, text: "fetching events")
        let events = EventsStage(snapshot: snapshot, spool: spool, config: config, logger: logger, cancellation: cancellation) { [runner, store, claim] p in
            runner.onProgress(p)
            let pct = (Double(p.domainIndex) + Double(p.batchesDone) / Double(max(1, p.batchesTotal))) / Double(p.domainCount) * 100
            _ = try? store.progress(claim, stage: "events", pct: pct, text: "\(p.domain) \(p.batchesDone)/\(p.batchesTotal)")
        }
        let outcomes = try clock.timed("events") { try events.run(domains: domains) }

        if request.profile == .midSectionDefect {
            let detection = DetectionStage(copy: copy, spool: spool, config: config)
            _ = try clock.timed("resources") { try detection.resources() }
            if let hook = runner.afterMSDEvents {
                onStage("aggregate: computing the MSD summary")
                let t0 = Date()
                // A cancel interrupts the aggregation's SQL, not only the next step.
                let interrupter = spool.database.interrupter()
                let interrupt = cancellation.onCancel { interrupter.interrupt() }
                defer { cancellation.remove(interrupt) }
                do {
                    try clock.timed("aggregate") {
                        try JobExecution.testPause(spool.database)
                        try hook(spool)
                    }
                } catch where cancellation.isCancelled { throw CancelledError() }
                try spool.setMeta("stage.aggregated", "done")
                onStage(String(format: "aggregate: MSD summary stored (%.1f s)", Date().timeIntervalSince(t0)))
            }
        }
        return outcomes
    }

    private func onStage(_ s: String) { runner.onStage(s) }

    /// Tests only (`TRACESPOOL_TEST_AGGREGATE_PAUSE_MS`): lengthens the aggregation by a SQL
    /// statement that counts for about that long in the spool's own connection, so a test can
    /// cancel "during aggregation" and see the interrupt end real SQL work.
    static func testPause(_ database: SQLiteDatabase) throws {
        guard let raw = ProcessInfo.processInfo.environment["TRACESPOOL_TEST_AGGREGATE_PAUSE_MS"], let ms = Int(raw), ms > 0 else { return }
        let end = Date().addingTimeInterval(Double(ms) / 1000)
        while Date() < end {
            _ = try database.scalarInt("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) FROM c")
        }
    }

    /// Snapshot times and resume lines of earlier attempts.
    typealias History = (snapshots: String?, resumes: String?)

    /// The attempt's spool: a new one; the one a dead attempt left (continued from its ledger);
    /// or, when the dead attempt had not finished the prepared stages, a new one again — keeping
    /// the earlier attempts' history.
    private func openSpool(domains: [SpoolDomain]) throws -> (Spool, String?, History) {
        if FileManager.default.fileExists(atPath: spoolPath) {
            let old = try Spool.open(at: spoolPath, readOnly: false)
            let history: History = (try old.meta("snapshot_times") ?? old.meta("snapshot_time"), try old.meta("resumes"))
            if try old.meta("stage.prepared") == "done" {
                try old.database.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
                try old.takeFence(attempt: claim.attempt, lockWaitSeconds: runner.lockWaitSeconds)
                return (old, "resumed", history)
            }
            // Wait out a stale writer before removing the file it may still hold.
            try old.takeFence(attempt: claim.attempt, lockWaitSeconds: runner.lockWaitSeconds)
            for s in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: spoolPath + s) }
            return (try newSpool(domains: domains), "restarted", history)
        }
        // A later attempt without a spool here: the earlier one ran on another node whose spool
        // folder this host cannot reach (README "Many hosts"), so the job starts over.
        return (try newSpool(domains: domains), claim.attempt > 1 ? "restarted on node \(runner.node.id): the spool of an earlier attempt is not reachable here" : nil,
                (nil, nil))
    }

    private func newSpool(domains: [SpoolDomain]) throws -> Spool {
        let spool = try Spool.create(at: spoolPath, domains: domains)
        try spool.takeFence(attempt: claim.attempt, lockWaitSeconds: runner.lockWaitSeconds)
        try spool.database.transaction {
            try spool.setMeta("job_id", claim.id)
            try spool.setMeta("profile", request.profile.rawValue)
            try spool.setMeta("request", claim.requestJSON)
            try spool.setMeta("domains", request.domains.joined(separator: ","))
            try spool.setMeta("snapshot_time", snapshot.takenAt)
            try spool.setMeta("created_at", UTCTime.iso(started))
            if let msd = request.msd {
                try spool.setMeta("msd.direction", request.direction)
                try spool.setMeta("msd.mode", msd.mode)
                try spool.setMeta("msd.stations", msd.stations.joined(separator: ","))
                try spool.setMeta("msd.from", msd.from)
                try spool.setMeta("msd.to", msd.to)
            }
        }
        return spool
    }

    /// Seeds, detection, lineage (or the explicit CIDs) and admission control; ends by marking
    /// the spool `stage.prepared` with what it found.
    private func prepare(spool: Spool, copy: BatchCopyStage, clock: StageClock) throws {
        func timed<R>(_ stage: String, _ body: () throws -> R) throws -> R { try clock.timed(stage, body) }
        var seedCount: Int?
        var notFound: [String] = []
        var lineage: LineageStage.Outcome?
        var detectionLots: Int?
        var unknown = 0
        var unknownSample: [String] = []
        var duplicates = request.duplicateCIDs
        var warnings: [String] = []
        let detection = DetectionStage(copy: copy, spool: spool, config: config)
        let noSeedsCode = request.profile == .midSectionDefect ? "NO_DETECTION_RECORDS" : "NO_SEEDS"

        if !request.hasExplicitCIDs {
            let seeds = try timed("seeds") { () throws -> SeedStage.Outcome in
                let stage = SeedStage(copy: copy, spool: spool, config: config)
                if let msd = request.msd, let from = msd.from.flatMap(DateText.parseDay), let to = msd.to.flatMap(DateText.parseDay) {
                    let n = try detection.candidates(stations: msd.stations, from: from, to: to)
                    return SeedStage.Outcome(seedCount: n, notFound: [])
                }
                if !request.seedCIDs.isEmpty { return try stage.resolve(seedCIDs: request.seedCIDs, on: snapshot.connection) }
                return try stage.resolve(type: request.resolveType!, values: request.values, stations: request.msd?.stations)
            }
            seedCount = seeds.seedCount
            notFound = seeds.notFound
            onStage("seeds: \(Wording.count(seeds.seedCount, "lot"))" + (notFound.isEmpty ? ""
                : ", \(Wording.count(notFound.count, "value")) not found: \(Wording.sample(notFound, limit: 10))"))
            if seeds.seedCount == 0 {
                let what = request.msd.map { m in
                    m.mode == "date_range"
                        ? "no lot tracked in at \(m.stations.joined(separator: ",")) between \(m.from!) and \(m.to!)"
                        : "none of the given values has history at \(m.stations.joined(separator: ","))"
                } ?? "none of the given values resolved to a container"
                throw NoSeedsFound(code: noSeedsCode, notFound: notFound, message: what
                    + (notFound.isEmpty ? "" : " (not found: \(notFound.prefix(20).joined(separator: ", "))\(notFound.count > 20 ? ", …" : ""))"))
            }
            if request.stopAfter == .seeds {
                try markPrepared(spool, cidCount: 0, warnings: [], seedCount: seedCount, notFound: notFound, lineage: nil,
                                 detectionLots: nil, unknown: 0, unknownSample: [], duplicates: duplicates)
                return
            }
            if let msd = request.msd, msd.mode == "date_range", request.stopAfter == nil {
                _ = try timed("detection") {
                    try detection.enrich(keyTable: "seeds", keyColumn: "CID", stations: msd.stations,
                                         from: DateText.parseDay(msd.from!), to: DateText.parseDay(msd.to!))
                }
            }
            lineage = try timed("lineage") { try LineageStage(copy: copy, spool: spool, config: config).run(direction: request.direction) }
            onStage("lineage (\(request.direction)): \(Wording.count(lineage!.nodes, "node")), "
                + "\(Wording.count(lineage!.edges, "edge")), \(Wording.count(lineage!.cids, "CID"))")
            if request.stopAfter == .lineage {
                let cids = try spool.database.scalarInt("SELECT count(*) FROM trace_cids") ?? 0
                try markPrepared(spool, cidCount: cids, warnings: [], seedCount: seedCount, notFound: notFound, lineage: lineage,
                                 detectionLots: nil, unknown: 0, unknownSample: [], duplicates: duplicates)
                return
            }
            if let msd = request.msd, msd.mode == "container" {
                _ = try timed("detection") {
                    try detection.enrich(keyTable: "trace_cids", keyColumn: "cid", stations: msd.stations, from: nil, to: nil)
                }
            }
            if request.msd != nil {
                detectionLots = try spool.database.scalarInt("SELECT count(DISTINCT CONTAINERID) FROM msd_detection")
                onStage("detection: \(Wording.count(detectionLots!, "lot"))")
            }
        } else {
            duplicates += try spool.storeTraceCIDs { add in
                for c in request.cids { try add(c) }
                try request.cidsFile?.forEach(add)
                if request.storedLists != nil { try RequestFile.forEachCID(path: runner.requestPath(claim.id), add) }
            }
            (unknown, unknownSample) = try WarehouseCheck.unknownCIDs(in: spool, batchSize: config.cidBatchSize, on: snapshot.connection)
            let given = try spool.database.scalarInt("SELECT count(*) FROM trace_cids") ?? 0
            if given > 0 && unknown == given {
                throw NoSeedsFound(code: "NO_KNOWN_CIDS", notFound: unknownSample, message:
                    "none of the \(Wording.count(given, "container id")) is in the warehouse (dwh.dw_mes_container): "
                    + Wording.sample(unknownSample, total: unknown)
                    + " — --cids and --cids-file take CONTAINERID values; lot names go to --lot-ids")
            }
        }

        // Admission control, after lineage: query_tool* is refused, MSD only warned.
        let cidCount = try spool.database.scalarInt("SELECT count(*) FROM trace_cids") ?? 0
        if cidCount > request.cidLimit {
            if request.profile == .midSectionDefect {
                warnings.append("CID count \(cidCount) exceeds TRACE_EVENTS_CID_LIMIT \(request.cidLimit); mid_section_defect runs anyway")
            } else {
                throw CIDLimitExceeded(cidCount: cidCount, limit: request.cidLimit)
            }
        }
        try markPrepared(spool, cidCount: cidCount, warnings: warnings, seedCount: seedCount, notFound: notFound, lineage: lineage,
                         detectionLots: detectionLots, unknown: unknown, unknownSample: unknownSample, duplicates: duplicates)
    }

    /// Records what the prepared stages found and marks them done.
    private func markPrepared(_ spool: Spool, cidCount: Int, warnings: [String], seedCount: Int?, notFound: [String],
                              lineage: LineageStage.Outcome?, detectionLots: Int?, unknown: Int, unknownSample: [String],
                              duplicates: Int) throws {
        try spool.database.transaction {
            try spool.setMeta("cid_count", String(cidCount))
            try spool.setMeta("unknown_cid_count", String(unknown))
            try spool.setMeta("warnings", warnings.isEmpty ? nil : warnings.joined(separator: "\n"))
            try spool.setMeta("result.seed_count", seedCount.map(String.init))
            try spool.setMeta("result.not_found", notFound.isEmpty ? nil : notFound.joined(separator: "\n"))
            try spool.setMeta("result.node_count", lineage.map { String($0.nodes) })
            try spool.setMeta("result.edge_count", lineage.map { String($0.edges) })
            try spool.setMeta("result.detection_lots", detectionLots.map(String.init))
            try spool.setMeta("result.unknown_sample", unknownSample.isEmpty ? nil : unknownSample.joined(separator: "\n"))
            try spool.setMeta("result.duplicates", String(duplicates))
            try spool.setMeta("stage.prepared", "done")
        }
    }
}

/// What the prepared stages found, read back from the spool (the same whether this attempt ran
/// them or an earlier one did).
struct PreparedResult {
    let cidCount: Int
    let unknown: Int
    let unknownSample: [String]
    let duplicates: Int
    let seedCount: Int?
    let notFound: [String]
    let nodes: Int?
    let edges: Int?
    let detectionLots: Int?
    let warnings: [String]

    init(spool: Spool) throws {
        func int(_ k: String) throws -> Int? { try spool.meta(k).flatMap { Int($0) } }
        func lines(_ k: String) throws -> [String] { try spool.meta(k).map { $0.split(separator: "\n").map(String.init) } ?? [] }
        cidCount = try int("cid_count") ?? 0
        unknown = try int("unknown_cid_count") ?? 0
        unknownSample = try lines("result.unknown_sample")
        duplicates = try int("result.duplicates") ?? 0
        seedCount = try int("result.seed_count")
        notFound = try lines("result.not_found")
        nodes = try int("result.node_count")
        edges = try int("result.edge_count")
        detectionLots = try int("result.detection_lots")
        warnings = try lines("warnings")
    }
}

/// Times the stages of one attempt, records each in the spool's meta and the job's stage in the store.
final class StageClock {
    let store: any JobStore
    let claim: Claim
    let spool: Spool
    var currentStage = ""
    var timings: [(String, Double)] = []

    init(store: any JobStore, claim: Claim, spool: Spool) {
        self.store = store
        self.claim = claim
        self.spool = spool
    }

    func timed<R>(_ stage: String, _ body: () throws -> R) throws -> R {
        currentStage = stage
        try store.progress(claim, stage: stage, pct: nil, text: stage)
        let t0 = Date()
        let r = try body()
        let seconds = Date().timeIntervalSince(t0)
        timings.append((stage, seconds))
        try spool.setMeta("timing.\(stage)_seconds", String(format: "%.3f", seconds))
        return r
    }
}
