import Foundation
import Logging
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// Runs one trace job in-process: catalog record, snapshot, spool, events stage, final state.
/// A failed job leaves no half-written spool behind (the file is removed) and a catalog record
/// with the error's code.
public final class JobRunner {
    public let spoolDir: String
    public let conninfo: String
    public let config: EventsConfig
    public let logger: Logger
    public let ttlSeconds: Int
    public let cancellation = CancellationFlag()
    public var onProgress: (EventsProgress) -> Void = { _ in }

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
        let requestJSON = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        try catalog.insert(id: jobId, profile: request.profile.rawValue, request: requestJSON, state: "running", ttlSeconds: ttlSeconds)
        let spoolPath = "\(spoolDir)/\(jobId).sqlite"
        var log = logger
        log[metadataKey: "job"] = "\(jobId)"

        var snapshot: SourceSnapshot?
        do {
            try catalog.update(id: jobId, stage: "connect", pct: 0, progress: "opening a snapshot")
            snapshot = try SourceSnapshot(conninfo: conninfo)
            try WarehouseCheck.requireTables(for: request.domains, on: snapshot!.connection)
            let unknown = try WarehouseCheck.countUnknownCIDs(request.cids, batchSize: config.cidBatchSize, on: snapshot!.connection)

            let domains = request.domains.compactMap(SpoolDomain.named)
            let spool = try Spool.create(at: spoolPath, domains: domains)
            try spool.database.transaction {
                try spool.setMeta("job_id", jobId)
                try spool.setMeta("profile", request.profile.rawValue)
                try spool.setMeta("request", requestJSON)
                try spool.setMeta("domains", request.domains.joined(separator: ","))
                try spool.setMeta("snapshot_time", snapshot!.takenAt)
                try spool.setMeta("created_at", Timestamps.iso(started))
                try spool.setMeta("cid_count", String(request.cids.count))
                try spool.setMeta("unknown_cid_count", String(unknown))
            }
            try spool.storeTraceCIDs(request.cids)

            try catalog.update(id: jobId, stage: "events", pct: 0, progress: "fetching events")
            let stage = EventsStage(snapshot: snapshot!, spool: spool, config: config, logger: log,
                                    cancellation: cancellation) { [onProgress] p in
                onProgress(p)
                let pct = (Double(p.domainIndex) + Double(p.batchesDone) / Double(max(1, p.batchesTotal))) / Double(p.domainCount) * 100
                try? catalog.update(id: jobId, stage: "events", pct: pct, progress: "\(p.domain) \(p.batchesDone)/\(p.batchesTotal)")
            }
            let outcomes = try stage.run(domains: domains)
            let elapsed = Date().timeIntervalSince(started)
            try spool.setMeta("timing.total_seconds", String(format: "%.3f", elapsed))
            try spool.setMeta("finished_at", Timestamps.iso(Date()))
            try spool.checkpoint()
            snapshot?.close()
            let result = JobResult(jobId: jobId, spoolPath: spoolPath, state: "succeeded", cidCount: request.cids.count,
                                   unknownCIDs: unknown, duplicateCIDs: request.duplicateCIDs, domains: outcomes,
                                   elapsedSeconds: elapsed)
            try catalog.finish(id: jobId, state: "succeeded", cidCount: request.cids.count,
                               rows: outcomes.reduce(0) { $0 + $1.rows },
                               warnings: result.quality == "partial" ? "partial result" : nil,
                               errorCode: nil, errorMessage: nil, spoolFile: spoolPath, bytes: spool.fileBytes)
            return result
        } catch {
            snapshot?.close()
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: spoolPath + suffix) }
            let (code, message) = JobRunner.classify(error)
            let state = error is CancelledError ? "cancelled" : "failed"
            // On a full disk this may fail too; the error we report is the job's, not this one.
            try? catalog.finish(id: jobId, state: state, cidCount: request.cids.count, rows: nil, warnings: nil,
                                errorCode: code, errorMessage: message, spoolFile: nil, bytes: nil)
            log.error("job failed", metadata: ["code": "\(code)", "error": "\(message)"])
            throw JobFailure(jobId: jobId, code: code, message: message, underlying: error)
        }
    }
}
