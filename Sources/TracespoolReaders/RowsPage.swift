import TracespoolSpool

/// One keyset page of one domain as a JSON array of row objects — the API's `rows` route — and
/// the cursor of the page after it (nil on the last page). The cursor is the export's (`--limit`,
/// `--cursor`), so a page of the API and a page of `tracespool export` are interchangeable. The
/// page is bounded by its limit; rows are written straight from SQLite's memory, as in exports.
public enum RowsPage {
    public static func render(_ reader: SpoolReader, domain: String, limit: Int, cursor: String?,
                              into out: OutputBuffer) throws -> String? {
        var options = ExportOptions()
        options.domains = [domain]
        options.limit = limit
        options.cursor = cursor
        options.batchSize = max(1, limit)
        let plan = try ExportPlan.make(reader: reader, options: options)
        let d = plan.domains[0]
        let expected = try reader.countRows(d, after: plan.start[0], high: plan.high[0], limit: limit)
        let keys = KeyTable(columns: d.columns)
        let json = JSONWriter(out)
        try out.byte(0x5B)
        let stream = try reader.rows(d, after: plan.start[0], high: plan.high[0], limit: expected)
        for j in 0..<expected {
            guard try stream.next() else {
                throw SpoolError(.corrupt, "\(reader.spool.path): domain \(d.name) ended after \(j) rows, \(expected) were counted")
            }
            if j > 0 { try out.byte(0x2C) }
            try keys.writeRow(stream.row, json)
        }
        try out.byte(0x5D)
        stream.close()
        let more = try reader.hasRows(d, after: stream.position, high: plan.high[0])
        return more ? plan.cursor(positions: [stream.position], emitted: expected) : nil
    }
}
