import Foundation
import TracespoolSpool

public enum ExportFormat: String, Sendable, CaseIterable {
    case ndjson, csv
}

public enum ExportLayout: String, Sendable, CaseIterable {
    /// The reference line protocol: domain by domain, rows in `records` chunks.
    case records
    /// One line per CID carrying all its domains.
    case cid
}

/// What to export and how. Everything is validated by `ExportPlan.make`.
public struct ExportOptions: Sendable {
    public var format: ExportFormat = .ndjson
    public var layout: ExportLayout = .records
    /// Domains to export, in the job's order; empty means every domain of the job.
    public var domains: [String] = []
    /// Continue a paged export where the cursor says.
    public var cursor: String?
    /// One page: at most this many rows (records, CSV) or CIDs (CID layout); then `nextCursor`.
    public var limit: Int?
    /// Rows per NDJSON `records` line (`TRACE_STREAM_BATCH_SIZE`).
    public var batchSize = 5000
    /// CSV: start with a UTF-8 byte order mark (for Excel).
    public var bom = false
    /// CSV: neutralise text cells that a spreadsheet would evaluate as formulas.
    public var excelSafe = false
    /// The `query_id` / `trace_query_id` an NDJSON `meta` line names (the reference routes' own
    /// ids); nil names the spool's.
    public var queryId: String?
    public var traceQueryId: String?

    public init() {}

    /// `TRACE_STREAM_BATCH_SIZE` from the environment (default 5000).
    public static func batchSize(from environment: [String: String]) throws -> Int {
        guard let raw = environment["TRACE_STREAM_BATCH_SIZE"], !raw.isEmpty else { return 5000 }
        guard let n = Int(raw.trimmingCharacters(in: .whitespaces)), (1...1_000_000).contains(n) else {
            throw ReaderError(.badRequest, "TRACE_STREAM_BATCH_SIZE must be a whole number in 1…1000000, got \"\(raw)\"")
        }
        return n
    }
}

/// Reported while exporting (throttling is the caller's business).
public struct ExportProgress: Sendable {
    public let domain: String?
    public let rows: Int
    public let cids: Int
}

/// What an export wrote.
public struct ExportSummary: Sendable {
    public var rows = 0
    public var cids = 0
    public var rowsByDomain: [String: Int] = [:]
    /// Set when `limit` ended the page before the end of the data: pass it as the next `cursor`.
    public var nextCursor: String?
}

/// A validated export: the reader's snapshot, the domains in order, and where each starts and ends.
public struct ExportPlan {
    public let reader: SpoolReader
    public let options: ExportOptions
    public let domains: [DomainSnapshot]
    /// Per domain: seq after which to start, and the high-water mark to stop at.
    public let start: [Int64]
    public let high: [Int64]
    /// CID layout: the CID the previous page ended on.
    public let lastCID: [UInt8]?
    /// Rows or CIDs delivered by earlier pages.
    public let emittedBefore: Int

    public var cursorKind: ExportCursor.Kind { options.format == .ndjson && options.layout == .cid ? .cids : .rows }
    public var isPaged: Bool { options.cursor != nil || options.limit != nil }

    public static func make(reader: SpoolReader, options: ExportOptions) throws -> ExportPlan {
        if options.format == .csv && options.layout == .cid {
            throw ReaderError(.badRequest, "the CID layout is an NDJSON layout; CSV is one domain per file")
        }
        if let l = options.limit, l < 1 { throw ReaderError(.badRequest, "the page limit must be at least 1, got \(l)") }
        guard options.batchSize >= 1 else { throw ReaderError(.badRequest, "the records batch size must be at least 1") }
        let cursor = try options.cursor.map(ExportCursor.decode)
        let kind: ExportCursor.Kind = options.format == .ndjson && options.layout == .cid ? .cids : .rows

        // Domains: as asked, else the cursor's, else all of the job's — always in the job's order.
        var names = options.domains
        if names.isEmpty, let cursor { names = cursor.domains }
        var selected: [DomainSnapshot]
        if names.isEmpty {
            selected = reader.domains
        } else {
            var seen: Set<String> = []
            for n in names where !seen.insert(n).inserted {
                throw ReaderError(.badRequest, "domain \"\(n)\" is named twice")
            }
            let chosen = try names.map { try reader.domain(named: $0).name }
            selected = reader.domains.filter { chosen.contains($0.name) }
        }
        if options.format == .csv && selected.count != 1 {
            throw ReaderError(.badRequest,
                "CSV holds one domain per file and this export has \(selected.count) (\(selected.map(\.name).joined(separator: ", "))): choose one with --domain, or write one file per domain with -o FILE")
        }
        if kind == .rows && selected.count != 1 && (cursor != nil || options.limit != nil) {
            throw ReaderError(.badRequest,
                "a paged records export walks one domain: choose it with --domain (this export has \(selected.map(\.name).joined(separator: ", "))), or page every domain at once with --layout cid")
        }

        var start = selected.map { _ in Int64(0) }
        var high = selected.map(\.highWaterMark)
        var lastCID: [UInt8]?
        var emitted = 0
        if let cursor {
            let job = reader.jobId ?? ""
            guard cursor.jobId == job else {
                throw ReaderError(.foreignCursor,
                    "the cursor belongs to job \"\(cursor.jobId)\", this spool is job \"\(job)\"")
            }
            guard cursor.kind == kind else {
                throw ReaderError(.foreignCursor, cursor.kind == .cids
                    ? "the cursor pages the CID layout, this export pages rows (\(options.format.rawValue) \(options.layout.rawValue))"
                    : "the cursor pages rows, this export pages the CID layout")
            }
            guard cursor.domains == selected.map(\.name) else {
                throw ReaderError(.foreignCursor,
                    "the cursor walks \(cursor.domains.joined(separator: ", ")), this export walks \(selected.map(\.name).joined(separator: ", "))")
            }
            for (i, p) in cursor.positions.enumerated() {
                guard p.high <= selected[i].highWaterMark else {
                    throw ReaderError(.foreignCursor,
                        "the cursor reaches seq \(p.high) of \(p.domain) but this spool's \(p.domain) ends at \(selected[i].highWaterMark): it was made on another spool")
                }
                start[i] = p.after
                high[i] = p.high
            }
            if kind == .cids { lastCID = cursor.lastCID }
            emitted = cursor.emitted
        }
        return ExportPlan(reader: reader, options: options, domains: selected, start: start, high: high,
                          lastCID: lastCID, emittedBefore: emitted)
    }

    /// The cursor for the next page.
    func cursor(positions: [Int64], lastCID: [UInt8] = [], emitted: Int) -> String {
        ExportCursor(
            kind: cursorKind, jobId: reader.jobId ?? "",
            positions: domains.indices.map { ExportCursor.Position(domain: domains[$0].name, after: positions[$0], high: high[$0]) },
            lastCID: lastCID, emitted: emittedBefore + emitted
        ).encoded()
    }

    /// Quality of the exported domains.
    public var domainQuality: [DomainQuality] { domains.map(\.quality) }
}

/// An output format (Datasette-style renderers: one per format/layout, picked by name).
public protocol ExportRenderer {
    /// The media type the HTTP API will answer with.
    var contentType: String { get }
    func render(_ plan: ExportPlan, into out: OutputBuffer, progress: (ExportProgress) -> Void) throws -> ExportSummary
}

public enum Renderers {
    public static func renderer(for options: ExportOptions) -> ExportRenderer {
        switch (options.format, options.layout) {
        case (.ndjson, .records): return NDJSONRecordsRenderer()
        case (.ndjson, .cid): return NDJSONCIDRenderer()
        case (.csv, _): return CSVRenderer()
        }
    }

    /// Plans and renders in one call; flushes the buffer at the end.
    public static func export(_ reader: SpoolReader, _ options: ExportOptions, into out: OutputBuffer,
                              progress: (ExportProgress) -> Void = { _ in }) throws -> ExportSummary {
        let plan = try ExportPlan.make(reader: reader, options: options)
        let summary = try renderer(for: options).render(plan, into: out, progress: progress)
        try out.flush()
        return summary
    }
}

/// The `{"COLUMN":` keys of a domain's row objects, encoded once per export.
final class KeyTable {
    private let bytes: UnsafeMutablePointer<UInt8>
    private let offsets: UnsafeMutablePointer<Int>
    let count: Int

    init(columns: [String]) {
        var all: [UInt8] = []
        var offs: [Int] = [0]
        for (i, c) in columns.enumerated() {
            all += Array((i == 0 ? "{\"" : ",\"").utf8)
            for b in c.utf8 {
                if b == 0x22 || b == 0x5C { all.append(0x5C) }
                all.append(b)
            }
            all += Array("\":".utf8)
            offs.append(all.count)
        }
        count = columns.count
        bytes = .allocate(capacity: max(1, all.count))
        bytes.initialize(from: all, count: all.count)
        offsets = .allocate(capacity: offs.count)
        offsets.initialize(from: offs, count: offs.count)
    }

    deinit {
        bytes.deallocate()
        offsets.deallocate()
    }

    @inline(__always)
    func write(_ c: Int, _ out: OutputBuffer) throws {
        try out.bytes(bytes + offsets[c], offsets[c + 1] - offsets[c])
    }

    /// One row as a JSON object: column c of the domain is statement column c + 1.
    @inline(__always)
    func writeRow(_ row: SQLiteStatement, _ json: JSONWriter) throws {
        if count == 0 { try json.out.literal("{}"); return }
        for c in 0..<count {
            try write(c, json.out)
            try json.value(row, c + 1)
        }
        try json.out.byte(0x7D)
    }
}

/// How often renderers report progress.
let progressEvery = 8192
