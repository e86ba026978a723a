import TracespoolSpool

/// Genealogy status and per-domain quality, shared by both directions' summaries.
enum MSDQuality {
    /// `ready`, or `error` when the lineage stage recorded a failure (meta `lineage.status`).
    static func genealogyStatus(_ m: MSDSpool) throws -> String {
        let s = try m.spool.meta("lineage.status")?.lowercased()
        return s == "failed" || s == "error" ? "error" : "ready"
    }

    /// `domain_quality_meta`: per requested domain its status, observed rows and failed CID ranges.
    static func domainQuality(_ m: MSDSpool) throws -> JSON {
        let db = m.database
        var failed: [String: [JSON]] = [:]
        try db.each("SELECT domain, first_cid, last_cid, error_code FROM ledger WHERE state = 'failed' ORDER BY domain, batch") { s in
            failed[s.text(0) ?? "", default: []].append(.object([
                ("start", .optional(s.text(1))), ("end", .optional(s.text(2))), ("code", .optional(s.text(3))),
            ]))
        }
        var fields: [(String, JSON)] = []
        try db.each("SELECT domain, status, rows FROM domains ORDER BY position") { s in
            let d = s.text(0) ?? ""
            let ranges = failed[d] ?? []
            fields.append((d, .object([
                ("status", .string(s.text(1) ?? "pending")), ("scope", .string("domain")),
                ("reasons", .array(ranges.isEmpty ? [] : [.string("failed_batches")])),
                ("observed_rows", .int(s.count(2))), ("failed_ranges", .array(ranges)),
            ])))
        }
        return .object(fields)
    }

    /// Fields closing every summary: job, stations, detection order, filters, domain quality.
    static func trailer(_ v: MSDView) -> [(String, JSON)] {
        let m = v.m
        return [
            ("job_id", .optional(m.jobId)),
            ("mode", .string(m.mode)),
            ("stations", .array(m.stations.map(JSON.string))),
            ("date_range", .array([.optional(m.from), .optional(m.to)])),
            ("detection_station_order", m.detectionOrder.map { .int($0) } ?? .null),
            ("filters", v.filtersJSON),
            ("domain_quality_meta", (try? domainQuality(m)) ?? .object([])),
        ]
    }
}
