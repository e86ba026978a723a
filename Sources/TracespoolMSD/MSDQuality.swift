import TracespoolSpool

/// Genealogy status and per-domain quality, shared by both directions' summaries.
public enum MSDQuality {
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

    /// The job's quality over every stage, from the spool's ledger (the same rule `run` applies).
    static func jobQuality(_ m: MSDSpool) throws -> (StageQuality, [SpoolStageQuality]) {
        let stages = try m.spool.stageQualities()
        return (StageQuality.job(stages.map(\.quality)), stages)
    }

    /// `stage_quality`: per stage its status, batch count and failed CID ranges.
    static func stageQualityJSON(_ stages: [SpoolStageQuality]) -> JSON {
        .object(stages.map { st in
            (st.stage, .object([
                ("status", .string(st.quality.rawValue)), ("batches", .int(st.batches)),
                ("failed_ranges", .array(st.failedRanges.map { r in
                    .object([("start", .string(r.start)), ("end", .string(r.end)), ("code", .string(r.code))])
                })),
            ]))
        })
    }

    /// One line for people: `partial — detection: 1 of 3 batch(es) failed; …`, or nil when complete.
    public static func incompleteNote(_ m: MSDSpool) throws -> String? {
        let (q, stages) = try jobQuality(m)
        guard q != .complete else { return nil }
        return "\(q.rawValue) — " + stages.filter { $0.quality != .complete }
            .map { "\($0.stage): \($0.failedRanges.count) of \($0.batches) batch(es) failed" }.joined(separator: "; ")
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
        ] + ((try? jobQuality(m)).map { q, stages in
            [("quality", .string(q.rawValue)), ("stage_quality", stageQualityJSON(stages))]
        } ?? [("quality", .string("unknown"))])
    }
}
