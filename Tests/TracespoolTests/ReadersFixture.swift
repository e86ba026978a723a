import Foundation
import Testing
import TracespoolReaders
import TracespoolSpool

/// A spool built directly with the spool writer: crafted rows per CID, CIDs cut into batches like
/// the events stage does, chosen batches marked failed (no rows), domains finished or left pending.
struct CraftedSpool {
    let path: String
    let jobId: String
    let domains: [SpoolDomain]
    /// CIDs of kept batches, sorted.
    let cids: [String]
    /// Per domain, every kept row in grouped order (CID, then the order rowsFor gave).
    let rows: [String: [[String?]]]
    let rowsForCID: [String: [String: [[String?]]]]
}

enum ReadersFixture {
    static let jobId = "j20260101-000000-abcdef"

    static func make(at path: String, jobId: String? = ReadersFixture.jobId, domains: [String], cids: [String],
                     batchCIDs: Int = 3, failed: [String: Set<Int>] = [:], finish: Bool = true,
                     meta: [String: String] = [:],
                     rowsFor: (SpoolDomain, String) -> [[String?]]) throws -> CraftedSpool {
        let ds = domains.map { SpoolDomain.named($0)! }
        let sorted = cids.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let spool = try Spool.create(at: path, domains: ds)
        try spool.database.transaction {
            if let jobId { try spool.setMeta("job_id", jobId) }
            try spool.setMeta("profile", "query_tool")
            try spool.setMeta("domains", domains.joined(separator: ","))
            for (k, v) in meta { try spool.setMeta(k, v) }
        }
        try spool.storeTraceCIDs { add in for c in sorted { try add(c) } }
        let batches = stride(from: 0, to: sorted.count, by: batchCIDs).map { Array(sorted[$0..<min($0 + batchCIDs, sorted.count)]) }
        var kept: [String: [[String?]]] = [:]
        var byCID: [String: [String: [[String?]]]] = [:]
        var keptCIDs = Set<String>()
        for d in ds {
            try spool.planBatches(domain: d.name, batches: batches.map { ($0.first!, $0.last!, $0.count) })
            let writer = try DomainTableWriter(spool: spool, domain: d)
            kept[d.name] = []
            byCID[d.name] = [:]
            for (b, batch) in batches.enumerated() {
                if failed[d.name]?.contains(b) == true {
                    try spool.database.transaction {
                        try spool.markBatchFailed(domain: d.name, batch: b, attempts: 3, code: "SOURCE_TIMEOUT", message: "crafted failure")
                    }
                    continue
                }
                var rows: [[String?]] = []
                for cid in batch {
                    let r = rowsFor(d, cid)
                    byCID[d.name]![cid] = r
                    rows += r
                    keptCIDs.insert(cid)
                }
                try write(rows, of: d, batch: b, spool: spool, writer: writer)
                kept[d.name]! += rows
            }
            if finish {
                let f = failed[d.name]?.count ?? 0
                try spool.finishDomain(d, status: f == 0 ? "complete" : (f == batches.count ? "failed" : "partial"))
            }
        }
        if finish {
            try spool.setMeta("finished_at", "2026-01-01T00:00:00Z")
            try spool.checkpoint()
        }
        return CraftedSpool(path: path, jobId: jobId ?? "", domains: ds, cids: sorted.filter(keptCIDs.contains),
                            rows: kept, rowsForCID: byCID)
    }

    /// One batch in one transaction with its ledger row, as the events stage commits it.
    static func write(_ rows: [[String?]], of d: SpoolDomain, batch: Int, spool: Spool, writer: DomainTableWriter) throws {
        let block = RowBlock(columnCount: d.columns.count, capacity: max(1, rows.count))
        for r in rows { append(r.map { $0.map { Array($0.utf8) } }, to: block) }
        try spool.database.transaction {
            try writer.write(block, batch: batch)
            try spool.markBatchDone(domain: d.name, batch: batch, rows: rows.count, attempts: 1, seconds: 0.01)
        }
    }

    static func append(_ row: [[UInt8]?], to block: RowBlock) {
        let n = row.count
        let fields = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: n)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: n)
        var owned: [UnsafeMutableRawPointer] = []
        for (i, v) in row.enumerated() {
            if let v {
                let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, v.count), alignment: 1)
                v.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: v.count) } }
                owned.append(p)
                fields[i] = UnsafeRawPointer(p)
                lengths[i] = v.count
            } else {
                fields[i] = nil
                lengths[i] = -1
            }
        }
        block.append(fields: fields, lengths: lengths)
        owned.forEach { $0.deallocate() }
        fields.deallocate()
        lengths.deallocate()
    }

    /// A row of `d` with CONTAINERID = cid and every other column from `values` (cycled), keyed
    /// by column: numeric columns get `numbers`, timestamp columns a fixed time.
    static func row(_ d: SpoolDomain, cid: String, text: (Int) -> String?, number: String?, name: String?) -> [String?] {
        d.columns.enumerated().map { i, c in
            if c.name == "CONTAINERID" { return cid }
            if c.name == "CONTAINERNAME" { return name }
            switch c.type {
            case .numeric: return number
            case .timestamp: return "2026-02-01 08:00:0\(i % 10)"
            case .text: return text(i)
            }
        }
    }

    /// Values that break naive writers.
    static let tricky: [String?] = [
        "中文測試 批次 (未填寫)", "say \"hi\"", "a,b,c", "line1\nline2", "cr\r\nlf", "  leading", "trailing  ",
        "\ttab", "=SUM(A1:A2)", "+1", "-minus", "@at", "back\\slash", "\u{01}ctrl\u{1F}", "emoji 😀 ✓", "",
        nil, "plain", "'quoted'", "x\u{2028}y", String(repeating: "長", count: 3000),
    ]

    static let numbers: [String?] = ["12", "-3", "0.1", "12.50", "1e-7", "9007199254740991", "abc", nil, "0", "1.5e300", ""]

    // MARK: export helpers

    static func export(_ path: String, capacity: Int = OutputBuffer.defaultCapacity,
                       _ configure: (inout ExportOptions) -> Void = { _ in }) throws -> (text: String, summary: ExportSummary) {
        let reader = try SpoolReader(spool: try Spool.open(at: path))
        var o = ExportOptions()
        configure(&o)
        let sink = MemorySink()
        let summary = try Renderers.export(reader, o, into: OutputBuffer(sink: sink, capacity: capacity))
        return (String(decoding: sink.data, as: UTF8.self), summary)
    }

    /// NDJSON lines parsed by Foundation's JSON parser (not the code under test).
    static func lines(_ text: String) throws -> [[String: Any]] {
        #expect(text.hasSuffix("\n"), "every NDJSON line ends with a newline")
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(o as? [String: Any], "not an object: \(line.prefix(200))")
        }
    }

    /// The JSON value a spooled input should come back as: numbers for what NUMERIC affinity made
    /// numbers, strings for text, null for NULL.
    static func matches(_ got: Any?, _ input: String?, _ type: SpoolDomain.ColumnType) -> Bool {
        guard let input else { return got is NSNull }
        if type == .numeric, let n = numeric(input) {
            guard let v = got as? NSNumber, !(got is String) else { return false }
            return v.doubleValue == n
        }
        return (got as? String) == input
    }

    static func numeric(_ s: String) -> Double? {
        guard !s.isEmpty, s.allSatisfy({ "0123456789.eE+-".contains($0) }), let d = Double(s) else { return nil }
        return d
    }

    static func rowMatches(_ got: [String: Any], _ row: [String?], _ d: SpoolDomain) -> Bool {
        guard got.count == d.columns.count else { return false }
        for (i, c) in d.columns.enumerated() where !matches(got[c.name], row[i], c.type) { return false }
        return true
    }

    /// CSV fields an input should come back as: NULL and "" both read as an empty field; numbers
    /// compared by value.
    static func csvMatches(_ got: String, _ input: String?, _ type: SpoolDomain.ColumnType) -> Bool {
        guard let input else { return got == "" }
        if type == .numeric, let n = numeric(input) { return Double(got) == n }
        return got == input
    }
}
