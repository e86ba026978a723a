import Foundation
import Hummingbird
import Prometheus
import TracespoolJobs

/// `/metrics` on swift-prometheus (README "HTTP API"): jobs by state, spool bytes and takeovers
/// read from the catalog at each scrape; job durations, rows and batches spooled by domain and
/// outcome counted as this server's workers finish jobs; HTTP requests by route and status. Labels
/// are routes, states, domains and outcomes only — never a job id.
final class APIMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tracespool", metricName: metric, unitName: unit, helpText: help)
    }

    func count(route: String, status: Int) {
        registry.makeCounter(descriptor: Self.name("http_requests", "total", "HTTP requests by route and status."),
                             labels: [("route", route), ("status", String(status))]).increment()
    }

    /// A job a worker of this server finished.
    func jobFinished(_ execution: JobRunner.Execution, seconds: Double) {
        let outcome: String
        switch execution {
        case .finished(let r):
            outcome = r.quality == .complete ? "succeeded" : "partial"
            for d in r.domains {
                registry.makeCounter(descriptor: Self.name("rows_spooled", "total", "Rows spooled by domain and the domain's outcome."),
                                     labels: [("domain", d.domain), ("outcome", d.status)]).increment(by: Int64(d.rows))
            }
            for st in r.stages {
                registry.makeCounter(descriptor: Self.name("batches", "total", "Batches by stage and outcome."),
                                     labels: [("stage", st.stage), ("outcome", "done")]).increment(by: Int64(st.batches - st.failedRanges.count))
                if !st.failedRanges.isEmpty {
                    registry.makeCounter(descriptor: Self.name("batches", "total", "Batches by stage and outcome."),
                                         labels: [("stage", st.stage), ("outcome", "failed")]).increment(by: Int64(st.failedRanges.count))
                }
            }
        case .failed(let f): outcome = f.code == "CANCELLED" ? "cancelled" : "failed"
        case .stoodDown: outcome = "stood_down"
        case .released: outcome = "released"
        }
        let buckets: [Duration] = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600].map { .seconds($0) }
        registry.makeDurationHistogram(descriptor: Self.name("job_duration", "seconds", "Wall time of jobs run by this server's workers."),
                                       labels: [("outcome", outcome)], buckets: buckets)
            .record(.milliseconds(Int64(seconds * 1000)))
    }

    func render(_ s: APIServices) throws -> String {
        for state in JobState.allCases {
            registry.makeGauge(descriptor: Self.name("jobs", "count", "Jobs in the catalog by state."), labels: [("state", state.rawValue)])
                .set(Double(try s.store.count(state: state)))
        }
        let totals = try s.store.totals()
        registry.makeGauge(descriptor: Self.name("spool", "bytes", "Bytes of the spools of jobs not expired."))
            .set(Double(totals.bytes))
        registry.makeGauge(descriptor: Self.name("job_takeovers", "count", "Jobs run by more than one attempt (takeovers, resumes)."))
            .set(Double(totals.takeovers))
        registry.makeGauge(descriptor: Self.name("streams_open", "count", "NDJSON and CSV streams open now."))
            .set(Double(s.streams.current))
        return registry.emitToString()
    }
}

/// Counts every answer by its route pattern (not its path: no job id becomes a label).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        metrics.count(route: RouteTable.pattern(for: request.uri.path) ?? "unmatched", status: response.status.code)
        return response
    }
}
