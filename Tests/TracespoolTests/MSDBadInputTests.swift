import Foundation
import Testing
import TracespoolMSD
import TracespoolPipeline
import TracespoolSpool

/// Precise errors for bad input: non-MSD jobs, missing or old MSD tables, bad page / sort requests.
@Suite struct MSDBadInputTests {
    func kind(_ body: () throws -> Void) -> MSDError.Kind? {
        do { try body() } catch let e as MSDError { return e.kind } catch { return nil }
        return nil
    }

    @Test func summaryOfANonMSDJobIsRefused() throws {
        let b = try MSDSpoolBuilder(stations: "測試", profile: "query_tool")
        try b.lot("L1", t: 10)
        try b.finish(computeSummary: false)
        #expect(kind { _ = try MSDReader.open(path: b.path) } == .notMSD)
        #expect(kind { try MSDSummaryStore.computeAndStore(spool: b.spool) } == .notMSD)
    }

    @Test func spoolWithoutMSDTables() throws {
        let b = try MSDSpoolBuilder(stations: "測試")
        try b.db.execute("DROP TABLE msd_detection")
        #expect(kind { _ = try MSDReader.open(path: b.path) } == .tablesMissing)
    }

    @Test func spoolFromAnOlderSchema() throws {
        let b = try MSDSpoolBuilder(stations: "測試")
        try b.db.execute("""
            DROP TABLE msd_detection;
            CREATE TABLE msd_detection (seq INTEGER PRIMARY KEY, batch INTEGER, CONTAINERID TEXT, CONTAINERNAME TEXT, TRACKINQTY NUMERIC);
            """)
        do {
            _ = try MSDReader.open(path: b.path)
            Issue.record("expected MSD_SCHEMA_OUTDATED")
        } catch let e as MSDError {
            #expect(e.kind == .schemaOutdated)
            #expect(e.message.contains("LOSSREASONNAME"))
        }
        let c = try MSDSpoolBuilder(stations: "測試")
        try c.spool.setMeta("msd.direction", "sideways")
        #expect(kind { _ = try MSDReader.open(path: c.path) } == .schemaOutdated)
    }

    @Test func missingJobAndUnsafeNames() throws {
        #expect(kind { _ = try MSDSpool.open(at: "/nonexistent/j20260101-000000-000000.sqlite") } == .noSuchJob)
        #expect(kind { _ = try MSDSpool.path(forJob: "..", spoolDir: "spool") } == .noSuchJob)
        #expect(try MSDSpool.path(forJob: "j20260101-000000-00aa00", spoolDir: "spool") == "spool/j20260101-000000-00aa00.sqlite")
        let file = NSTemporaryDirectory() + "msd-not-a-spool-\(UUID().uuidString).sqlite"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(throws: SpoolError.self) { _ = try MSDSpool.open(at: file) }
    }

    @Test func badDetailRequests() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let m = try b.reader()
        for req in [MSDDetailRequest(page: 0), MSDDetailRequest(page: -3), MSDDetailRequest(pageSize: 0),
                    MSDDetailRequest(pageSize: 501), MSDDetailRequest(sortBy: "bogus"), MSDDetailRequest(order: "up"),
                    MSDDetailRequest(sortBy: "DEFECT_RATE")] {
            #expect(kind { _ = try MSDDetail.page(m, req) } == .invalidArgument, "\(req)")
        }
        #expect(kind { _ = try MSDDetail.page(m, MSDDetailRequest(pageSize: 500)) } == nil)
        #expect(kind { _ = try MSDDetail.page(m, MSDDetailRequest(pageSize: 1, sortBy: "ancestor_count", order: "asc")) } == nil)
        let f = try MSDWorkedExamples.forward()
        try f.finish()
        // Forward rows have no ancestor count.
        #expect(kind { _ = try MSDDetail.page(try f.reader(), MSDDetailRequest(sortBy: "ancestor_count")) } == .invalidArgument)
    }

    @Test func staleHelpersAreRebuiltOnFirstRead() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish(computeSummary: false)
        #expect(try b.spool.meta(MSDSummaryStore.metaKey) == nil)
        let k = MSDJSONTest.kpi(try b.summary())
        #expect(MSDJSONTest.num(k["total_defect_qty"]) == 45)
        #expect(try b.spool.meta(MSDSummaryStore.metaKey) != nil)
    }

    @Test func stationTableMatchesThePipelines() {
        #expect(MSDStation.all.map(\.key) == StationGroup.all.map(\.key))
        #expect(MSDStation.all.map(\.order) == StationGroup.all.map(\.order))
        #expect(MSDStation.all.map(\.includes) == StationGroup.all.map(\.includes))
        #expect(MSDStation.all.map(\.excludes) == StationGroup.all.map(\.excludes))
        for name in ["WC元件切割-1", "PKG_SAW-01", "WC切割-01", "TMTT-01", "焊xDB", "WC掛鍍-1", "IQC"] {
            #expect(MSDStation.classify(name)?.key == StationGroup.classify(name)?.key, "\(name)")
        }
        #expect(MSDStation.classify("焊xDB") == nil)  // literal match: '_' is not a wildcard
    }
}

/// `tracespool msd …` exit codes and output, through the built binary.
@Suite struct MSDCLITests {
    static var binary: String? {
        if let b = ProcessInfo.processInfo.environment["TRACESPOOL_BIN"], FileManager.default.fileExists(atPath: b) { return b }
        let sibling = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tracespool").path
        return FileManager.default.fileExists(atPath: sibling) ? sibling : nil
    }

    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        guard let bin = MSDCLITests.binary else {
            Issue.record("tracespool binary not found (set TRACESPOOL_BIN)")
            return (-1, "", "")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func summaryDetailExportAndTable() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        let job = "j20260701-000000-abcdef"
        let s = try run(["msd", "summary", job, "--spool-dir", b.folder])
        #expect(s.status == 0)
        #expect(MSDJSONTest.num(MSDJSONTest.kpi(try MSDJSONTest.object(s.out))["lot_count"]) == 3)
        let masked = try run(["msd", "summary", b.path, "--loss-reasons", "B", "--pj-types", "PJA,PJB"])
        #expect(masked.status == 0)
        #expect(MSDJSONTest.num(MSDJSONTest.kpi(try MSDJSONTest.object(masked.out))["total_defect_qty"]) == 10)
        let table = try run(["msd", "summary", b.path, "--table"])
        #expect(table.status == 0)
        #expect(table.out.contains("by_machine"))
        let d = try run(["msd", "detail", b.path, "--page-size", "2", "--sort-by", "defect_qty", "--order", "asc"])
        #expect(d.status == 0)
        #expect((try MSDJSONTest.object(d.out)["detail"] as? [Any])?.count == 2)
        let csv = b.folder + "/out.csv"
        let e = try run(["msd", "export", b.path, "-o", csv])
        #expect(e.status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: csv))
        #expect(data.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
    }

    @Test func exitCodes() throws {
        let b = try MSDWorkedExamples.backward()
        try b.finish()
        #expect(try run(["msd", "detail", b.path, "--sort-by", "bogus"]).status == 64)
        #expect(try run(["msd", "detail", b.path, "--page", "0"]).status == 64)
        #expect(try run(["msd", "detail", b.path, "--page-size", "501"]).status == 64)
        #expect(try run(["msd", "detail", b.path, "--order", "sideways"]).status == 64)
        let missing = try run(["msd", "summary", "j20990101-000000-000000", "--spool-dir", b.folder])
        #expect(missing.status == 66)
        let other = try MSDSpoolBuilder(stations: "測試", profile: "query_tool")
        let notMSD = try run(["msd", "summary", other.path])
        #expect(notMSD.status == 67)
        #expect(notMSD.err.contains("MSD_NOT_MSD_JOB"))
        let bare = try MSDSpoolBuilder(stations: "測試")
        try bare.db.execute("DROP TABLE msd_detection")
        let noTables = try run(["msd", "summary", bare.path])
        #expect(noTables.status == 65)
        #expect(noTables.err.contains("MSD_TABLES_MISSING"))
    }
}
