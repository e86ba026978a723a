/// Every route of the API with its methods — the router is built from it, `405` answers with its
/// `Allow`, and a test checks it equals the paths of `openapi.yaml`. `{id}` is a path parameter.
public enum RouteTable {
    public static let routes: [(path: String, methods: [String])] = [
        ("/api/v1/jobs", ["GET", "POST"]),
        ("/api/v1/jobs/{id}", ["GET", "DELETE"]),
        ("/api/v1/jobs/{id}/cancel", ["POST"]),
        ("/api/v1/jobs/{id}/rows", ["GET"]),
        ("/api/v1/jobs/{id}/stream", ["GET"]),
        ("/api/v1/jobs/{id}/export.csv", ["GET"]),
        ("/api/v1/jobs/{id}/lineage", ["GET"]),
        ("/api/v1/jobs/{id}/msd/summary", ["GET"]),
        ("/api/v1/jobs/{id}/msd/detail", ["GET"]),
        ("/api/v1/jobs/{id}/msd/export.csv", ["GET"]),
        ("/api/v1/jobs/{id}/report.html", ["GET"]),
        ("/healthz", ["GET"]),
        ("/readyz", ["GET"]),
        ("/metrics", ["GET"]),
        ("/openapi.yaml", ["GET"]),
    ]

    /// The reference dashboard's routes (README "Reference routes"): kept to its contract, so they
    /// are not in `openapi.yaml`.
    public static let referenceRoutes: [(path: String, methods: [String])] = [
        ("/api/trace/seed-resolve", ["POST"]),
        ("/api/trace/seed/job/{id}", ["GET"]),
        ("/api/trace/seed/job/{id}/result", ["GET"]),
        ("/api/trace/lineage", ["POST"]),
        ("/api/trace/lineage/job/{id}", ["GET"]),
        ("/api/trace/lineage/job/{id}/result", ["GET"]),
        ("/api/trace/events", ["POST"]),
        ("/api/trace/job/{id}", ["GET"]),
        ("/api/trace/job/{id}/result", ["GET"]),
        ("/api/trace/job/{id}/stream", ["GET"]),
        ("/api/job/{id}/abandon", ["POST"]),
        ("/api/mid-section-defect/analysis", ["GET"]),
        ("/api/mid-section-defect/analysis/detail", ["GET"]),
        ("/api/mid-section-defect/export", ["GET"]),
        ("/api/mid-section-defect/station-options", ["GET"]),
        ("/api/mid-section-defect/loss-reasons", ["GET"]),
    ]

    /// The pattern of the route a path matches.
    static func pattern(for path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return (routes + referenceRoutes).first { r in
            let pattern = r.path.split(separator: "/", omittingEmptySubsequences: true)
            return pattern.count == parts.count && zip(pattern, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }?.path
    }

    /// The methods of the route a path matches (segment by segment, `{…}` matches any one), or nil.
    static func methods(for path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        for r in routes + referenceRoutes {
            let pattern = r.path.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == parts.count else { continue }
            if zip(pattern, parts).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { return r.methods }
        }
        return nil
    }
}
