import TracespoolSpool

/// The lineage JSON of `trace-pipeline.md` §3.3 (backward or forward shape), streamed from the
/// spool's lineage tables: every map is one ordered query written as it is read, so a 100 000-node
/// genealogy never sits in memory.
public enum LineageDocument {
    public static func write(_ spool: Spool, into out: OutputBuffer) throws {
        guard let direction = try spool.meta("lineage.direction") else {
            throw ReaderError(.badRequest, "this spool has no lineage (it was run with explicit --cids)")
        }
        let json = JSONWriter(out)
        let db = spool.database
        try out.literal("{\"stage\":\"lineage\",\"direction\":")
        try json.string(direction)
        try out.literal(",\"roots\":")
        if direction == "backward" {
            // The reference's backward "roots" are the seeds.
            try list(db, "SELECT CID FROM seeds ORDER BY CID", json)
            try out.literal(",\"ancestors\":")
            try groupedMap(db, """
                SELECT SEED_ID, ANCESTOR_ID FROM lineage_ancestors WHERE ANCESTOR_ID <> SEED_ID ORDER BY SEED_ID, ANCESTOR_ID
                """, json)
            try out.literal(",\"merges\":{},\"total_nodes\":")
            try out.integer(Int64(try db.scalarInt("SELECT count(*) FROM lineage_nodes") ?? 0))
            try out.literal(",\"total_ancestor_count\":")
            try out.integer(Int64(try db.scalarInt(
                "SELECT count(*) FROM lineage_nodes n WHERE NOT EXISTS (SELECT 1 FROM seeds s WHERE s.CID = n.CID)") ?? 0))
            try out.literal(",\"parent_map\":")
            try groupedMap(db, "SELECT DISTINCT TO_ID, FROM_ID FROM lineage_edges ORDER BY TO_ID, FROM_ID", json)
            try out.literal(",\"merge_edges\":")
            try groupedMap(db, "SELECT TO_ID, FROM_ID FROM lineage_edges WHERE EDGE_TYPE = 'merge_source' ORDER BY TO_ID, FROM_ID", json)
        } else {
            // Forward roots: nodes with no incoming tree edge (split or semantic; merges are not followed).
            try list(db, """
                SELECT n.CID FROM lineage_nodes n
                WHERE NOT EXISTS (SELECT 1 FROM lineage_edges e WHERE e.TO_ID = n.CID AND e.EDGE_TYPE <> 'merge_source')
                  AND EXISTS (SELECT 1 FROM lineage_edges e WHERE e.FROM_ID = n.CID AND e.EDGE_TYPE <> 'merge_source')
                ORDER BY n.CID
                """, json)
            try out.literal(",\"children_map\":")
            try groupedMap(db, """
                SELECT DISTINCT FROM_ID, TO_ID FROM lineage_edges WHERE EDGE_TYPE <> 'merge_source' ORDER BY FROM_ID, TO_ID
                """, json)
            try out.literal(",\"leaf_serials\":")
            try groupedMap(db, """
                SELECT s.CID, s.FINISHEDNAME FROM lineage_serials s
                WHERE NOT EXISTS (SELECT 1 FROM lineage_edges e WHERE e.FROM_ID = s.CID AND e.EDGE_TYPE <> 'merge_source')
                ORDER BY s.CID, s.FINISHEDNAME
                """, json)
            try out.literal(",\"total_nodes\":")
            try out.integer(Int64(try db.scalarInt("SELECT count(*) FROM lineage_nodes") ?? 0))
        }
        try out.literal(",\"nodes\":{")
        let nodes = try db.prepare("SELECT CID, NAME, MFGORDERNAME, WAFER_LOT, NODE_TYPE FROM lineage_nodes ORDER BY CID")
        var first = true
        while try nodes.step() {
            if !first { try out.byte(0x2C) }
            first = false
            try field(nodes, 0, json)
            try out.literal(":{\"container_id\":")
            try field(nodes, 0, json)
            try out.literal(",\"container_name\":")
            try field(nodes, 1, json)
            try out.literal(",\"mfgorder_name\":")
            try field(nodes, 2, json)
            try out.literal(",\"wafer_lot\":")
            try field(nodes, 3, json)
            try out.literal(",\"node_type\":")
            try field(nodes, 4, json)
            try out.byte(0x7D)
        }
        try out.literal("},\"edges\":[")
        let edges = try db.prepare("SELECT FROM_ID, TO_ID, EDGE_TYPE FROM lineage_edges ORDER BY FROM_ID, TO_ID, EDGE_TYPE")
        first = true
        while try edges.step() {
            if !first { try out.byte(0x2C) }
            first = false
            try out.literal("{\"from_cid\":")
            try field(edges, 0, json)
            try out.literal(",\"to_cid\":")
            try field(edges, 1, json)
            try out.literal(",\"edge_type\":")
            try field(edges, 2, json)
            try out.byte(0x7D)
        }
        try out.literal("],\"names\":")
        try pairs(db, "SELECT CID, NAME FROM lineage_nodes WHERE NAME IS NOT NULL ORDER BY CID", json)
        try out.literal(",\"seed_roots\":")
        try pairs(db, "SELECT SEED_ID, ROOT_NAME FROM lineage_seed_roots ORDER BY SEED_ID", json)
        try out.literal("}\n")
    }

    private static func field(_ s: SQLiteStatement, _ i: Int, _ json: JSONWriter) throws {
        if let t = s.rawText(i) { try json.string(t) } else { try json.out.literal("null") }
    }

    /// One column of a query as a JSON array, written as it is read.
    static func list(_ db: SQLiteDatabase, _ sql: String, _ json: JSONWriter) throws {
        let s = try db.prepare(sql)
        try json.out.byte(0x5B)
        var first = true
        while try s.step() {
            if !first { try json.out.byte(0x2C) }
            first = false
            try field(s, 0, json)
        }
        try json.out.byte(0x5D)
    }

    /// `{"k": "v", …}` from rows (k, v) ordered by k.
    private static func pairs(_ db: SQLiteDatabase, _ sql: String, _ json: JSONWriter) throws {
        let s = try db.prepare(sql)
        try json.out.byte(0x7B)
        var first = true
        while try s.step() {
            if !first { try json.out.byte(0x2C) }
            first = false
            try field(s, 0, json)
            try json.out.byte(0x3A)
            try field(s, 1, json)
        }
        try json.out.byte(0x7D)
    }

    /// `{"k": ["v1", "v2"], …}` from rows (k, v) ordered by k.
    private static func groupedMap(_ db: SQLiteDatabase, _ sql: String, _ json: JSONWriter) throws {
        let s = try db.prepare(sql)
        try json.out.byte(0x7B)
        var current: [UInt8]? = nil
        while try s.step() {
            let key = Array(s.rawText(0) ?? UnsafeRawBufferPointer(start: nil, count: 0))
            if key != current {
                if current != nil { try json.out.literal("],") }
                try key.withUnsafeBytes { try json.string($0) }
                try json.out.literal(":[")
                current = key
            } else {
                try json.out.byte(0x2C)
            }
            try field(s, 1, json)
        }
        if current != nil { try json.out.byte(0x5D) }
        try json.out.byte(0x7D)
    }
}
