import Foundation
import Testing
import TracespoolJobs
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// A value reaches warehouse SQL only as a libpq-escaped literal inside `COPY (…)`, substituted in
/// one pass (README → "How it works"). Values full of SQL, array-literal and LIKE metacharacters
/// must resolve to exactly what the same values bound as real parameters resolve to, and the
/// server must log no error for any of them.
@Suite("Value path: one-pass substitution and escaping")
struct ValuePathTests {
    @Test("200 000 seed values with repeats are deduplicated in linear time (a list search made 50 000 take minutes)")
    func manyValuesLinear() throws {
        let raw = (0..<200_000).map { "GA' OR \($0 % 150_000)=\($0 % 150_000)" }
        let t0 = Date()
        let request = try TraceRequest.make(input("query_tool") { $0.values = [.lotId: raw] })
        let took = Date().timeIntervalSince(t0)
        #expect(request.values.count == 150_000)
        #expect(request.values.first == "GA' OR 0=0" && request.values[1] == "GA' OR 1=1", "first-seen order is kept")
        #expect(took < 20, "TraceRequest.make of 200 000 values took \(took) s")
    }

    /// Every metacharacter the issue lists; `zq9` marks our values in the server log.
    static let specials = ["$1", "$10", "'", "\"", "\\", "{", "}", ",", "*", "%", "_", "\n", "測試", "X1\");SELECT 1;--"]
    static func values(prefix: String) -> [String] {
        specials.enumerated().map { i, s in "\(prefix)zq9-\(i)\(s)tail" } + ["\(prefix)zq9-$1$2$3"]
    }

    @Test("substitution is one left-to-right pass: $1 inside a value, $10 vs $1, quoted text and comments untouched")
    func substitution() throws {
        let sql = "SELECT $1, $10, '$2', \"$3\" -- $2 it's\nFROM t WHERE a = $2"
        var escaped = (1...10).map { "'v\($0)'" }
        escaped[0] = "'has $2 and $10 inside'"
        let out = try CopyStatement.substitute(sql, escaped)
        #expect(out == "SELECT 'has $2 and $10 inside', 'v10', '$2', \"$3\" -- $2 it's\nFROM t WHERE a = 'v2'")
        #expect(throws: CopyStatement.UnknownParameter.self) { try CopyStatement.substitute("SELECT $3", ["'a'"]) }
    }

    @Test("every seed flag: nasty values resolve exactly as when bound as parameters; the server logs no error")
    func seedValuesMatchBoundParameters() throws {
        let log = try ServerLog()
        let w = try CraftedWarehouse("valuepath")
        // Containers whose names, wafer lots, work orders and serials are the nasty values.
        var n = 0
        func cid() -> String { n += 1; return String(format: "V%03d", n) }
        for v in Self.values(prefix: "GA") { try w.container(cid(), name: v, order: v, firstname: v) }
        for v in Self.values(prefix: "GD") { try w.container(cid(), name: v, order: v) }
        for v in Self.values(prefix: "SN") {
            let source = cid(), target = cid()
            try w.container(source, name: "S-\(source)")
            try w.container(target, name: "F-\(target)")
            try w.merge(source: source, into: target, serial: v)
        }
        let folder = TempFolder()
        let cases: [(ResolveType, String, String)] = [
            (.lotId, "query_tool", "GA"), (.waferLot, "query_tool", "GA"), (.workOrder, "query_tool", "GA"),
            (.serialNumber, "query_tool_reverse", "SN"), (.gdWorkOrder, "query_tool_reverse", "GD"),
            (.gdLotId, "query_tool_reverse", "GD"),
        ]
        for (type, profile, prefix) in cases {
            let raw = Self.values(prefix: prefix)
            let (result, spool) = try w.run(input(profile) { $0.values = [type: raw]; $0.domains = ["history"] }, folder: folder.path)
            let request = try TraceRequest.make(input(profile) { $0.values = [type: raw] })
            // The same statements bound as real parameters (PQexecParams), pass by pass.
            var bound = Set<String>()
            var remaining = request.values
            let passes: [String] = type == .serialNumber
                ? [SeedQueries.select(for: .serialNumber), SeedQueries.select(for: .lotId), SeedQueries.select(for: .waferLot)]
                : [SeedQueries.select(for: type)]
            for select in passes where !remaining.isEmpty {
                let plan = SeedStage.plan(remaining, size: 1000, extra: [])
                let params = try plan.parameters(0, plan.items[0], BatchMembers())
                let r = try w.c.query(select, params)
                var found = Set<String>()
                for i in 0..<r.rowCount {
                    bound.insert("\(r.string(i, 0) ?? "")|\(r.string(i, 3) ?? "")")
                    found.insert(r.string(i, 3) ?? "")
                }
                remaining = remaining.filter { !found.contains($0) }
            }
            let spooled = Set(try spool.strings("SELECT CONTAINERID || '|' || INPUT_VALUE FROM seed_matches"))
            #expect(!bound.isEmpty, "\(type): the bound statement found nothing, the comparison would be empty")
            #expect(spooled == bound, "\(type): spool and bound parameters differ")
            #expect(Set(result.notFound) == Set(remaining), "\(type): not_found differs")
        }
        #expect(try log.linesSince(containing: "zq9").isEmpty, "the server logged an error for one of our values")
    }

    @Test("the issue's CLI case: a value with $1 and a quote-and-semicolon value stay data")
    func cliInjectionCase() throws {
        let log = try ServerLog()
        let w = try CraftedWarehouse("valuepathcli")
        try w.container("I01", name: "X1zq9\");SELECT 1;--")
        let folder = TempFolder()
        let r = try runCLI(["run", "--source", w.conninfo, "--spool-dir", folder.path, "--domains", "history",
                            "--lot-ids", "GA$1zq9*,X1zq9\");SELECT 1;--", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect(o["seed_count"] as? Int == 1)
        #expect(o["not_found"] as? [String] == ["GA$1zq9*"])
        #expect(try log.linesSince(containing: "zq9").isEmpty)
    }

    @Test("seed CIDs with $, *, % and _ resolve literally; a station with a quote is a usage error")
    func seedCIDsAndStations() throws {
        let w = try CraftedWarehouse("valuepathcids")
        try w.container("A$1%_*zq9", name: "LOT-A")
        try w.container("A$10zq9", name: "LOT-B")
        let folder = TempFolder()
        let r = try runCLI(["run", "--source", w.conninfo, "--spool-dir", folder.path, "--domains", "history",
                            "--seed-cids", "A$1%_*zq9,A$1%_*", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect(o["seed_count"] as? Int == 1)
        #expect(o["not_found"] as? [String] == ["A$1%_*"])
        let bad = try runCLI(["run", "--source", w.conninfo, "--spool-dir", folder.path, "--profile", "mid_section_defect",
                              "--station", "測試'); DROP TABLE x;--", "--from", "2026-01-01", "--to", "2026-01-02"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("unknown station"))
    }
}

/// The test cluster's server log (`scripts/test` starts it with `-l $PGHOST/server.log`): lines
/// written after this point that contain a marker — PostgreSQL logs a statement only with an error.
struct ServerLog {
    let path: String
    let start: UInt64

    init() throws {
        path = try TestEnvironment.require("PGHOST") + "/server.log"
        start = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        #expect(FileManager.default.fileExists(atPath: path), "no server log at \(path)")
    }

    func linesSince(containing marker: String) throws -> [String] {
        guard let h = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? h.close() }
        try h.seek(toOffset: start)
        let text = String(decoding: h.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").map(String.init).filter { $0.contains(marker) }
    }
}
