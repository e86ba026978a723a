import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// Checks made before fetching, so a wrong source fails fast with a precise message.
enum WarehouseCheck {
    static func tables(for domain: String) -> [String] {
        switch domain {
        case "history": return ["dw_mes_lotwiphistory", "dw_mes_container"]
        case "upstream_history": return ["dw_mes_lotwiphistory"]
        case "materials": return ["dw_mes_lotmaterialshistory", "dw_mes_container"]
        case "rejects": return ["dw_mes_lotrejecthistory", "dw_mes_container", "dw_mes_spec_workcenter_v"]
        case "downstream_rejects": return ["dw_mes_lotrejecthistory"]
        case "holds": return ["dw_mes_holdreleasehistory", "dw_mes_container"]
        case "jobs": return ["dw_mes_job"]
        default: return []
        }
    }

    /// Throws `missingTable` naming every absent `dwh` table the domains read.
    static func requireTables(for request: TraceRequest, on c: PGConnection) throws {
        let domains = request.domains
        var needed = ["dw_mes_container"]
        if !request.hasExplicitCIDs {
            needed += ["dw_mes_pj_combinedassylots"]  // lineage
            if request.msd != nil { needed += ["dw_mes_lotwiphistory", "dw_mes_lotrejecthistory", "dw_mes_wip", "dw_mes_resource"] }
        }
        for d in domains { for t in tables(for: d) where !needed.contains(t) { needed.append(t) } }
        let r = try c.query("""
            SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass('dwh.' || t) IS NULL ORDER BY t
            """, [CIDList.arrayLiteral(needed)])
        let missing = (0..<r.rowCount).compactMap { r.string($0, 0) }
        if !missing.isEmpty {
            throw SourceError(.missingTable, "the source has no table " + missing.map { "dwh.\($0)" }.joined(separator: ", "))
        }
    }

    /// How many of the trace's CIDs are not in `dw_mes_container` (they simply yield no rows), and
    /// the first `sampleSize` of them in CID order.
    static func unknownCIDs(in spool: Spool, batchSize: Int, sampleSize: Int = 20,
                            on c: PGConnection) throws -> (count: Int, sample: [String]) {
        let plan = try BatchPlan.keys(spool: spool, table: "trace_cids", column: "cid", size: max(batchSize, 1000), extra: [])
        let members = BatchMembers()
        var unknown = 0
        var sample: [String] = []
        for (i, item) in plan.items.enumerated() {
            let literal = try plan.parameters(i, item, members)[0]
            let r = try c.query("""
                SELECT btrim(u.cid) FROM unnest($1::bpchar[]) AS u(cid)
                WHERE NOT EXISTS (SELECT 1 FROM dwh.dw_mes_container c WHERE c.containerid = u.cid)
                ORDER BY 1
                """, [literal])
            unknown += r.rowCount
            for row in 0..<r.rowCount where sample.count < sampleSize { sample.append(r.string(row, 0) ?? "") }
        }
        return (unknown, sample)
    }
}
