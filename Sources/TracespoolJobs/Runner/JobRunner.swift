import Foundation
import Logging
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// Submits jobs to the store and runs claimed ones in this process (README "Jobs"):
/// seeds → (MSD detection) → lineage → admission control → events → (MSD resources, aggregate).
///
/// A job resumes from its spool: the stages before events are one unit (`stage.prepared` in the
/// spool's meta) — kept when it completed, started over from the stored request when it did not;
/// event batches already committed are kept (the ledger) and the rest fetched; the aggregate is
/// recomputed. A failed job keeps its spool, so it can be resumed or retried; retention removes it.
public final class JobRunner: @unchecked Sendable {
    public let spoolDir: String
    public let conninfo: String
    public let config: EventsConfig
    public let logger: Logger
    public let ttlSeconds: Int
    public let store: any JobStore
    /// The node this process's spools belong to (README "Many hosts").
    public var node: NodeIdentity { store.node }
    public let worker: String
    /// `TRACESPOOL_LEASE_SECONDS` (default 30): how long a claim holds without a heartbeat.
    public var leaseSeconds = 30.0
    /// `TRACESPOOL_SPOOL_LOCK_WAIT_SECONDS` (default 600): how long a takeover waits for a
    /// stale worker's spool write lock.
    public var lockWaitSeconds = 600
    public var onProgress: (EventsProgress) -> Void = { _ in }
    /// One line per finished stage ("seeds: 412 lots"), for the CLI's stderr.
    public var onStage: (String) -> Void = { _ in }
    /// Batches done / planned and rows of the stages before and after events.
    public var onStageProgress: (StageProgress) -> Void = { _ in }
    /// The level a failed job is logged at (the CLI reports failures itself and lowers it).
    public var failureLogLevel: Logger.Level = .error
    /// Runs after the events stage of an MSD job (the summary is computed and stored here).
    public var afterMSDEvents: ((Spool) throws -> Void)?

    private let lock = NSLock()
    private var running: [String: JobStopSignal] = [:]

    /// `nodeURL`: the API address this process serves, when it is one (`serve`); `TRACESPOOL_NODE_URL`
    /// overrides it.
    public init(spoolDir: String, conninfo: String, config: EventsConfig, logger: Logger, ttlSeconds: Int = 86_400,
                environment env: [String: String] = ProcessInfo.processInfo.environment, nodeURL: String? = nil) throws {
        self.spoolDir = spoolDir
        self.conninfo = conninfo
        self.config = config
        self.logger = logger
        self.ttlSeconds = ttlSeconds
        worker = WorkerIdentity.current
        do { try JobRunner.prepareSpoolDir(spoolDir) } catch {
            throw JobFailure(jobId: nil, code: (error as? SpoolError)?.code ?? "SPOOL_UNWRITABLE",
                             message: (error as? SpoolError)?.message ?? "\(error)", underlying: error)
        }
        do {
            let node = try NodeIdentity.fromEnvironment(env, defaultURL: nodeURL)
            store = try StoreLocation.fromEnvironment(env, spoolDir: spoolDir).open(node: node, environment: env)
        } catch let e as StoreError {
            throw JobFailure(jobId: nil, code: e.code, message: e.message, underlying: e)
        } catch {
            throw JobFailure(jobId: nil, code: (error as? SpoolError)?.code ?? "SPOOL_FAILED", message: "catalog: \(error)", underlying: error)
        }
        if let raw = env["TRACESPOOL_LEASE_SECONDS"], let v = Double(raw), v > 0 { leaseSeconds = v }
        if let raw = env["TRACESPOOL_SPOOL_LOCK_WAIT_SECONDS"], let v = Int(raw), v >= 0 { lockWaitSeconds = v }
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

    /// The stable code and the plain message of an error (`StableError`).
    static func classify(_ error: Error) -> (String, String) { StableError.describe(error) }

    public func spoolPath(_ id: String) -> String { "\(spoolDir)/\(id).sqlite" }
    public func requestPath(_ id: String) -> String { RequestFile.path(folder: spoolDir, id: id) }

    /// A job's whole request: its stored JSON and lists. On a host that did not take the submit
    /// (a shared store), the request file is first rebuilt from the store.
    public func request(of id: String, json: String) throws -> TraceRequest {
        let path = requestPath(id)
        if !FileManager.default.fileExists(atPath: path), (try? RequestFile.needsFile(json: json)) == true {
            _ = try store.restoreRequestLists(id: id, to: path)
        }
        return try RequestFile.load(json: json, path: path)
    }

    // MARK: submit

    /// Stores the request (its lists streamed into the request file) and queues the job — or
    /// returns the queued or running job with the same request key, unless `reuse` is false.
    public func submit(_ request: TraceRequest, reuse: Bool) throws -> (id: String, reused: Bool) {
        try submit(request, reusing: reuse ? .active : .none)
    }

    public func submit(_ request: TraceRequest, reusing reuse: JobReuse) throws -> (id: String, reused: Bool) {
        let (id, stored) = try storeRequest(request)
        do {
            let (record, reused) = try store.submit(submission(id, request, stored), reuse: reuse)
            if reused { try? FileManager.default.removeItem(atPath: requestPath(id)) }
            return (record.id, reused)
        } catch {
            try? FileManager.default.removeItem(atPath: requestPath(id))
            let (code, message) = JobRunner.classify(error)
            throw JobFailure(jobId: nil, code: code, message: "catalog: \(message)", underlying: error)
        }
    }

    private func storeRequest(_ request: TraceRequest) throws -> (String, RequestFile.Stored) {
        let id = JobId.make()
        do { return (id, try RequestFile.write(request, to: requestPath(id))) } catch {
            let (code, message) = JobRunner.classify(error)
            throw JobFailure(jobId: nil, code: code, message: "storing the request: \(message)", underlying: error)
        }
    }

    private func submission(_ id: String, _ request: TraceRequest, _ stored: RequestFile.Stored) -> Submission {
        Submission(id: id, profile: request.profile.rawValue, requestJSON: stored.json, requestKey: stored.key, ttlSeconds: ttlSeconds,
                   cidCount: stored.request.hasExplicitCIDs ? stored.request.storedLists?.cids : nil, requestFile: requestPath(id))
    }

    // MARK: run

    /// `tracespool run`: submit and execute in this process — the job is inserted already claimed,
    /// so a worker on the same folder cannot take it first. A run that is killed is resumable by
    /// a worker like any other job; one whose seeds resolve to nothing leaves nothing behind.
    public func run(_ request: TraceRequest) throws -> JobResult {
        let (id, stored) = try storeRequest(request)
        let claim: Claim
        do { claim = try store.submitClaimed(submission(id, request, stored), worker: worker, leaseSeconds: leaseSeconds) } catch {
            try? FileManager.default.removeItem(atPath: requestPath(id))
            let (code, message) = JobRunner.classify(error)
            throw JobFailure(jobId: nil, code: code, message: "catalog: \(message)", underlying: error)
        }
        switch execute(claim) {
        case .finished(let result): return result
        case .failed(let failure):
            if failure.underlying is NoSeedsFound { remove(id) }
            throw failure
        case .stoodDown, .released:
            throw JobFailure(jobId: id, code: "CANCELLED", message: "the job was stopped; it stays resumable (tracespool worker)",
                             underlying: CancelledError())
        }
    }

    /// Removes a job's row and files.
    func remove(_ id: String) {
        try? store.delete(id: id)
        JobFiles.remove(spoolDir: spoolDir, id: id)
    }

    /// Stops a job this process runs (cancel, shutdown); false if it runs none of that id.
    @discardableResult
    public func stop(_ id: String, _ reason: JobStop) -> Bool {
        guard let signal = lock.withLock({ running[id] }) else { return false }
        signal.stop(reason)
        return true
    }

    /// Stops every job this process runs.
    public func stopAll(_ reason: JobStop) {
        for s in lock.withLock({ Array(running.values) }) { s.stop(reason) }
    }

    /// How one claimed run ended.
    public enum Execution {
        case finished(JobResult)
        case failed(JobFailure)
        /// The lease was lost: another worker holds the job; nothing was written for it.
        case stoodDown
        /// Shutdown: the job went back to the queue, resumable.
        case released
    }

    /// Runs a claimed job to its end, under its lease.
    public func execute(_ claim: Claim) -> Execution {
        let signal = JobStopSignal()
        lock.withLock { running[claim.id] = signal }
        defer { _ = lock.withLock { running.removeValue(forKey: claim.id) } }
        var log = logger
        log[metadataKey: "job"] = "\(claim.id)"
        let keeper = LeaseKeeper(store: store, claim: claim, leaseSeconds: leaseSeconds, signal: signal, logger: log)
        keeper.start()
        defer { keeper.stop() }
        let started = Date()
        let spoolPath = spoolPath(claim.id)
        var snapshot: SourceSnapshot?
        do {
            let request = try self.request(of: claim.id, json: claim.requestJSON)
            try store.progress(claim, stage: "connect", pct: 0, text: "opening a snapshot")
            snapshot = try SourceSnapshot(conninfo: conninfo)
            let main = snapshot!.connection.canceller()
            let hook = signal.cancellation.onCancel { main.cancel() }
            defer { signal.cancellation.remove(hook) }
            let result = try JobExecution(runner: self, claim: claim, request: request, spoolPath: spoolPath,
                                          snapshot: snapshot!, signal: signal, started: started, logger: log).run()
            snapshot?.close()
            snapshot = nil
            let outcome = JobOutcome(
                state: .succeeded, quality: result.quality == .complete ? .complete : .partial, cidCount: result.cidCount,
                rows: result.domains.reduce(0) { $0 + $1.rows },
                warnings: result.warnings.isEmpty ? nil : result.warnings.joined(separator: "; "),
                spoolFile: spoolPath, bytes: JobFiles.bytes(spoolDir: spoolDir, id: claim.id))
            guard try store.finish(claim, outcome) else {
                log.warning("lease lost before the outcome was written; the job's current worker reports it")
                return .stoodDown
            }
            return .finished(result)
        } catch {
            snapshot?.close()
            return failed(claim, error, signal: signal, logger: log)
        }
    }

    private func failed(_ claim: Claim, _ error: Error, signal: JobStopSignal, logger log: Logger) -> Execution {
        let (code, message) = JobRunner.classify(error)
        let leaseLost = signal.reason == .leaseLost || (error as? SpoolError)?.kind == .leaseLost
        if leaseLost {
            log.notice("standing down: another attempt owns the job", metadata: ["code": "\(code)"])
            return .stoodDown
        }
        if signal.reason == .shutdown {
            if (try? store.release(claim)) == true {
                log.notice("released to the queue at shutdown; it resumes from its ledger")
                return .released
            }
            return .stoodDown
        }
        let cancelled = error is CancelledError || signal.reason == .cancelRequested
        if error is CIDLimitExceeded || error is NoSeedsFound {
            // Refused or nothing to trace: running it again gives the same answer, so there is
            // nothing to resume and its spool goes now (the catalog row keeps the code).
            for s in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: spoolPath(claim.id) + s) }
        }
        let finalCode = cancelled ? "CANCELLED" : code
        let finalMessage = cancelled ? "the job was cancelled" : message
        // On a full disk this may fail too; the error we report is the job's, not this one.
        let written = (try? store.finish(claim, JobOutcome(
            state: cancelled ? .cancelled : .failed, quality: cancelled ? nil : .failed,
            errorCode: finalCode, errorMessage: finalMessage,
            spoolFile: FileManager.default.fileExists(atPath: spoolPath(claim.id)) ? spoolPath(claim.id) : nil,
            bytes: JobFiles.bytes(spoolDir: spoolDir, id: claim.id)))) ?? false
        if !written && !(error is NoSeedsFound) {
            log.warning("the outcome could not be written (lease lost or catalog unwritable)")
        }
        log.log(level: cancelled ? min(failureLogLevel, .notice) : failureLogLevel,
                cancelled ? "job cancelled" : "job failed", metadata: ["code": "\(finalCode)", "error": "\(finalMessage)"])
        let underlying: Error = cancelled ? CancelledError() : error
        return .failed(JobFailure(jobId: claim.id, code: finalCode, message: finalMessage, underlying: underlying))
    }
}

/// A job's files in the spool folder: `<id>.sqlite` (+ `-wal`, `-shm`, `-journal`) and
/// `<id>.request.sqlite`. Paths are built from validated ids only.
public enum JobFiles {
    static let suffixes = [".sqlite", ".sqlite-wal", ".sqlite-shm", ".sqlite-journal",
                           ".request.sqlite", ".request.sqlite-journal"]

    public static func remove(spoolDir: String, id: String) {
        guard JobId.isValid(id) else { return }
        for s in suffixes { try? FileManager.default.removeItem(atPath: "\(spoolDir)/\(id)\(s)") }
    }

    public static func bytes(spoolDir: String, id: String) -> Int {
        guard JobId.isValid(id) else { return 0 }
        return suffixes.reduce(0) { total, s in
            total + ((try? FileManager.default.attributesOfItem(atPath: "\(spoolDir)/\(id)\(s)")[.size] as? Int) ?? 0)
        }
    }

    /// Each job id with a file in the folder last changed before `cutoff` — read entry by entry
    /// (`readdir`), never the whole listing at once.
    public static func forEachJob(in spoolDir: String, olderThan cutoff: Date, _ body: (String) throws -> Void) throws {
        guard let dir = opendir(spoolDir) else { return }
        defer { closedir(dir) }
        var last = ""
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            // `<id>.sqlite` or `<id>.request.sqlite`; a job with both is seen twice, and the body
            // finds the second time that nothing is left.
            guard name.hasSuffix(".sqlite") else { continue }
            let id = String(name.prefix { $0 != "." })
            guard id != last, JobId.isValid(id) else { continue }
            var st = stat()
            guard stat("\(spoolDir)/\(name)", &st) == 0, Double(st.st_mtim.tv_sec) < cutoff.timeIntervalSince1970 else { continue }
            last = id
            try body(id)
        }
    }

    public static func exist(spoolDir: String, id: String) -> Bool {
        JobId.isValid(id) && suffixes.contains { FileManager.default.fileExists(atPath: "\(spoolDir)/\(id)\($0)") }
    }
}
