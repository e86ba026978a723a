import Foundation
import TracespoolSpool

/// The lines both NDJSON layouts share: `meta` first; `aggregation`, `warning`, `quality_meta`
/// and `complete` last (`trace-pipeline.md` §4.2).
struct NDJSONFrame {
    let plan: ExportPlan
    let json: JSONWriter
    var out: OutputBuffer { json.out }

    func meta(layout: ExportLayout) throws {
        let r = plan.reader
        try out.literal("{\"type\":\"meta\",\"job_id\":")
        try optional(r.jobId)
        try out.literal(",\"profile\":")
        try optional(r.profile)
        try out.literal(",\"domains\":")
        try QueryQuality.writeList(plan.domains.map(\.name), json)
        try out.literal(",\"query_id\":")
        try optional(plan.options.queryId ?? r.queryId)
        try out.literal(",\"trace_query_id\":")
        try optional(plan.options.traceQueryId ?? plan.options.queryId ?? r.queryId)
        if layout == .cid { try out.literal(",\"layout\":\"cid\"") }
        try out.literal("}\n")
        // The first line goes out at once: a consumer sees the stream start before any scan.
        try out.flush()
    }

    func optional(_ s: String?) throws {
        if let s { try json.string(s) } else { try out.literal("null") }
    }

    func trailer(rows: Int, cids: Int?, nextCursor: String?) throws {
        if let stored = plan.reader.aggregation {
            if let compact = AggregationJSON.compact(stored, traceQueryId: plan.options.traceQueryId) {
                try out.literal("{\"type\":\"aggregation\",\"data\":")
                try out.bytes(compact)
                try out.literal("}\n")
            } else {
                try out.literal("{\"type\":\"warning\",\"code\":\"AGGREGATION_UNREADABLE\",\"message\":\"the spool's stored MSD summary is not valid JSON\"}\n")
            }
        }
        let domainQuality = plan.domainQuality
        let query = QueryQuality(domainQuality)
        if !query.failedDomains.isEmpty || !query.partialDomains.isEmpty {
            try out.literal("{\"type\":\"warning\",\"code\":\"EVENTS_PARTIAL_FAILURE\",\"message\":\"one or more domains failed\",\"failed_domains\":")
            try QueryQuality.writeList(query.failedDomains, json)
            try out.literal(",\"partial_domains\":")
            try QueryQuality.writeList(query.partialDomains, json)
            try out.literal("}\n")
        }
        if !query.pendingDomains.isEmpty {
            try out.literal("{\"type\":\"warning\",\"code\":\"JOB_IN_PROGRESS\",\"message\":\"the job is still writing: this export holds the batches committed when it started\",\"pending_domains\":")
            try QueryQuality.writeList(query.pendingDomains, json)
            try out.literal("}\n")
        }
        try out.literal("{\"type\":\"quality_meta\",\"quality_meta\":")
        try query.write(json)
        try out.literal(",\"domain_quality_meta\":{")
        for (i, d) in domainQuality.enumerated() {
            if i > 0 { try out.byte(0x2C) }
            try json.string(d.domain)
            try out.byte(0x3A)
            try d.write(json)
        }
        try out.literal("}}\n{\"type\":\"complete\",\"total_records\":")
        try out.integer(rows)
        if let cids {
            try out.literal(",\"total_cids\":")
            try out.integer(cids)
        }
        if let nextCursor {
            try out.literal(",\"next_cursor\":")
            try json.string(nextCursor)
        }
        try out.literal("}\n")
    }
}

/// NDJSON, records layout — the reference protocol line for line: per domain `domain_start`
/// (total, quality_meta), `records` lines of up to `batchSize` rows with a 0-based `batch`, and
/// `domain_end` (count).
public struct NDJSONRecordsRenderer: ExportRenderer {
    public init() {}
    public var contentType: String { "application/x-ndjson" }

    public func render(_ plan: ExportPlan, into out: OutputBuffer, progress: (ExportProgress) -> Void) throws -> ExportSummary {
        let json = JSONWriter(out)
        let frame = NDJSONFrame(plan: plan, json: json)
        var summary = ExportSummary()
        var next: String?
        try frame.meta(layout: .records)
        for k in plan.domains.indices {
            let (emitted, cursor) = try Self.domainSection(plan, k, json: json, before: summary.rows, progress: progress)
            if cursor != nil { next = cursor }
            summary.rows += emitted
            summary.rowsByDomain[plan.domains[k].name] = emitted
        }
        summary.nextCursor = next
        try frame.trailer(rows: summary.rows, cids: nil, nextCursor: next)
        return summary
    }

    /// One domain's lines: `domain_start`, its `records` lines, `domain_end`. Returns the rows it
    /// wrote and, for a page that stops inside the domain, the next cursor.
    static func domainSection(_ plan: ExportPlan, _ k: Int, json: JSONWriter, before: Int,
                              progress: (ExportProgress) -> Void) throws -> (Int, String?) {
        let out = json.out
        let reader = plan.reader
        let batchSize = plan.options.batchSize
        let d = plan.domains[k]
        try out.literal("{\"type\":\"domain_start\",\"domain\":")
        try json.string(d.name)
        try out.literal(",\"total\":")
        try out.integer(d.total)
        try out.literal(",\"quality_meta\":")
        try d.quality.write(json)
        try out.literal("}\n")

        // Rows this output carries: a `records` line states its count before its rows.
        let expected: Int
        if plan.isPaged {
            expected = try reader.countRows(d, after: plan.start[k], high: plan.high[k], limit: plan.options.limit ?? Int.max)
        } else {
            expected = d.total
        }
        let keys = KeyTable(columns: d.columns)
        let stream = try reader.rows(d, after: plan.start[k], high: plan.high[k], limit: expected)
        var emitted = 0
        var batch = 0
        while emitted < expected {
            let n = min(batchSize, expected - emitted)
            try recordsLine(d, keys, stream, rows: n, batch: batch, json: json, path: reader.spool.path) { j in
                if (emitted + j) % progressEvery == 0 {
                    progress(ExportProgress(domain: d.name, rows: before + emitted + j, cids: 0))
                }
            }
            emitted += n
            batch += 1
        }
        stream.close()
        var next: String?
        let more = try reader.hasRows(d, after: stream.position, high: plan.high[k])
        if more && !plan.isPaged {
            throw SpoolError(.corrupt, "\(reader.spool.path): domain \(d.name) holds more rows than the \(d.total) it recorded")
        }
        if more && plan.options.limit != nil {
            next = plan.cursor(positions: [stream.position], emitted: emitted)
        }
        try domainEnd(d.name, count: emitted, json: json)
        progress(ExportProgress(domain: d.name, rows: before + emitted, cids: 0))
        return (emitted, next)
    }

    /// One `records` line of the next `rows` rows of `stream`; `row(j)` after the j-th (from 1).
    ///
    /// A read that fails inside the line (a damaged spool found at the next row) happens between
    /// two rows, so the line is closed there as valid JSON — `"truncated":true` after the rows it
    /// holds — before the error goes up: whatever follows (the HTTP stream's `error` line) starts on
    /// a line of its own, and every line a client got parses. Records lines are megabytes long, so
    /// closing them beats holding back whole lines to cut at a newline (README "HTTP API").
    static func recordsLine(_ d: DomainSnapshot, _ keys: KeyTable, _ stream: RowStream, rows n: Int, batch: Int,
                            json: JSONWriter, path: String, row: (Int) -> Void = { _ in }) throws {
        let out = json.out
        try out.literal("{\"type\":\"records\",\"domain\":")
        try json.string(d.name)
        try out.literal(",\"batch\":")
        try out.integer(batch)
        try out.literal(",\"count\":")
        try out.integer(n)
        try out.literal(",\"data\":[")
        for j in 0..<n {
            let more: Bool
            do {
                more = try stream.next()
                guard more else {
                    throw SpoolError(.corrupt, "\(path): domain \(d.name) ended \(j) rows into a records line of \(n) counted rows")
                }
            } catch {
                try? out.literal("],\"truncated\":true}\n")
                throw error
            }
            if j > 0 { try out.byte(0x2C) }
            try keys.writeRow(stream.row, json)
            row(j + 1)
        }
        try out.literal("]}\n")
    }

    static func domainEnd(_ name: String, count: Int, json: JSONWriter) throws {
        try json.out.literal("{\"type\":\"domain_end\",\"domain\":")
        try json.string(name)
        try json.out.literal(",\"count\":")
        try json.out.integer(count)
        try json.out.literal("}\n")
    }
}

/// Where a running job stands in one domain, for a stream that follows it.
public enum DomainProgress: Sendable {
    /// The events stage recorded the domain's status: its rows are final.
    case finished
    /// Still being written; rows with `seq` up to `committedThrough` are final (the batches before
    /// the first pending one: `seq` is `batch << 32 + position`, so those rows lie below it).
    case writing(committedThrough: Int64)
}

/// The records layout of a job that is still running, following it batch by batch: the meta
/// line at once; a domain the job has already finished is one section read in a snapshot taken
/// after it finished; the domain it is writing starts at once and gets each `records` line as soon
/// as the batches holding its rows are committed (`progress` says how far; `pause` waits between
/// looks), the rest when the domain is finished; the trailer once the job has ended.
///
/// The lines equal an export made after the job except the `domain_start` of a domain that was
/// still being written: its `total` is null then and its `quality_meta` says `pending` (both were
/// unknown when it went out; `domain_end.count` gives the count). `records` lines hold
/// `batchSize` rows each as always (a partial line waits for more rows or the domain's end), so a
/// client sees the same `batch` numbers either way.
public enum FollowingRecordsExport {
    public static func render(open: () throws -> SpoolReader, options: ExportOptions, into out: OutputBuffer,
                              progress: (String) throws -> DomainProgress, pause: () throws -> Void,
                              waitForJob: () throws -> Void) throws {
        let json = JSONWriter(out)
        let first = try ExportPlan.make(reader: try open(), options: options)
        try NDJSONFrame(plan: first, json: json).meta(layout: .records)
        let names = first.domains.map(\.name)
        var rows = 0
        for name in names {
            var one = options
            one.domains = [name]
            if case .writing = try progress(name) {
                rows += try followDomain(name, open: open, options: one, json: json, progress: progress, pause: pause)
            } else {
                let plan = try ExportPlan.make(reader: try open(), options: one)
                let (emitted, _) = try NDJSONRecordsRenderer.domainSection(plan, 0, json: json, before: rows) { _ in }
                rows += emitted
            }
            try out.flush()
        }
        try waitForJob()
        var all = options
        all.domains = names
        let last = try ExportPlan.make(reader: try open(), options: all)
        try NDJSONFrame(plan: last, json: json).trailer(rows: rows, cids: nil, nextCursor: nil)
    }

    /// One domain the job is writing: `domain_start` now, full `records` lines as batches commit,
    /// the last lines and `domain_end` from a snapshot taken once the domain is finished.
    static func followDomain(_ name: String, open: () throws -> SpoolReader, options: ExportOptions, json: JSONWriter,
                             progress: (String) throws -> DomainProgress, pause: () throws -> Void) throws -> Int {
        let out = json.out
        let live = try open()
        let d = try live.domain(named: name)
        try out.literal("{\"type\":\"domain_start\",\"domain\":")
        try json.string(name)
        try out.literal(",\"total\":null,\"quality_meta\":")
        try d.quality.write(json)
        try out.literal("}\n")
        try out.flush()
        let keys = KeyTable(columns: d.columns)
        let size = options.batchSize
        var position: Int64 = 0, emitted = 0, batch = 0
        /// Writes the rows in (position, high] as `records` lines; only whole lines unless `all`.
        func lines(_ reader: SpoolReader, _ d: DomainSnapshot, through high: Int64, all: Bool) throws {
            let available = try reader.countRows(d, after: position, high: high, limit: Int.max)
            let take = all ? available : available / size * size
            guard take > 0 else { return }
            let stream = try reader.rows(d, after: position, high: high, limit: take)
            defer { stream.close() }
            var done = 0
            while done < take {
                let n = min(size, take - done)
                try NDJSONRecordsRenderer.recordsLine(d, keys, stream, rows: n, batch: batch, json: json, path: reader.spool.path)
                done += n
                batch += 1
            }
            position = stream.position
            emitted += take
        }
        while case .writing(let committed) = try progress(name) {
            try lines(live, d, through: committed, all: false)
            try out.flush()
            try pause()
        }
        let plan = try ExportPlan.make(reader: try open(), options: options)
        let final = plan.domains[0]
        try lines(plan.reader, final, through: plan.high[0], all: true)
        // A batch rewritten below what was already streamed (a takeover that redid it) would make
        // these lines differ from the spool: the stream says so instead of ending as if complete.
        guard emitted == final.total else {
            throw SpoolError(.corrupt, "\(plan.reader.spool.path): domain \(name) changed under a following stream "
                + "(\(emitted) rows streamed, \(final.total) in the spool): read the job again")
        }
        try NDJSONRecordsRenderer.domainEnd(name, count: emitted, json: json)
        return emitted
    }
}

/// NDJSON, CID layout — one line per CID between the same `meta` and trailer lines:
/// `{"type":"cid","cid":…,"name":…,"domains":{d:[rows]}}`. `name` is CONTAINERNAME from the CID's
/// first row that has one, else null. Every exported domain appears (an empty list when the CID
/// has no rows there). Rows stream from SQLite into the line: not even one CID is held in memory.
public struct NDJSONCIDRenderer: ExportRenderer {
    public init() {}
    public var contentType: String { "application/x-ndjson" }

    public func render(_ plan: ExportPlan, into out: OutputBuffer, progress: (ExportProgress) -> Void) throws -> ExportSummary {
        let json = JSONWriter(out)
        let frame = NDJSONFrame(plan: plan, json: json)
        var summary = ExportSummary()
        try frame.meta(layout: .cid)
        let reader = plan.reader
        let streams = try plan.domains.indices.map {
            try reader.rows(plan.domains[$0], after: plan.start[$0], high: plan.high[$0])
        }
        let group = CIDGroupStream(streams: streams, lastCID: plan.lastCID)
        defer { group.close() }
        let keys = plan.domains.map { KeyTable(columns: $0.columns) }
        // `"history":[`, `],"materials":[` …, encoded once.
        let openers: [[UInt8]] = plan.domains.enumerated().map { i, d in
            Array(((i == 0 ? "" : "],") + "\"" + d.name + "\":[").utf8)
        }
        var counts = Array(repeating: 0, count: plan.domains.count)
        let limit = plan.options.limit ?? Int.max
        var cids = 0
        while cids < limit, try group.nextCID() {
            try out.literal("{\"type\":\"cid\",\"cid\":")
            try json.string(group.currentCIDBytes)
            try out.literal(",\"name\":")
            var named = false
            for i in plan.domains.indices {
                guard let c = plan.domains[i].nameColumn, let head = try group.head(i), head.type(c + 1) != .null else { continue }
                try json.value(head, c + 1)
                named = true
                break
            }
            if !named { try out.literal("null") }
            try out.literal(",\"domains\":{")
            for i in plan.domains.indices {
                try out.bytes(openers[i])
                var n = 0
                while try group.nextRow(i) {
                    if n > 0 { try out.byte(0x2C) }
                    try keys[i].writeRow(streams[i].row, json)
                    n += 1
                }
                counts[i] += n
            }
            try out.literal("]}}\n")
            cids += 1
            if cids % 1024 == 0 { progress(ExportProgress(domain: nil, rows: counts.reduce(0, +), cids: cids)) }
        }
        try group.finishCurrent()
        group.close()
        var next: String?
        let positions = group.positions
        if plan.options.limit != nil {
            var more = false
            for i in plan.domains.indices where try reader.hasRows(plan.domains[i], after: positions[i], high: plan.high[i]) {
                more = true
            }
            if more { next = plan.cursor(positions: positions, lastCID: group.currentCID, emitted: cids) }
        } else if plan.options.cursor == nil {
            for (i, d) in plan.domains.enumerated() where counts[i] != d.total {
                throw SpoolError(.corrupt, "\(reader.spool.path): domain \(d.name) streamed \(counts[i]) rows but recorded \(d.total)")
            }
        }
        summary.rows = counts.reduce(0, +)
        summary.cids = cids
        for (i, d) in plan.domains.enumerated() { summary.rowsByDomain[d.name] = counts[i] }
        summary.nextCursor = next
        progress(ExportProgress(domain: nil, rows: summary.rows, cids: cids))
        try frame.trailer(rows: summary.rows, cids: cids, nextCursor: next)
        return summary
    }
}

/// The stored MSD summary, checked and put on one line: whitespace outside strings is dropped
/// (JSON strings cannot hold a raw newline, so the result is one NDJSON line); nil if not JSON.
public enum AggregationJSON {
    /// The stored summary on one line; with `traceQueryId`, an object that names no
    /// `trace_query_id` gets it as its first field — the reference's summary object carries its
    /// `msd-…` id (README "Reference routes"), which our spool knows only as the job's alias.
    public static func compact(_ text: String, traceQueryId: String? = nil) -> [UInt8]? {
        let data = Data(text.utf8)
        guard let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 64)
        var rest = data[...]
        if let id = traceQueryId, let object = parsed as? [String: Any], object["trace_query_id"] == nil,
           let brace = rest.firstIndex(of: 0x7B) {
            let quoted = (try? JSONSerialization.data(withJSONObject: id, options: [.fragmentsAllowed])) ?? Data("null".utf8)
            out += Array("{\"trace_query_id\":".utf8) + quoted + (object.isEmpty ? [] : [0x2C])
            rest = rest[(brace + 1)...]
        }
        var inString = false
        var escaped = false
        for b in rest {
            if inString {
                out.append(b)
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
            } else if b == 0x22 {
                inString = true
                out.append(b)
            } else if b != 0x20 && b != 0x09 && b != 0x0A && b != 0x0D {
                out.append(b)
            }
        }
        return out
    }
}
