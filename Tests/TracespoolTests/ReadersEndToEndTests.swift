import CSV
import Foundation
import Testing
import TracespoolReaders
import TracespoolSource
import TracespoolSpool

/// `tracespool run` on the generated warehouse, then `tracespool export` of its job: every spooled
/// row comes out once, in seq (= grouped) order, in all three outputs.
@Suite("Readers end to end")
struct ReadersEndToEndTests {
    @Test("run → export by job id: NDJSON records, CID layout and CSV carry every spooled row in grouped order")
    func runThenExport() throws {
        let folder = TempFolder()
        let pg = try PGConnection(conninfo: try TestEnvironment.warehouse())
        let r = try pg.query("SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY md5(containerid) LIMIT 300", [])
        let cids = (0..<r.rowCount).compactMap { r.string($0, 0) }
        let run = try runCLI(["run", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path,
                              "--cids", cids.joined(separator: ","), "--domains", "history,materials,rejects",
                              "--cid-batch", "64", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let job = try parseJSONObject(run.stdout)
        let jobId = try #require(job["job_id"] as? String)
        let spooledRows = try #require(job["rows"] as? [String: Int])

        let spool = try Spool.open(at: folder.path + "/\(jobId).sqlite")
        var spooled: [String: [String]] = [:]  // per domain, CONTAINERID in seq order
        for name in ["history", "materials", "rejects"] {
            let s = try spool.database.prepare("SELECT \"CONTAINERID\" FROM ev_\(name) ORDER BY seq")
            var list: [String] = []
            while try s.step() { list.append(s.text(0) ?? "") }
            spooled[name] = list
            #expect(list.count == spooledRows[name] && !list.isEmpty, "\(name)")
            #expect(list == list.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "\(name) grouped")
        }

        let records = try runCLI(["export", jobId, "--spool-dir", folder.path])
        #expect(records.status == 0, "\(records.stderr)")
        let lines = try ReadersFixture.lines(records.stdout)
        for (name, list) in spooled {
            let got = lines.filter { $0["type"] as? String == "records" && $0["domain"] as? String == name }
                .flatMap { $0["data"] as? [[String: Any]] ?? [] }
            #expect(got.map { $0["CONTAINERID"] as? String ?? "" } == list, "\(name) NDJSON")
        }
        #expect(lines.last?["total_records"] as? Int == spooledRows.values.reduce(0, +))

        let cidLayout = try runCLI(["export", jobId, "--spool-dir", folder.path, "--layout", "cid"])
        let cidLines = try ReadersFixture.lines(cidLayout.stdout).filter { $0["type"] as? String == "cid" }
        let order = cidLines.map { $0["cid"] as? String ?? "" }
        #expect(order == order.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } && Set(order).count == order.count)
        for (name, list) in spooled {
            let got = cidLines.flatMap { ($0["domains"] as? [String: [[String: Any]]])?[name] ?? [] }
            #expect(got.map { $0["CONTAINERID"] as? String ?? "" } == list, "\(name) CID layout")
        }

        let csvFile = folder.path + "/trace.csv"
        let csv = try runCLI(["export", jobId, "--spool-dir", folder.path, "--format", "csv", "-o", csvFile])
        #expect(csv.status == 0, "\(csv.stderr)")
        for (name, list) in spooled {
            let reader = try CSVReader(stream: try #require(InputStream(fileAtPath: folder.path + "/trace.\(name).csv")), hasHeaderRow: true)
            let cidColumn = try #require(reader.headerRow?.firstIndex(of: "CONTAINERID"))
            var got: [String] = []
            while let row = reader.next() { got.append(row[cidColumn]) }
            #expect(got == list, "\(name) CSV")
        }
    }
}
