import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TracespoolJobs
import TracespoolReaders
import TracespoolSpool

/// Our jobs as the reference's routes describe them (README "Reference routes"): its status names,
/// its status objects, its 409 with `meta.job_status`, and bodies streamed inside the envelope.
enum ReferenceJobs {
    /// Events jobs say `queued | started | finished | failed` (RQ's names, what the front end polls
    /// for); seed and lineage jobs `queued | running | completed | failed`. Cancelled and expired
    /// jobs read `failed` with the reason in `error`.
    static func statusName(_ j: JobRecord, events: Bool) -> String {
        switch j.state {
        case .queued: return "queued"
        case .running: return events ? "started" : "running"
        case .succeeded: return events ? "finished" : "completed"
        case .failed, .cancelled, .expired: return "failed"
        }
    }

    /// Stages in the order a job runs them; `completed_stages` are those its spool has timed.
    static let stageOrder = ["seeds", "detection", "lineage", "events", "resources", "aggregate"]

    static func status(_ s: APIServices, _ j: JobRecord, events: Bool) throws -> [String: Any] {
        let request = try? JSONDecoder().decode(TraceRequest.self, from: Data(j.requestJSON.utf8))
        var o: [String: Any] = ["job_id": j.id, "status": statusName(j, events: events), "profile": j.profile,
                                "created_at": epoch(j.createdAt) ?? 0, "elapsed_seconds": elapsed(j)]
        o["progress"] = progress(j, events: events)
        o["stage"] = j.stage ?? NSNull()
        // Always a number, as the reference's: 0 until the job reports progress.
        o["pct"] = j.state == .succeeded ? 100.0 : j.pct.map { ($0 * 10).rounded() / 10 } ?? 0.0
        o["error"] = error(j) ?? NSNull()
        o["owner"] = NSNull()
        o["completed_at"] = j.finishedAt.flatMap(epoch) ?? NSNull()
        o["completed_stages"] = try completedStages(s, j)
        if events {
            // The reference counted the client's list at submit; ours is known once lineage ran.
            // Until then: the CIDs the request names (query_tool*: the client's CIDs; MSD: its
            // seed CIDs, none in date mode before the seeds stage).
            o["cid_count"] = j.cidCount ?? request.map(listedCIDs) ?? 0
            o["domains"] = request?.domains ?? []
        }
        let aliases = try s.store.aliases(job: j.id)
        let queryId = aliases.first { $0.hasPrefix("trc-") || $0.hasPrefix("trace-lineage-") } ?? aliases.first { $0.hasPrefix("msd-") }
        o["query_id"] = queryId ?? NSNull()
        o["trace_query_id"] = aliases.first { $0.hasPrefix("msd-") } ?? queryId ?? NSNull()
        return o
    }

    static func listedCIDs(_ r: TraceRequest) -> Int {
        let stored = r.storedLists.map { $0.cids + $0.seedCIDs } ?? 0
        return max(stored, r.cids.count + r.seedCIDs.count)
    }

    static func progress(_ j: JobRecord, events: Bool) -> String {
        switch j.state {
        case .queued: return ""
        case .running:
            if j.stage == "aggregate" { return "building response" }
            return events ? "fetching events" : (j.progress ?? j.stage ?? "running")
        case .succeeded: return "complete"
        default: return j.state.rawValue
        }
    }

    static func error(_ j: JobRecord) -> String? {
        switch j.state {
        case .failed: return "\(j.errorCode ?? "FAILED"): \(j.errorMessage ?? "")"
        case .cancelled: return "cancelled"
        case .expired: return "the job's result expired"
        default: return nil
        }
    }

    static func completedStages(_ s: APIServices, _ j: JobRecord) throws -> [String] {
        let path = s.runner.spoolPath(j.id)
        guard j.state == .running || j.state == .succeeded, FileManager.default.fileExists(atPath: path),
              let spool = try? Spool.open(at: path, readOnly: true) else { return [] }
        return try stageOrder.filter { try spool.meta("timing.\($0)_seconds") != nil }
    }

    static func elapsed(_ j: JobRecord) -> Double {
        guard let start = epoch(j.createdAt) else { return 0 }
        let end = j.finishedAt.flatMap(epoch) ?? Date().timeIntervalSince1970
        return ((end - start) * 10).rounded() / 10
    }

    /// Unix seconds of a catalog time (`2026-11-26T16:01:35Z`).
    static func epoch(_ iso: String) -> Double? {
        let parts = iso.split(whereSeparator: { "-T:Z".contains($0) }).compactMap { Int32($0) }
        guard parts.count == 6 else { return nil }
        var t = tm()
        t.tm_year = parts[0] - 1900
        t.tm_mon = parts[1] - 1
        t.tm_mday = parts[2]
        t.tm_hour = parts[3]
        t.tm_min = parts[4]
        t.tm_sec = parts[5]
        return Double(timegm(&t))
    }

    /// The reference's 409 for a job whose result is not there yet (or never will be).
    static func notComplete(_ j: JobRecord, events: Bool) -> APIError {
        APIError("JOB_NOT_COMPLETE", "job \(j.id) is \(statusName(j, events: events))" + (error(j).map { ": \($0)" } ?? ""),
                 meta: ["job_status": .string(statusName(j, events: events))])
    }

    /// A job of `{id}` in a reference path: not found and expired as the reference answers them.
    static func job(_ s: APIServices, _ id: String?) throws -> JobRecord {
        do { return try s.job(id) } catch let e as APIError where e.code == "JOB_NOT_FOUND" {
            throw APIError("JOB_NOT_FOUND", "job not found or expired")
        }
    }

    /// Waits (bounded) for a job to leave queued/running: the "synchronous" seed-resolve.
    static func wait(_ s: APIServices, _ id: String, seconds: Double) async throws -> JobRecord? {
        let end = Date().addingTimeInterval(seconds)
        while true {
            guard let j = try await SpoolWork.run({ try s.store.get(id: id) }) else { return nil }
            if j.state != .queued && j.state != .running { return j }
            if Date() >= end { return j }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    /// A success envelope whose `data` is written as it is read from a spool, with backpressure
    /// and counted against the stream cap; `render` runs on the stream's own thread.
    static func streamed(_ s: APIServices, status: HTTPResponse.Status = .ok,
                         render: @escaping @Sendable (OutputBuffer) throws -> Void) throws -> Response {
        try s.streams.enter()
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        let body = StreamingBody.make(onEnd: { s.streams.leave() }, failureTail: { _ in nil }) { out, _ in
            try out.literal("{\"success\":true,\"data\":")
            try render(out)
            try Array(",\"meta\":\(APIEnvelope.meta())}".utf8).withUnsafeBytes { try out.bytes($0) }
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// The body of a POST, within the cap.
    static func body(_ request: Request, _ s: APIServices) async throws -> Data {
        var request = request
        let buffer = try await request.collectBody(upTo: s.settings.maxBodyBytes)
        return Data(buffer.readableBytesView)
    }
}
