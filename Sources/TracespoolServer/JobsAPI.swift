import Foundation
import Hummingbird
import NIOCore
import TracespoolJobs

/// `/api/v1/jobs` and `/api/v1/jobs/{id}` (README "HTTP API"): submit, list, show, cancel, delete.
enum JobsAPI {
    static func register(_ router: Router<BasicRequestContext>, _ s: APIServices) {
        router.post("/api/v1/jobs") { request, context -> Response in
            var request = request
            let body = try await request.collectBody(upTo: s.settings.maxBodyBytes)
            let data = Data(body.readableBytesView)
            let (trace, new) = try JobSubmission.parse(data)
            let submitted = try await SpoolWork.run { try s.runner.submit(trace, reuse: !new) }
            let state = try await SpoolWork.run { try s.store.get(id: submitted.id)?.state.rawValue ?? "queued" }
            return APIEnvelope.success([
                "job_id": submitted.id, "state": state, "reused": submitted.reused,
                "status_url": "/api/v1/jobs/\(submitted.id)", "stream_url": "/api/v1/jobs/\(submitted.id)/stream",
            ] as [String: Any], status: .accepted, headers: [.location: "/api/v1/jobs/\(submitted.id)"])
        }

        router.get("/api/v1/jobs") { request, context -> Response in
            let q = try Query(request, s)
            let state = try q.string("state").map { raw -> JobState in
                guard let st = JobState(rawValue: raw) else {
                    throw JobSubmission.invalid("state", "unknown state \"\(raw.prefix(40))\"; valid: \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return st
            }
            let limit = try q.int("limit", default: 100, range: 1...1000)
            let cursor = try q.string("cursor")
            if let c = cursor, !JobId.isValid(c) { throw JobSubmission.invalid("cursor", "cursor is not a job id from a next_cursor") }
            let jobs = try await SpoolWork.run { try s.store.list(state: state, limit: limit, after: cursor) }
            let next = jobs.count == limit ? jobs.last?.id : nil
            var nextURL: String?
            if let next {
                nextURL = "/api/v1/jobs?limit=\(limit)&cursor=\(next)" + (state.map { "&state=\($0.rawValue)" } ?? "")
            }
            return APIEnvelope.success([
                "jobs": jobs.map { JobDescription.summary($0).merging(["status_url": "/api/v1/jobs/\($0.id)"]) { a, _ in a } },
                "next_cursor": next as Any? ?? NSNull(), "next_url": nextURL as Any? ?? NSNull(),
            ] as [String: Any])
        }

        router.get("/api/v1/jobs/{id}") { request, context -> Response in
            _ = try Query(request, s)
            let id = context.parameters.get("id")
            let json = try await SpoolWork.run { () throws -> String in
                let job = try s.job(id)
                var o = JobDescription.detail(job, spoolDir: s.settings.spoolDir, spoolHere: s.spoolIsHere(job))
                let jid = job.id
                o["links"] = ["self": "/api/v1/jobs/\(jid)", "stream": "/api/v1/jobs/\(jid)/stream", "rows": "/api/v1/jobs/\(jid)/rows",
                              "csv": "/api/v1/jobs/\(jid)/export.csv", "lineage": "/api/v1/jobs/\(jid)/lineage",
                              "cancel": "/api/v1/jobs/\(jid)/cancel"]
                return APIEnvelope.serialise(o)
            }
            return APIEnvelope.success(dataJSON: json)
        }

        router.post("/api/v1/jobs/{id}/cancel") { request, context -> Response in
            let id = context.parameters.get("id")
            let (jid, answer) = try await SpoolWork.run { () throws -> (String, CancelAnswer) in
                let job = try s.job(id)
                return (job.id, try s.store.cancel(id: job.id))
            }
            // A job run by this process stops now, not at its next heartbeat.
            if answer == .requested { s.runner.stop(jid, .cancelRequested) }
            return APIEnvelope.success(["job_id": jid, "state": answer == .cancelled ? "cancelled" : "running",
                                        "cancel": answer == .cancelled ? "done" : "requested"] as [String: Any])
        }

        router.delete("/api/v1/jobs/{id}") { request, context -> Response in
            let id = context.parameters.get("id")
            let job = try await SpoolWork.run { try s.job(id) }
            if job.state == .queued || job.state == .running {
                if (try? s.store.cancel(id: job.id)) == .requested { s.runner.stop(job.id, .cancelRequested) }
                // Wait (bounded) for its worker to stop before its files go.
                for _ in 0..<200 {
                    let now = try await SpoolWork.run { try s.store.get(id: job.id) }
                    if now == nil || now!.state != .running || now!.leaseExpired() { break }
                    try await Task.sleep(nanoseconds: 50_000_000)
                }
            }
            try await SpoolWork.run {
                if let now = try s.store.get(id: job.id), now.state == .running, !now.leaseExpired() {
                    throw APIError("JOB_STATE_CONFLICT", "job \(job.id) is still running after its cancel; try again", extra: ["state": .string("running")])
                }
                s.readers.evict(path: s.runner.spoolPath(job.id))
                JobFiles.remove(spoolDir: s.settings.spoolDir, id: job.id)
                try s.store.delete(id: job.id)
            }
            return Response(status: .noContent)
        }
    }
}

/// A request's query string, with its cap, read by name with types and ranges.
struct Query {
    let request: Request

    init(_ request: Request, _ s: APIServices) throws {
        if (request.uri.query?.utf8.count ?? 0) > s.settings.maxQueryBytes {
            throw JobSubmission.invalid(nil, "the query string is longer than \(s.settings.maxQueryBytes) bytes")
        }
        self.request = request
    }

    func string(_ name: String) throws -> String? {
        let all = request.uri.queryParameters.getAll(name)
        if all.count > 1 { throw JobSubmission.invalid(name, "\(name) is given \(all.count) times") }
        return all.first.map { String($0) }
    }

    func int(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = try string(name) else { return value }
        guard let n = Int(raw), range.contains(n) else {
            throw JobSubmission.invalid(name, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    func bool(_ name: String, default value: Bool) throws -> Bool {
        guard let raw = try string(name) else { return value }
        switch raw {
        case "true", "1": return true
        case "false", "0": return false
        default: throw JobSubmission.invalid(name, "\(name) must be true or false")
        }
    }

    /// A comma-separated or repeated list.
    func list(_ name: String) -> [String] {
        request.uri.queryParameters.getAll(name).flatMap { $0.split(separator: ",").map(String.init) }
    }
}
