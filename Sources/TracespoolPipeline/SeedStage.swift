import Foundation
import Logging
import TracespoolSource
import TracespoolSpool

/// Seed resolution (`trace-pipeline.md` §1.1): user values → the `seeds` table of the spool.
/// Values go to PostgreSQL as bound arrays (escaped literals under COPY); `*` is a prefix
/// wildcard. Values that resolve to nothing are reported as `notFound`.
public struct SeedStage {
    let copy: BatchCopyStage
    let spool: Spool
    let config: EventsConfig

    public init(copy: BatchCopyStage, spool: Spool, config: EventsConfig) {
        self.copy = copy
        self.spool = spool
        self.config = config
    }

    public struct Outcome: Sendable {
        public let seedCount: Int
        public let notFound: [String]
        public init(seedCount: Int, notFound: [String]) {
            self.seedCount = seedCount
            self.notFound = notFound
        }
    }

    /// `stations`: MSD container mode — only lots that tracked in at these station groups.
    public func resolve(type: ResolveType, values: [String], stations: [String]?) throws -> Outcome {
        try spool.createTable(.seedMatches)
        // Serial numbers try finished names first, then container names, then first names.
        let passes: [(String, String)] = type == .serialNumber
            ? [("finishedname", SeedQueries.select(for: .serialNumber)),
               ("containername", SeedQueries.select(for: .lotId)),
               ("firstname", SeedQueries.select(for: .waferLot))]
            : [(type.rawValue, SeedQueries.select(for: type))]
        var remaining = values
        for (name, inner) in passes where !remaining.isEmpty {
            var select = inner
            var extra: [String?] = []
            if let stations {
                select = DomainQueries.expandStationGroups(SeedQueries.detectionStationFilter(inner))
                extra = [PGArrayLiteral.text(stations)]
            }
            let plan = SeedStage.plan(remaining, size: config.cidBatchSize, extra: extra)
            // A failed batch would turn its values into "not found": the job fails instead.
            try copy.run(into: .seedMatches, select: select, plan: plan, ledgerName: "seed_matches.\(name)")
                .requireComplete("seeds (\(name))")
            remaining = try notFound(remaining)
        }
        try spool.database.transaction { try spool.database.execute(SpoolLineageSQL.seedsFromMatches) }
        return Outcome(seedCount: try spool.database.scalarInt("SELECT count(*) FROM seeds") ?? 0, notFound: remaining)
    }

    /// Seeds given as CIDs; those not in the warehouse are reported as not found.
    public func resolve(seedCIDs: [String], on connection: PGConnection) throws -> Outcome {
        var missing: [String] = []
        try spool.database.transaction {
            let insert = try spool.database.prepare("INSERT OR IGNORE INTO seeds (CID, NAME, LOT_ID) VALUES (?1, ?2, ?3)")
            for start in stride(from: 0, to: seedCIDs.count, by: 1000) {
                let batch = Array(seedCIDs[start..<min(start + 1000, seedCIDs.count)])
                let r = try connection.query("""
                    SELECT u.cid, c.containername
                    FROM unnest($1::text[]) AS u(cid)
                    LEFT JOIN dwh.dw_mes_container c ON c.containerid = u.cid::bpchar
                    """, [PGArrayLiteral.text(batch)])
                for i in 0..<r.rowCount {
                    let cid = r.string(i, 0) ?? ""
                    guard let name = r.string(i, 1) else { missing.append(cid); continue }
                    try insert.bind([cid, name, name])
                    try insert.step()
                    insert.reset()
                }
            }
        }
        return Outcome(seedCount: try spool.database.scalarInt("SELECT count(*) FROM seeds") ?? 0, notFound: missing)
    }

    private func notFound(_ values: [String]) throws -> [String] {
        try spool.database.execute("CREATE INDEX IF NOT EXISTS seed_matches_input ON seed_matches (INPUT_VALUE)")
        let s = try spool.database.prepare("SELECT 1 FROM seed_matches WHERE INPUT_VALUE = ?1 LIMIT 1")
        return try values.filter { v in
            s.reset()
            s.bind(1, v)
            return try !s.step()
        }
    }

    /// Batches of values: `$1` exact values, `$2` LIKE patterns, `$3` their input tokens.
    public static func plan(_ values: [String], size: Int, extra: [String?]) -> BatchPlan {
        let chunks = stride(from: 0, to: values.count, by: max(1, size)).map { Array(values[$0..<min($0 + size, values.count)]) }
        let parameters: [[String?]] = chunks.map { chunk in
            let exact = chunk.filter { !$0.contains("*") }
            let wild = chunk.filter { $0.contains("*") }
            return [PGArrayLiteral.text(exact), PGArrayLiteral.text(wild.map(likePattern)), PGArrayLiteral.text(wild)] + extra
        }
        return BatchPlan(items: chunks.map { .init(first: $0.first!, last: $0.last!, count: $0.count) }) { index, _, _ in
            parameters[index]
        }
    }

    /// `GA2601*` → `GA2601%`, with LIKE's own metacharacters escaped so they match literally.
    static func likePattern(_ token: String) -> String {
        var out = ""
        for ch in token {
            switch ch {
            case "\\", "%", "_": out += "\\" + String(ch)
            case "*": out += "%"
            default: out.append(ch)
            }
        }
        return out
    }
}
