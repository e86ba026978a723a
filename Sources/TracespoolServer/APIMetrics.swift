import Foundation
import Hummingbird
import TracespoolJobs

/// Prometheus text for `/metrics`: jobs by state (from the catalog), HTTP requests by route and
/// status class, open streams. Labels are routes and states only — never a job id.
final class APIMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [String: Int] = [:]

    func count(route: String, status: Int) {
        let key = "route=\"\(route)\",status=\"\(status)\""
        lock.withLock { requests[key, default: 0] += 1 }
    }

    func render(_ s: APIServices) throws -> String {
        var out = "# HELP tracespool_jobs Jobs in the catalog by state.\n# TYPE tracespool_jobs gauge\n"
        for state in JobState.allCases {
            let n = try s.store.count(state: state)
            out += "tracespool_jobs{state=\"\(state.rawValue)\"} \(n)\n"
        }
        out += "# HELP tracespool_streams_open NDJSON and CSV streams open now.\n# TYPE tracespool_streams_open gauge\n"
        out += "tracespool_streams_open \(s.streams.current)\n"
        out += "# HELP tracespool_http_requests_total HTTP requests by route and status.\n# TYPE tracespool_http_requests_total counter\n"
        for (k, v) in lock.withLock({ requests }).sorted(by: { $0.key < $1.key }) {
            out += "tracespool_http_requests_total{\(k)} \(v)\n"
        }
        return out
    }
}

/// Counts every answer by its route pattern (not its path: no job id becomes a label).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        let route = RouteTable.pattern(for: request.uri.path) ?? "unmatched"
        metrics.count(route: route, status: response.status.code)
        return response
    }
}
