import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import TracespoolJobs

/// Reads of a job whose spool is on another node (README "Many hosts"): a job's spool stays on the
/// host whose worker wrote it, and the store records that node and its API address. A read route
/// of such a job is forwarded there and the answer streamed back as it comes — the client's
/// backpressure reaches the owner through this node, nothing is buffered whole. When the owner
/// does not answer: 503 `SPOOL_UNAVAILABLE` with `Retry-After`; a job's status is then answered
/// from the store here, without its spool's details.
///
/// One hop only: a forwarded request carries `X-Tracespool-Proxied-By`, and a node receiving one
/// answers from what it holds, so two nodes that disagree about an owner cannot bounce a request.
struct SpoolProxyMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let services: APIServices
    let client: HTTPClient

    static let hopHeader = HTTPField.Name("X-Tracespool-Proxied-By")!
    /// How long the owner may take to start answering before it counts as down.
    static let connectTimeout: TimeAmount = .seconds(3)
    static let retryAfter = "5"

    /// The routes that read a job's spool, by pattern; `true`: answered here from the store when
    /// the owner is down (a status), `false`: 503.
    static let readRoutes: [String: Bool] = [
        "/api/v1/jobs/{id}": true,
        "/api/v1/jobs/{id}/rows": false, "/api/v1/jobs/{id}/stream": false, "/api/v1/jobs/{id}/export.csv": false,
        "/api/v1/jobs/{id}/lineage": false, "/api/v1/jobs/{id}/msd/summary": false, "/api/v1/jobs/{id}/msd/detail": false,
        "/api/v1/jobs/{id}/msd/export.csv": false, "/api/v1/jobs/{id}/report.html": false,
        "/api/trace/job/{id}": true, "/api/trace/seed/job/{id}": true, "/api/trace/lineage/job/{id}": true,
        "/api/trace/job/{id}/result": false, "/api/trace/job/{id}/stream": false,
        "/api/trace/seed/job/{id}/result": false, "/api/trace/lineage/job/{id}/result": false,
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let forwardable = request.method == .get && services.store.isShared && request.headers[Self.hopHeader] == nil
        if forwardable, let pattern = RouteTable.pattern(for: request.uri.path), let statusRoute = Self.readRoutes[pattern],
           let id = Self.idSegment(request.uri.path, pattern) {
            let s = services
            if let job = try await SpoolWork.run({ try s.jobForProxy(id) }), !s.spoolIsHere(job) {
                do {
                    return try await forward(request, to: job)
                } catch let e as APIError where statusRoute && e.code == "SPOOL_UNAVAILABLE" {
                    return try await next(request, context)
                }
            }
        }
        // Routes that find their job from the query string (the reference's MSD analysis, detail
        // and export) learn whose spool it is only while they run: they throw `SpoolElsewhere`.
        do {
            return try await next(request, context)
        } catch let e as SpoolElsewhere {
            guard forwardable else { throw e.unavailable(here: services.runner.node.id) }
            return try await forward(request, to: e.job)
        }
    }

    static func idSegment(_ path: String, _ pattern: String) -> String? {
        let parts = path.split(separator: "/"), pat = pattern.split(separator: "/")
        guard let k = pat.firstIndex(of: "{id}"), k < parts.count else { return nil }
        return String(parts[k])
    }

    private func forward(_ request: Request, to job: JobRecord) async throws -> Response {
        let owner = job.node ?? "?"
        guard let base = job.nodeURL else {
            throw APIError("SPOOL_UNAVAILABLE", "job \(job.id)'s spool is on node \(owner), which has no API address (TRACESPOOL_NODE_URL)",
                           headers: [.retryAfter: Self.retryAfter])
        }
        var out = HTTPClientRequest(url: base + request.uri.string)
        out.method = .GET
        for field in request.headers where [.authorization, .accept, .range].contains(field.name) {
            out.headers.add(name: field.name.rawName, value: field.value)
        }
        out.headers.add(name: Self.hopHeader.rawName, value: services.runner.node.id)
        let answer: HTTPClientResponse
        do {
            // No deadline: AsyncHTTPClient's covers the whole exchange, body included, and a stream
            // of a large spool to a slow client may rightly take hours. A down owner is caught by
            // the connect timeout; the owner bounds its own side of a request.
            answer = try await client.execute(out, deadline: .distantFuture)
        } catch {
            throw APIError("SPOOL_UNAVAILABLE", "job \(job.id)'s spool is on node \(owner) (\(base)), which does not answer: \(error)",
                           headers: [.retryAfter: Self.retryAfter])
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            guard let field = HTTPField.Name(name), ![.connection, .transferEncoding, .contentLength].contains(field) else { continue }
            headers.append(HTTPField(name: field, value: value))
        }
        headers[Self.hopHeader] = owner
        let body = answer.body
        return Response(status: HTTPResponse.Status(code: Int(answer.status.code)), headers: headers,
                        body: ResponseBody { writer in
                            for try await chunk in body { try await writer.write(chunk) }
                            try await writer.finish(nil)
                        })
    }
}

/// Thrown by a route that found its job's spool on another node; `SpoolProxyMiddleware` forwards
/// the request there (or answers 503 `SPOOL_UNAVAILABLE` for a request already forwarded once).
struct SpoolElsewhere: Error {
    let job: JobRecord

    func unavailable(here: String) -> APIError {
        APIError("SPOOL_UNAVAILABLE", "job \(job.id)'s spool is on node \(job.node ?? "?"), not on this node \(here)",
                 headers: [.retryAfter: SpoolProxyMiddleware.retryAfter])
    }
}

extension APIServices {
    /// Throws `SpoolElsewhere` when another node holds `job`'s spool.
    func requireSpoolHere(_ job: JobRecord) throws {
        if !spoolIsHere(job) { throw SpoolElsewhere(job: job) }
    }

    /// The job of a read route's id (a job id, or a reference query id), or nil: the route itself
    /// then answers as it does for any unknown job.
    func jobForProxy(_ id: String) throws -> JobRecord? {
        if JobId.isValid(id) { return try store.get(id: id) }
        guard id.utf8.count <= 128, let real = try store.job(alias: id) else { return nil }
        return try store.get(id: real)
    }

    /// Whether this node reads the job's spool itself: a job never claimed has none; its owner
    /// does; with a spool folder every node mounts (`TRACESPOOL_SPOOL_SHARED`), any node reads a
    /// finished job's spool — a running one's is read only by its owner, whose WAL is on its host.
    func spoolIsHere(_ job: JobRecord) -> Bool {
        guard let node = job.node, node != runner.node.id else { return true }
        return settings.sharedSpool && job.state != .running && FileManager.default.fileExists(atPath: runner.spoolPath(job.id))
    }
}
