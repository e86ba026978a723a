import TracespoolSpool

/// The JSON bodies of the reference dashboard's trace routes (README "Reference routes"), written
/// from a finished spool as they are read — a 100 000-seed list or a whole domain never sits in
/// memory. Each writes the `data` object only; the server wraps it in the envelope.
public enum ReferencePayloads {
    /// `POST /api/trace/seed-resolve`'s 200 body: `seeds` (objects) for query_tool* and MSD
    /// container mode, `seed_container_ids` for MSD, `not_found` when some values found nothing.
    public static func seeds(_ spool: Spool, msd: Bool, withObjects: Bool, cacheKey: String, notFound: [String],
                             into out: OutputBuffer) throws {
        let json = JSONWriter(out)
        let db = spool.database
        try out.literal("{\"stage\":\"seed-resolve\",\"seed_count\":")
        try out.integer(Int64(try db.scalarInt("SELECT count(*) FROM seeds") ?? 0))
        try out.literal(",\"cache_key\":")
        try json.string(cacheKey)
        if withObjects {
            try out.literal(",\"seeds\":[")
            let s = try db.prepare("SELECT CID, coalesce(NAME, CID), coalesce(LOT_ID, NAME, CID) FROM seeds ORDER BY CID")
            var first = true
            while try s.step() {
                try out.literal(first ? "{\"container_id\":" : ",{\"container_id\":")
                first = false
                try json.value(s, 0)
                try out.literal(",\"container_name\":")
                try json.value(s, 1)
                try out.literal(",\"lot_id\":")
                try json.value(s, 2)
                try out.byte(0x7D)
            }
            try out.byte(0x5D)
        }
        if msd {
            try out.literal(",\"seed_container_ids\":")
            try LineageDocument.list(db, "SELECT CID FROM seeds ORDER BY CID", json)
        }
        if !notFound.isEmpty {
            try out.literal(",\"not_found\":")
            try QueryQuality.writeList(notFound, json)
        }
        try out.byte(0x7D)
    }

    /// The MSD lineage's compact form (`trace-pipeline.md` §3.3): counts, the query id and each
    /// seed's root name.
    public static func compactLineage(_ spool: Spool, queryId: String, into out: OutputBuffer) throws {
        let json = JSONWriter(out)
        let db = spool.database
        try out.literal("{\"stage\":\"lineage\",\"query_id\":")
        try json.string(queryId)
        try out.literal(",\"trace_lineage_query_id\":")
        try json.string(queryId)
        try out.literal(",\"total_nodes\":")
        try out.integer(Int64(try db.scalarInt("SELECT count(*) FROM lineage_nodes") ?? 0))
        try out.literal(",\"total_ancestor_count\":")
        try out.integer(Int64(try db.scalarInt(
            "SELECT count(*) FROM lineage_nodes n WHERE NOT EXISTS (SELECT 1 FROM seeds s WHERE s.CID = n.CID)") ?? 0))
        let roots = try db.prepare("SELECT SEED_ID, ROOT_NAME FROM lineage_seed_roots WHERE ROOT_NAME IS NOT NULL ORDER BY SEED_ID")
        var first = true
        while try roots.step() {
            try out.literal(first ? ",\"seed_roots\":{" : ",")
            first = false
            try json.value(roots, 0)
            try out.byte(0x3A)
            try json.value(roots, 1)
        }
        if !first { try out.byte(0x7D) }
        try out.byte(0x7D)
    }

    /// `GET /api/trace/job/{id}/result`: per domain `{data, count, total, quality_meta}` from row
    /// `offset` on (`limit` 0 = every row), then the aggregation, quality and query ids.
    public static func eventsResult(_ reader: SpoolReader, domain: String?, offset: Int, limit: Int, queryId: String?,
                                    traceQueryId: String?, into out: OutputBuffer) throws {
        let json = JSONWriter(out)
        let domains = try domain.map { [try reader.domain(named: $0)] } ?? reader.domains
        try out.literal("{\"stage\":\"events\",\"results\":{")
        for (i, d) in domains.enumerated() {
            if i > 0 { try out.byte(0x2C) }
            try json.string(d.name)
            try out.literal(":{\"data\":[")
            let after = try seq(reader, d, atOffset: offset)
            let keys = KeyTable(columns: d.columns)
            let stream = try reader.rows(d, after: after, limit: limit > 0 ? limit : nil)
            var count = 0
            while try stream.next() {
                if count > 0 { try out.byte(0x2C) }
                try keys.writeRow(stream.row, json)
                count += 1
            }
            stream.close()
            try out.literal("],\"count\":")
            try out.integer(count)
            try out.literal(",\"total\":")
            try out.integer(d.total)
            try out.literal(",\"quality_meta\":")
            try d.quality.write(json)
            try out.byte(0x7D)
        }
        try out.literal("},\"aggregation\":")
        if let stored = reader.aggregation, let compact = AggregationJSON.compact(stored, traceQueryId: traceQueryId) { try out.bytes(compact) } else { try out.literal("null") }
        let quality = domains.map(\.quality)
        let query = QueryQuality(quality)
        try out.literal(",\"quality_meta\":")
        try query.write(json)
        try out.literal(",\"domain_quality_meta\":{")
        for (i, q) in quality.enumerated() {
            if i > 0 { try out.byte(0x2C) }
            try json.string(q.domain)
            try out.byte(0x3A)
            try q.write(json)
        }
        try out.literal("},\"query_id\":")
        if let queryId { try json.string(queryId) } else { try out.literal("null") }
        try out.literal(",\"trace_query_id\":")
        if let id = traceQueryId ?? queryId { try json.string(id) } else { try out.literal("null") }
        if !query.failedDomains.isEmpty || !query.partialDomains.isEmpty {
            try out.literal(",\"error\":\"one or more domains failed\",\"code\":\"EVENTS_PARTIAL_FAILURE\",\"failed_domains\":")
            try QueryQuality.writeList(query.failedDomains + query.partialDomains, json)
        }
        try out.byte(0x7D)
    }

    /// The seq after which row `offset` (0-based) of a finished domain starts, found from the
    /// ledger instead of an OFFSET scan: a done batch's rows hold seqs `batch << 32 + 1 …
    /// batch << 32 + rows` (`DomainTableWriter`), so the offset falls in the batch where the running
    /// sum of rows passes it. A few hundred ledger rows are read, never the rows skipped.
    static func seq(_ reader: SpoolReader, _ d: DomainSnapshot, atOffset offset: Int) throws -> Int64 {
        if offset <= 0 { return 0 }
        let s = try reader.spool.database.prepare("SELECT batch, rows FROM ledger WHERE domain = ?1 AND state = 'done' AND rows > 0 ORDER BY batch")
        s.bind(1, d.name)
        var before = 0
        while try s.step() {
            let batch = Int64(s.int(0) ?? 0), rows = s.int(1) ?? 0
            if offset < before + rows { return batch << 32 + Int64(offset - before) }
            before += rows
        }
        return d.highWaterMark
    }
}
