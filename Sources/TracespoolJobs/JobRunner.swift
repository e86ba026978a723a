import Foundation
import Logging
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// Runs one trace job in-process: catalog record, snapshot, spool, then the stages —
/// seeds → (MSD detection) → lineage → admission control → events → (MSD resources).
/// A failed job leaves no half-written spool behind (the file is removed) and a catalog record
/// with the error's code; a job whose seeds resolve to nothing leaves nothing at all.
public final class JobRunner {
    public let spoolDir: String
    public let conninfo: String
    public let config: EventsConfig
    public let logger: Logger
    public let ttlSeconds: Int
    public let cancellation = CancellationFlag()
    public var onProgress: (EventsProgress) -> Void = { _ in }
    /// One line per finished stage ("seeds: 412 lots"), for the CLI's stderr.
    public var onStage: (String) -> Void = { _ in }
    /// Batches done / planned and rows of the stages before and after events (seeds, detection,
    /// lineage, resources): when a stage plans its batches and after every batch.
    public var onStageProgress: (StageProgress) -> Void = { _ in }
    /// The level a failed job is logged at. A caller that reports the failure itself (the CLI prints
    /// `tracespool: CODE: message`) lowers it so the failure is not printed twice.
    public var failureLogLevel: Logger.Level = .error
    /// Runs after the events stage of an MSD job (the summary is computed and stored here).
    public var afterMSDEvents: ((Spool) throws -> Void)?

    public init(spoolDir: String, conninfo: String, config: EventsConfig, logger: Logger, ttlSeconds: Int = 86_400) {
        self.spoolDir = spoolDir
        self.conninfo = conninfo
        self.config = config
        self.logger = logger
        self.ttlSeconds = ttlSeconds
    }

    /// The spool folder, created if missing, checked writable.
    public static func prepareSpoolDir(_ dir: String) throws {
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw SpoolError(.unwritable, "cannot create spool folder \(dir): \(error.localizedDescription)")
            }
        } else if !isDir.boolValue {
            throw SpoolError(.unwritable, "spool folder \(dir) is not a folder")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else {
            throw SpoolError(.unwritable, "spool folder \(dir) is not writable")
        }
    }

    /// The stable code and the plain message of an error.
    static func classify(_ error: Error) -> (String, String) {
        switch error {
        case let e as SourceError: return (e.code, e.message)
        case let e as SpoolError: return (e.code, e.message)
        case let e as JobFailure: return (e.code, e.message)
        case let e as CIDLimitExceeded: return ("CID_LIMIT_EXCEEDED", e.description)
        case let e as NoSeedsFound: return (e.code, e.message)
        case is CancelledError: return ("CANCELLED", "the job was cancelled")
        default: return ("INTERNAL_ERROR", "\(error)")
        }
    }

    public func run(_ request: TraceRequest) throws -> JobResult {
        let started = Date()
        do { try JobRunner.prepareSpoolDir(spoolDir) } catch {
            throw JobFailure(jobId: nil, code: (error as? SpoolError)?.code ?? "SPOOL_UNWRITABLE",
                             message: (error as? SpoolError)?.message ?? "\(error)", underlying: error)
        }
        let catalog: Catalog
        do { catalog = try Catalog(folder: spoolDir) } catch {
            throw JobFailure(jobId: nil, code: (error as? SpoolError)?.code ?? "SPOOL_FAILED", message: "catalog: \(error)", underlying: error)
        }
        let jobId = JobId.make()
        let requestJSON = try request.recordJSON()
        try catalog.insert(id: jobId, profile: request.profile.rawValue, request: requestJSON, state: "running", ttlSeconds: ttlSeconds)
        let spoolPath = "\(spoolDir)/\(jobId).sqlite"
        var log = logger
        log[metadataKey: "job"] = "\(jobId)"

        var snapshot: SourceSnapshot?
        do {
            try catalog.update(id: jobId, stage: "connect", pct: 0, progress: "opening a snapshot")
            snapshot = try SourceSnapshot(conninfo: conninfo)
            let result = try execute(request, jobId: jobId, spoolPath: spoolPath, snapshot: snapshot!,
                                     catalog: catalog, requestJSON: requestJSON, started: started, logger: log)
            snapshot?.close()
            try catalog.finish(id: jobId, state: "succeeded", quality: result.quality.rawValue, cidCount: result.cidCount,
                               rows: result.domains.reduce(0) { $0 + $1.rows },
                               warnings: result.warnings.isEmpty ? nil : result.warnings.joined(separator: "; "),
                               errorCode: nil, errorMessage: nil, spoolFile: spoolPath, bytes: result.spoolBytes)
            return result
        } catch {
            snapshot?.close()
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: spoolPath + suffix) }
            let (code, message) = JobRunner.classify(error)
            if error is NoSeedsFound {
                // Nothing to trace: no empty job is left behind.
                try? catalog.delete(id: jobId)
                throw JobFailure(jobId: nil, code: code, message: message, underlying: error)
            }
            let state = error is CancelledError ? "cancelled" : "failed"
            // On a full disk this may fail too; the error we report is the job's, not this one.
            try? catalog.finish(id: jobId, state: state, quality: nil, cidCount: nil, rows: nil, warnings: nil,
                                errorCode: code, errorMessage: message, spoolFile: nil, bytes: nil)
            // A user's own Ctrl-C is not an error.
            log.log(level: error is CancelledError ? min(failureLogLevel, .notice) : failureLogLevel,
                    error is CancelledError ? "job cancelled" : "job failed", metadata: ["code": "\(code)", "error": "\(message)"])
            throw JobFailure(jobId: jobId, code: code, message: message, underlying: error)
        }
    }

    private func execute(_ request: TraceRequest, jobId: String, spoolPath: String, snapshot: SourceSnapshot,
                         catalog: Catalog, requestJSON: String, started: Date, logger log: Logger) throws -> JobResult {
        try WarehouseCheck.requireTables(for: request, on: snapshot.connection)
        let domains = request.domains.compactMap(SpoolDomain.named)
        let spool = try Spool.create(at: spoolPath, domains: domains)
        try spool.database.transaction {
            try spool.setMeta("job_id", jobId)
            try spool.setMeta("profile", request.profile.rawValue)
            try spool.setMeta("request", requestJSON)
            try spool.setMeta("domains", request.domains.joined(separator: ","))
            try spool.setMeta("snapshot_time", snapshot.takenAt)
            try spool.setMeta("created_at", Timestamps.iso(started))
            if let msd = request.msd {
                try spool.setMeta("msd.direction", request.direction)
                try spool.setMeta("msd.mode", msd.mode)
                try spool.setMeta("msd.stations", msd.stations.joined(separator: ","))
                try spool.setMeta("msd.from", msd.from)
                try spool.setMeta("msd.to", msd.to)
            }
        }
        let copy = BatchCopyStage(snapshot: snapshot, spool: spool, config: config, logger: log, cancellation: cancellation)
        var timings: [(String, Double)] = []
        var warnings: [String] = []
        var currentStage = ""
        copy.onBatch = { [onStageProgress] p in
            var p = p
            p.stage = currentStage
            onStageProgress(p)
        }
        func timed<R>(_ stage: String, _ body: () throws -> R) throws -> R {
            currentStage = stage
            try catalog.update(id: jobId, stage: stage, pct: nil, progress: stage)
            let t0 = Date()
            let r = try body()
            let seconds = Date().timeIntervalSince(t0)
            timings.append((stage, seconds))
            try spool.setMeta("timing.\(stage)_seconds", String(format: "%.3f", seconds))
            return r
        }

        var seedCount: Int?
        var notFound: [String] = []
        var lineage: LineageStage.Outcome?
        var detectionLots: Int?
        var unknown = 0
        var unknownSample: [String] = []
        var duplicates = request.duplicateCIDs
        let detection = DetectionStage(copy: copy, spool: spool, config: config)
        let noSeedsCode = request.profile == .midSectionDefect ? "NO_DETECTION_RECORDS" : "NO_SEEDS"

        if !request.hasExplicitCIDs {
            // Seeds
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
            // MSD date mode: the detection table of the seeds, in the window.
            if let msd = request.msd, msd.mode == "date_range" {
                _ = try timed("detection") {
                    try detection.enrich(keyTable: "seeds", keyColumn: "CID", stations: msd.stations,
                                         from: DateText.parseDay(msd.from!), to: DateText.parseDay(msd.to!))
                }
            }
            // Lineage and expansion
            lineage = try timed("lineage") { try LineageStage(copy: copy, spool: spool, config: config).run(direction: request.direction) }
            onStage("lineage (\(request.direction)): \(Wording.count(lineage!.nodes, "node")), "
                + "\(Wording.count(lineage!.edges, "edge")), \(Wording.count(lineage!.cids, "CID"))")
            // MSD container mode: detection over the seeds and their ancestors, no window.
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
            }
            (unknown, unknownSample) = try WarehouseCheck.unknownCIDs(in: spool, batchSize: config.cidBatchSize, on: snapshot.connection)
            let given = try spool.database.scalarInt("SELECT count(*) FROM trace_cids") ?? 0
            if given > 0 && unknown == given {
                // Nothing to trace: ends like seeds that resolved to nothing (exit 5, no job left).
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
                let w = "CID count \(cidCount) exceeds TRACE_EVENTS_CID_LIMIT \(request.cidLimit); mid_section_defect runs anyway"
                warnings.append(w)
                log.notice("\(w)")  // the caller reports `warnings`
            } else {
                throw CIDLimitExceeded(cidCount: cidCount, limit: request.cidLimit)
            }
        }
        try spool.setMeta("cid_count", String(cidCount))
        try spool.setMeta("unknown_cid_count", String(unknown))
        try spool.setMeta("warnings", warnings.isEmpty ? nil : warnings.joined(separator: "\n"))

        // Events
        try catalog.update(id: jobId, stage: "events", pct: 0, progress: "fetching events")
        let events = EventsStage(snapshot: snapshot, spool: spool, config: config, logger: log, cancellation: cancellation) { [onProgress] p in
            onProgress(p)
            let pct = (Double(p.domainIndex) + Double(p.batchesDone) / Double(max(1, p.batchesTotal))) / Double(p.domainCount) * 100
            try? catalog.update(id: jobId, stage: "events", pct: pct, progress: "\(p.domain) \(p.batchesDone)/\(p.batchesTotal)")
        }
        let outcomes = try timed("events") { try events.run(domains: domains) }

        if request.profile == .midSectionDefect {
            _ = try timed("resources") { try detection.resources() }
            if let hook = afterMSDEvents {
                onStage("aggregate: computing the MSD summary")
                let t0 = Date()
                try timed("aggregate") { try hook(spool) }
                onStage(String(format: "aggregate: MSD summary stored (%.1f s)", Date().timeIntervalSince(t0)))
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        try spool.setMeta("timing.total_seconds", String(format: "%.3f", elapsed))
        try spool.setMeta("finished_at", Timestamps.iso(Date()))
        let stages = try spool.stageQualities()
        try spool.setMeta("quality", StageQuality.job(stages.map(\.quality)).rawValue)
        try spool.checkpoint()
        // A finished spool is one file: readers open it read-only without creating -wal/-shm.
        spool.leaveWAL()
        return JobResult(spoolBytes: spool.fileBytes,
            jobId: jobId, spoolPath: spoolPath, state: "succeeded", profile: request.profile.rawValue, cidCount: cidCount,
            unknownCIDs: unknown, unknownCIDSample: unknownSample, duplicateCIDs: duplicates, seedCount: seedCount, notFound: notFound,
            nodeCount: lineage?.nodes, edgeCount: lineage?.edges, detectionLots: detectionLots, warnings: warnings,
            domains: outcomes, stages: stages, stageSeconds: timings, elapsedSeconds: elapsed)
    }
}
