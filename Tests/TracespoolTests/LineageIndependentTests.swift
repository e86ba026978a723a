import Foundation
import Logging
import Testing
import TracespoolJobs
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// The expanded CID set of real traces on the generated warehouse, checked against a second,
/// independent implementation of the genealogy rules: a walk in Swift that asks PostgreSQL one
/// small question per node (no recursive SQL, nothing shared with LineageQueries).
@Suite("Lineage against an independent walk")
struct LineageIndependentTests {
    final class Walker {
        let c: PGConnection
        init(_ c: PGConnection) { self.c = c }

        struct Row { let split: String?; let first: String?; let order: String?; let name: String?; let original: String? }

        func row(_ cid: String) throws -> Row? {
            let r = try c.query("""
                SELECT btrim(splitfromid), btrim(firstname), mfgordername, containername, btrim(originalcontainerid)
                FROM dwh.dw_mes_container WHERE btrim(containerid) = $1
                """, [cid])
            guard r.rowCount > 0 else { return nil }
            func v(_ i: Int) -> String? { r.string(0, i).flatMap { $0.isEmpty ? nil : $0 } }
            return Row(split: v(0), first: v(1), order: v(2), name: v(3), original: v(4))
        }

        func column(_ sql: String, _ arg: String) throws -> [String] {
            let r = try c.query(sql, [arg])
            return (0..<r.rowCount).compactMap { r.string($0, 0) }
        }

        /// The seed, then up to 20 split parents, stopping at a repeat.
        func chain(_ seed: String) throws -> [String] {
            var out = [seed]
            var cur = seed
            while out.count <= 20, let p = try row(cur)?.split, !out.contains(p) {
                out.append(p)
                cur = p
            }
            return out
        }

        func backward(_ seed: String) throws -> Set<String> {
            var base = Set(try chain(seed))
            for node in Array(base) {
                for source in try column("SELECT btrim(containerid) FROM dwh.dw_mes_pj_combinedassylots WHERE btrim(lotid) = $1", node)
                where !source.isEmpty {
                    base.formUnion(try chain(source))
                }
            }
            var all = base
            for node in base {
                guard let r = try row(node) else { continue }
                if let f = r.first {
                    all.formUnion(try column("SELECT btrim(containerid) FROM dwh.dw_mes_container WHERE containername = $1 AND objecttype = 'LOT'", f))
                }
                let isGD = (r.order ?? "").uppercased().hasPrefix("GD") || (r.name ?? "").uppercased().hasPrefix("GD")
                if isGD, let source = r.original ?? r.split { all.insert(source) }
            }
            return all
        }

        func forward(_ seed: String) throws -> Set<String> {
            let root = try chain(seed).last!
            // Walk down from the root, 20 levels, remembering each node's path.
            var out: Set<String> = [seed]
            var frontier: [(String, [String])] = [(root, [root])]
            var level = 0
            while !frontier.isEmpty && level <= 20 {
                var next: [(String, [String])] = []
                for (node, path) in frontier {
                    if path.contains(seed) {
                        out.insert(node)
                        let gd = try column("""
                            SELECT btrim(containerid) FROM dwh.dw_mes_container
                            WHERE btrim(originalcontainerid) = $1 AND (mfgordername ILIKE 'GD%' OR containername ILIKE 'GD%')
                            """, node)
                        out.formUnion(gd)
                    }
                    if level < 20 {
                        for child in try column("SELECT btrim(containerid) FROM dwh.dw_mes_container WHERE btrim(splitfromid) = $1", node)
                        where !path.contains(child) {
                            next.append((child, path + [child]))
                        }
                    }
                }
                frontier = next
                level += 1
            }
            return out
        }
    }

    /// Seeds with interesting genealogy: merge targets, GD lots, deep split children, plain lots.
    static func seeds(_ c: PGConnection) throws -> [String] {
        let r = try c.query("""
            (SELECT btrim(lotid) FROM dwh.dw_mes_pj_combinedassylots ORDER BY md5(lotid) LIMIT 8)
            UNION (SELECT btrim(containerid) FROM dwh.dw_mes_container WHERE mfgordername LIKE 'GD%' ORDER BY md5(containerid) LIMIT 8)
            UNION (SELECT btrim(containerid) FROM dwh.dw_mes_container WHERE containername LIKE '%-A1_-%' ORDER BY md5(containerid) LIMIT 8)
            UNION (SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY md5(containerid || 'x') LIMIT 16)
            """)
        return (0..<r.rowCount).compactMap { r.string($0, 0) }
    }

    @Test("backward and forward expansion equal the independent walk",
          arguments: ["query_tool_reverse", "query_tool"], TestEnvironment.warehouses)
    func expansion(profile: String, warehouse: String) throws {
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse(warehouse))
        let seeds = try Self.seeds(c)
        #expect(seeds.count >= 30)
        let folder = TempFolder()
        var config = EventsConfig()
        config.cidBatchSize = 7
        let runner = try JobRunner(spoolDir: folder.path, conninfo: try TestEnvironment.warehouse(warehouse), config: config, logger: Logger(label: "t"))
        let result = try runner.run(try TraceRequest.make(input(profile) { $0.seedCIDs = seeds; $0.domains = ["history"] }))
        let spool = try Spool.open(at: result.spoolPath)
        let walker = Walker(c)
        var union: Set<String> = []
        var nontrivial = 0
        for seed in seeds {
            let expected = profile == "query_tool" ? try walker.forward(seed) : try walker.backward(seed).union([seed])
            let got = profile == "query_tool" ? try spool.descendants(of: seed) : try spool.ancestors(of: seed).union([seed])
            #expect(got == expected, "\(profile) \(seed): spool \(got.sorted()) vs walk \(expected.sorted())")
            union.formUnion(expected)
            if expected.count > 1 { nontrivial += 1 }
        }
        var traced = Set<String>()
        try spool.database.each("SELECT cid FROM trace_cids") { traced.insert($0.text(0) ?? "") }
        #expect(traced == union)
        #expect(result.cidCount == union.count)
        // The sample must exercise real genealogy, not only lone lots.
        #expect(nontrivial >= 10, "only \(nontrivial) seeds had relatives")
    }
}
