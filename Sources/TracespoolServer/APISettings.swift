import Foundation
import TracespoolJobs

/// What `tracespool serve` was told (README "HTTP API"): where it listens, how many workers run in
/// it, the token, and the caps.
public struct APISettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var workers = 1
    public var token: String?
    /// `TRACESPOOL_API_MAX_BODY_BYTES`: request bodies over this are 413 `PAYLOAD_TOO_LARGE`.
    public var maxBodyBytes = 8 << 20
    /// `TRACESPOOL_API_MAX_STREAMS`: concurrent NDJSON/CSV streams; beyond, 429.
    public var maxStreams = 16
    /// Query strings longer than this are 400 `INVALID_PARAMS`.
    public var maxQueryBytes = 8192
    /// `TRACESPOOL_API_GRACE_SECONDS`: how long a graceful shutdown lets open streams finish
    /// before they are cut (systemd's `TimeoutStopSec` must be above it).
    public var graceSeconds = 10
    /// `TRACESPOOL_API_REQUEST_TIMEOUT_SECONDS`: a connection that has not delivered a whole
    /// request this long after it opened (or after its last response) is closed.
    public var requestTimeoutSeconds = 30
    /// `TRACESPOOL_REFERENCE_WAIT_SECONDS`: how long the reference's "synchronous" seed-resolve
    /// waits for its job before it answers 202 with the job to poll.
    public var referenceWaitSeconds = 60.0
    /// `TRACESPOOL_SPOOL_SHARED=1`: the spool folder is storage every node mounts (README "Many
    /// hosts"), so this node reads other nodes' finished spools itself instead of proxying.
    public var sharedSpool = false
    public var spoolDir: String
    public var conninfo: String

    public init(spoolDir: String, conninfo: String) {
        self.spoolDir = spoolDir
        self.conninfo = conninfo
    }
}

/// What every route needs: the runner (its store and spool folder), the settings, the stream gate.
final class APIServices: Sendable {
    let runner: JobRunner
    let settings: APISettings
    let streams: StreamGate
    let lossReasons = LossReasonCache()
    /// Readers of finished spools kept between `rows` pages.
    let readers = SpoolReaderPool()

    init(runner: JobRunner, settings: APISettings) {
        self.runner = runner
        self.settings = settings
        streams = StreamGate(limit: settings.maxStreams)
    }

    var store: any JobStore { runner.store }

    /// The job of a path's `{id}`: validated before any lookup, never a path unchecked.
    func job(_ id: String?) throws -> JobRecord {
        guard let id, JobId.isValid(id) else {
            throw APIError("JOB_NOT_FOUND", "no job \(String((id ?? "").prefix(60)).debugDescription): job ids look like j20261203-061502-9c41e2")
        }
        guard let job = try store.get(id: id) else { throw APIError("JOB_NOT_FOUND", "no job \(id)") }
        if job.state == .expired {
            throw APIError("JOB_RESULT_EXPIRED", "job \(id)'s result expired (retention removed its spool)", extra: ["state": .string("expired")])
        }
        return job
    }

    /// A job whose spool can be read now: finished, or (`running: true`) running with committed rows.
    func readable(_ id: String?, allowRunning: Bool = false) throws -> (JobRecord, String) {
        var j = try job(id)
        let path = runner.spoolPath(j.id)
        // Another node's spool (README "Many hosts"): the proxy forwards reads there; reaching
        // this means it could not (a forwarded request is never forwarded again).
        if !spoolIsHere(j) { throw SpoolElsewhere(job: j).unavailable(here: runner.node.id) }
        // A job just claimed has no spool file for a moment: a follower waits for it (bounded)
        // instead of answering 409 for a job that is running.
        if allowRunning {
            for _ in 0..<200 where j.state == .running && !j.leaseExpired() && !FileManager.default.fileExists(atPath: path) {
                Thread.sleep(forTimeInterval: 0.05)
                j = try job(id)
            }
        }
        switch j.state {
        case .succeeded: break
        case .running where allowRunning && !j.leaseExpired() && FileManager.default.fileExists(atPath: path): break
        default:
            throw APIError("JOB_NOT_COMPLETE", "job \(j.id) is \(j.state.rawValue)" + (j.leaseExpired() ? " and its worker is gone" : ""),
                           extra: ["state": .string(j.state.rawValue)])
        }
        return (j, path)
    }
}
