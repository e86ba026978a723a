import TracespoolSpool

/// CSV (RFC 4180): one domain per file, a header row of the domain's columns, CRLF line ends,
/// UTF-8 (optionally after a BOM for Excel), NULL as an empty field, an empty string as `""`.
public struct CSVRenderer: ExportRenderer {
    public init() {}
    public var contentType: String { "text/csv; charset=utf-8" }

    public func render(_ plan: ExportPlan, into out: OutputBuffer, progress: (ExportProgress) -> Void) throws -> ExportSummary {
        guard plan.domains.count == 1, let d = plan.domains.first else {
            throw ReaderError(.badRequest, "CSV holds exactly one domain")
        }
        let reader = plan.reader
        let csv = CSVWriter(out, excelSafe: plan.options.excelSafe)
        if plan.options.bom { try out.literal("\u{FEFF}") }
        for (i, c) in d.columns.enumerated() {
            if i > 0 { try out.byte(0x2C) }
            try csv.text(c)
        }
        try out.literal("\r\n")
        try out.flush()

        let width = d.columns.count
        let stream = try reader.rows(d, after: plan.start[0], high: plan.high[0], limit: plan.options.limit)
        defer { stream.close() }
        var rows = 0
        while try stream.next() {
            let row = stream.row
            for c in 0..<width {
                if c > 0 { try out.byte(0x2C) }
                try csv.value(row, c + 1)
            }
            try out.literal("\r\n")
            rows += 1
            if rows % progressEvery == 0 { progress(ExportProgress(domain: d.name, rows: rows, cids: 0)) }
        }
        stream.close()
        var summary = ExportSummary()
        if plan.options.limit != nil, try reader.hasRows(d, after: stream.position, high: plan.high[0]) {
            summary.nextCursor = plan.cursor(positions: [stream.position], emitted: rows)
        } else if !plan.isPaged && rows != d.total {
            throw SpoolError(.corrupt, "\(reader.spool.path): domain \(d.name) streamed \(rows) rows but recorded \(d.total)")
        }
        summary.rows = rows
        summary.rowsByDomain[d.name] = rows
        progress(ExportProgress(domain: d.name, rows: rows, cids: 0))
        return summary
    }
}
