import TracespoolSpool

/// One keyset page of one domain as a JSON array of row objects — the API's `rows` route — and
/// the cursor of the page after it (nil on the last page). The cursor is the export's (`--limit`,
/// `--cursor`), so a page of the API and a page of `tracespool export` are interchangeable. The
/// page is bounded by its limit; rows are written straight from SQLite's memory, as in exports.
///
/// The caller holds the page whole until it is rendered (`out`'s sink collects it), so a read
/// that fails part way (a damaged spool) throws before any byte of the page is sent: the rows
/// need not be counted first, which cost a second walk of the range.
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
        let keys = KeyTable(columns: d.columns)
        let json = JSONWriter(out)
        try out.byte(0x5B)
        let stream = try reader.rows(d, after: plan.start[0], high: plan.high[0], limit: limit, pageRows: limit)
        var rendered = 0
        while try stream.next() {
            if rendered > 0 { try out.byte(0x2C) }
            try keys.writeRow(stream.row, json)
            rendered += 1
        }
        try out.byte(0x5D)
        stream.close()
        // A full page may have been the last: look for one more row. A short page was the last.
        let more = rendered == limit ? try reader.hasRows(d, after: stream.position, high: plan.high[0]) : false
        return more ? plan.cursor(positions: [stream.position], emitted: rendered) : nil
    }
}
