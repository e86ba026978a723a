/// `quality_meta` of `trace-pipeline.md` §5.4, derived from the spool's `domains` statuses and its
/// batch ledger (never cached: always re-derived from the domain level).
public struct DomainQuality: Sendable, Equatable {
    public let domain: String
    /// The recorded status: complete / partial / failed, or pending while the job writes.
    public let recorded: String
    public let observedRows: Int
    public let failedRanges: [FailedRange]

    public init(domain: String, status: String, observedRows: Int, failedRanges: [FailedRange]) {
        self.domain = domain
        recorded = status
        self.observedRows = observedRows
        self.failedRanges = failedRanges
    }

    /// Status in the reference's vocabulary. A domain still being written reads as `partial`
    /// (reason `in_progress`): the export holds only the batches committed when it started.
    public var status: String {
        switch recorded {
        case "complete", "failed", "truncated": return recorded
        default: return "partial"
        }
    }

    public var inProgress: Bool { recorded == "pending" }

    public var reasons: [String] {
        var r: [String] = []
        switch recorded {
        case "complete": break
        case "failed": r.append("domain_fetch_failed")
        case "pending":
            r.append("in_progress")
            if !failedRanges.isEmpty { r.append("chunk_failure") }
        default: r.append("chunk_failure")
        }
        return r
    }

    func write(_ json: JSONWriter) throws {
        let out = json.out
        try out.literal("{\"status\":")
        try json.string(status)
        try out.literal(",\"scope\":\"domain\",\"reasons\":")
        try QueryQuality.writeList(reasons, json)
        try out.literal(",\"domain\":")
        try json.string(domain)
        try out.literal(",\"observed_rows\":")
        try out.integer(observedRows)
        if !failedRanges.isEmpty {
            try out.literal(",\"failed_ranges\":[")
            for (i, r) in failedRanges.enumerated() {
                try out.literal(i == 0 ? "{\"start\":" : ",{\"start\":")
                try json.string(r.start)
                try out.literal(",\"end\":")
                try json.string(r.end)
                try out.byte(0x7D)
            }
            try out.byte(0x5D)
            if status == "partial" { try out.literal(",\"has_partial_failure\":true") }
            try out.literal(",\"failed_chunk_count\":")
            try out.integer(failedRanges.count)
        }
        if inProgress { try out.literal(",\"in_progress\":true") }
        try out.byte(0x7D)
    }
}

/// The query-scope merge: worst status (complete < truncated < partial < failed), reasons unioned,
/// failed and truncated domains collected; any failed domain makes the query `partial` with reason
/// `domain_failure`.
public struct QueryQuality: Sendable, Equatable {
    public let status: String
    public let reasons: [String]
    public let failedDomains: [String]
    public let truncatedDomains: [String]
    public let partialDomains: [String]
    public let pendingDomains: [String]

    public init(_ domains: [DomainQuality]) {
        let rank = ["complete": 0, "truncated": 1, "partial": 2, "failed": 3]
        var worst = "complete"
        var reasons: [String] = []
        for d in domains {
            if rank[d.status, default: 2] > rank[worst, default: 0] { worst = d.status }
            for r in d.reasons where !reasons.contains(r) { reasons.append(r) }
        }
        failedDomains = domains.filter { $0.status == "failed" }.map(\.domain)
        truncatedDomains = domains.filter { $0.status == "truncated" }.map(\.domain)
        partialDomains = domains.filter { $0.status == "partial" && !$0.inProgress }.map(\.domain)
        pendingDomains = domains.filter(\.inProgress).map(\.domain)
        if !failedDomains.isEmpty {
            worst = "partial"
            reasons.append("domain_failure")
        }
        status = worst
        self.reasons = reasons
    }

    func write(_ json: JSONWriter) throws {
        let out = json.out
        try out.literal("{\"status\":")
        try json.string(status)
        try out.literal(",\"scope\":\"query\",\"reasons\":")
        try QueryQuality.writeList(reasons, json)
        if !failedDomains.isEmpty {
            try out.literal(",\"failed_domains\":")
            try QueryQuality.writeList(failedDomains, json)
        }
        if !truncatedDomains.isEmpty {
            try out.literal(",\"truncated_domains\":")
            try QueryQuality.writeList(truncatedDomains, json)
        }
        if !partialDomains.isEmpty || !failedDomains.isEmpty {
            try out.literal(",\"has_partial_failure\":true")
        }
        try out.byte(0x7D)
    }

    static func writeList(_ items: [String], _ json: JSONWriter) throws {
        try json.out.byte(0x5B)
        for (i, s) in items.enumerated() {
            if i > 0 { try json.out.byte(0x2C) }
            try json.string(s)
        }
        try json.out.byte(0x5D)
    }
}
