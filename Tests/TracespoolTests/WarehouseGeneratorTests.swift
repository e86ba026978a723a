import Foundation
import Testing
import TracespoolSource

/// The warehouse schema and the deterministic generator (scripts/warehouse), asserted by SQL
/// over the generated tables.
@Suite("Warehouse schema and generator")
struct WarehouseGeneratorTests {
    /// A scratch database with the schema, a generated warehouse and the indexes.
    static func generate(_ label: String, lots: Int, days: Int, seed: Int, bad: Bool) throws -> ScratchDatabase {
        let db = try ScratchDatabase(label)
        let c = try db.connect()
        try c.execute(try TestEnvironment.sql("generate.sql"))
        _ = try c.query("SELECT dwh_gen.generate($1::int, $2::int, $3::bigint, $4::boolean)",
                        [String(lots), String(days), String(seed), bad ? "true" : "false"])
        return db
    }

    static func checks(_ c: PGConnection, _ file: String) throws -> [(String, Bool, String)] {
        let r = try c.query(try TestEnvironment.sql(file))
        return (0..<r.rowCount).map { (r.string($0, 0) ?? "", r.string($0, 1) == "t", r.string($0, 2) ?? "") }
    }

    @Test("the same seed gives the same rows; another seed gives others")
    func deterministic() throws {
        let a = try Self.generate("gen_a", lots: 400, days: 60, seed: 7, bad: false)
        let b = try Self.generate("gen_b", lots: 400, days: 60, seed: 7, bad: false)
        let other = try Self.generate("gen_c", lots: 400, days: 60, seed: 8, bad: false)
        let sa = try a.connect().query("SELECT dwh_gen.checksum()").string(0, 0)
        let sb = try b.connect().query("SELECT dwh_gen.checksum()").string(0, 0)
        let sc = try other.connect().query("SELECT dwh_gen.checksum()").string(0, 0)
        #expect(sa != nil && sa == sb)
        #expect(sa != sc)
    }

    @Test("the shared test warehouse has every shape the generator claims")
    func shapes() throws {
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse())
        let rows = try Self.checks(c, "shape-checks.sql")
        #expect(rows.count >= 30)
        for (name, ok, detail) in rows { #expect(ok, "\(name): \(detail)") }
    }

    @Test("the bad-data option produces the cycles, padded values and NULL equipment it claims")
    func badData() throws {
        let db = try Self.generate("gen_bad", lots: 1500, days: 90, seed: 3, bad: true)
        let c = try db.connect()
        let rows = try Self.checks(c, "bad-data-checks.sql")
        #expect(rows.count >= 4)
        for (name, ok, detail) in rows { #expect(ok, "\(name): \(detail)") }
        // Padded ids exist, and the bpchar comparison the queries use still finds them by their trimmed value.
        let padded = try c.query("SELECT btrim(containerid) FROM dwh.dw_mes_container WHERE length(btrim(containerid)) < 16 LIMIT 1")
        let short = try #require(padded.string(0, 0))
        #expect(try c.query("SELECT count(*) FROM dwh.dw_mes_container WHERE containerid = ANY ($1::bpchar[])", ["{\(short)}"]).int(0, 0) == 1)
    }

    @Test("every table and index of the schema exists")
    func schema() throws {
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse())
        let tables = ["dw_mes_container", "dw_mes_lotwiphistory", "dw_mes_lotmaterialshistory", "dw_mes_lotrejecthistory",
                      "dw_mes_holdreleasehistory", "dw_mes_job", "dw_mes_pj_combinedassylots", "dw_mes_spec_workcenter_v",
                      "dw_mes_wip", "dw_mes_resource"]
        let r = try c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'dwh' ORDER BY 1")
        #expect((0..<r.rowCount).compactMap { r.string($0, 0) } == tables.sorted())
        // Index definitions the queries rely on (column lists, as pg_indexes prints them).
        let idx = try c.query("SELECT indexdef FROM pg_indexes WHERE schemaname = 'dwh'")
        let defs = (0..<idx.rowCount).compactMap { idx.string($0, 0) }
        let needed = [
            "dw_mes_container USING btree (containerid)", "dw_mes_container USING btree (splitfromid)",
            "dw_mes_container USING btree (containername)", "dw_mes_container USING btree (firstname)",
            "dw_mes_container USING btree (mfgordername)", "dw_mes_container USING btree (originalcontainerid)",
            "dw_mes_lotwiphistory USING btree (containerid)", "dw_mes_lotwiphistory USING btree (trackintimestamp)",
            "dw_mes_lotmaterialshistory USING btree (containerid)", "dw_mes_lotrejecthistory USING btree (containerid)",
            "dw_mes_holdreleasehistory USING btree (containerid)", "dw_mes_pj_combinedassylots USING btree (lotid)",
            "dw_mes_pj_combinedassylots USING btree (containerid)", "dw_mes_pj_combinedassylots USING btree (finishedname)",
            "dw_mes_wip USING btree (containerid)", "dw_mes_job USING gin (regexp_split_to_array(btrim((containerids)::text), ' *, *'::text))",
        ]
        for n in needed { #expect(defs.contains { $0.contains(n) }, "missing index \(n)") }
    }
}
