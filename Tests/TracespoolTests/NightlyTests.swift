import Foundation
import Testing
import TracespoolSpool

/// `tracespool nightly FILE` through the built binary on the test warehouse, and the systemd units
/// as `scripts/systemd/install --prefix` writes them, checked by `systemd-analyze verify`.
@Suite("Nightly")
struct NightlyTests {
    func nightly(_ config: String, _ folder: TempFolder, extra: [String] = []) throws -> (CLIResult, String) {
        let file = folder.path + "/nightly.yaml"
        try Data(config.utf8).write(to: URL(fileURLWithPath: file))
        let r = try runCLI(["nightly", file, "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path + "/spool",
                            "--now", "2026-03-20", "--json"] + extra)
        return (r, file)
    }

    /// The --json lines by trace name.
    func byName(_ stdout: String) throws -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for line in stdout.split(separator: "\n") {
            let o = try parseJSONObject(String(line))
            out[o["name"] as? String ?? ""] = o
        }
        return out
    }

    func metrics(_ folder: TempFolder) throws -> String {
        try String(contentsOfFile: folder.path + "/spool/reports/tracespool-nightly.prom", encoding: .utf8)
    }

    func isHTML(_ path: String) -> Bool {
        guard let s = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return s.lowercased().hasPrefix("<!doctype html") && s.contains("</html>")
    }

    @Test("an MSD \"last 7 days\" trace (resolved against --now) and a query_tool trace: both run, reports are HTML, the textfile has both")
    func twoTraces() throws {
        let folder = TempFolder()
        let lot = try JobKit.lots(1)[0]
        let (r, _) = try nightly("""
            traces:
              - name: msd-weekly
                profile: mid_section_defect
                station: [測試]
                window: last 7 days
                direction: backward
                report: true
              - name: watch-lots
                profile: query_tool
                lot_ids: [\(lot)]
                domains: [history]
            """, folder)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let runs = try byName(r.stdout)
        for name in ["msd-weekly", "watch-lots"] {
            let o = try #require(runs[name], "\(r.stdout)")
            #expect(o["state"] as? String == "succeeded" && o["quality"] as? String == "complete", "\(o)")
            let report = try #require(o["report"] as? String)
            #expect(report == folder.path + "/spool/reports/\(name)-2026-03-20.html")
            #expect(isHTML(report), "\(report)")
        }
        // "last 7 days" on 2026-03-20 is 2026-03-13 … 2026-03-19, stored as the job's request.
        let id = try #require(runs["msd-weekly"]?["job_id"] as? String)
        let catalog = try SQLiteDatabase(path: folder.path + "/spool/catalog.sqlite", mode: .readOnly)
        let request = try catalog.scalarText("SELECT request FROM jobs WHERE id = ?", [id]) ?? ""
        #expect(request.contains(#""from":"2026-03-13""#) && request.contains(#""to":"2026-03-19""#), "\(request)")
        let prom = try metrics(folder)
        #expect(prom.contains("# TYPE tracespool_last_success_timestamp_seconds gauge"), "\(prom)")
        for name in ["msd-weekly", "watch-lots"] {
            #expect(prom.contains("tracespool_last_success_timestamp_seconds{trace=\"\(name)\"} "), "\(prom)")
        }
    }

    @Test("a trace that fails at run time (no seeds; over its cid_limit) makes the exit non-zero; the other still succeeds with report and metric")
    func oneFails() throws {
        let folder = TempFolder()
        let lots = try JobKit.lots(3)
        // An earlier night's success of "nothing": a failed trace keeps it (the alert is on its age).
        try FileManager.default.createDirectory(atPath: folder.path + "/spool/reports", withIntermediateDirectories: true)
        try Data("tracespool_last_success_timestamp_seconds{trace=\"nothing\"} 123\n".utf8)
            .write(to: URL(fileURLWithPath: folder.path + "/spool/reports/tracespool-nightly.prom"))
        let (r, _) = try nightly("""
            traces:
              - name: good
                lot_ids: [\(lots[0])]
                domains: [history]
              - name: nothing
                lot_ids: [NOPE-0000001]
              - name: too-many
                lot_ids: [\(lots[1]), \(lots[2])]
                cid_limit: 1
            """, folder)
        #expect(r.status == 5, "the first failed trace's code (NO_SEEDS → 5): \(r.status) \(r.stdout) \(r.stderr)")
        let runs = try byName(r.stdout)
        #expect(runs["good"]?["state"] as? String == "succeeded", "\(r.stdout)")
        #expect(isHTML(try #require(runs["good"]?["report"] as? String)))
        #expect((runs["nothing"]?["error"] as? [String: Any])?["code"] as? String == "NO_SEEDS", "\(r.stdout)")
        #expect((runs["too-many"]?["error"] as? [String: Any])?["code"] as? String == "CID_LIMIT_EXCEEDED", "\(r.stdout)")
        #expect(runs["nothing"]?["report"] is NSNull)
        let prom = try metrics(folder)
        #expect(prom.contains("{trace=\"good\"}") && !prom.contains("too-many"), "\(prom)")
        #expect(prom.contains("tracespool_last_success_timestamp_seconds{trace=\"nothing\"} 123\n"), "\(prom)")
    }

    @Test("--no-run with no worker: the job stays queued, the trace reads as unfinished (75) after --wait-seconds; a worker then runs it")
    func noRunWaits() throws {
        let folder = TempFolder()
        let lot = try JobKit.lots(1)[0]
        let (r, _) = try nightly("traces:\n  - name: later\n    lot_ids: [\(lot)]\n    domains: [history]\n", folder,
                                 extra: ["--no-run", "--wait-seconds", "2"])
        #expect(r.status == 75, "\(r.status) \(r.stdout) \(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect(o["state"] as? String == "queued" && o["report"] is NSNull, "\(o)")
        #expect(!((try? metrics(folder)) ?? "").contains("later"))
        let w = try runCLI(["worker", "--once", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path + "/spool"])
        #expect(w.status == 0 && w.stdout.contains("\(o["job_id"] as? String ?? "?") succeeded"), "\(w.stdout) \(w.stderr)")
    }

    @Test("bad config files: FILE:LINE in the message, exit 64, no job submitted")
    func badConfigs() throws {
        let cases: [(String, String, Int)] = [
            ("unknown key", "traces:\n  - name: a\n    lot_ids: [x]\n    windw: last 7 days\n", 4),
            ("bad window", "traces:\n  - name: a\n    profile: mid_section_defect\n    window: last fortnight\n", 4),
            ("window too long", "traces:\n  - name: a\n    profile: mid_section_defect\n    window: last 9999 days\n", 4),
            ("wrong type", "traces:\n  - name: a\n    lot_ids: [x]\n    report: sometimes\n", 4),
            ("wrong type (list)", "traces:\n  - name: a\n    lot_ids:\n      k: v\n", 4),
            ("wrong type (int)", "traces:\n  - name: a\n    lot_ids: [x]\n    cid_limit: many\n", 4),
            ("duplicate name", "traces:\n  - name: a\n    lot_ids: [x]\n  - name: a\n    lot_ids: [y]\n", 4),
            ("not YAML", "traces:\n  - name: a\n    lot_ids: [x\n  - : :\n", 4),
            ("not a mapping", "just some words\n", 1),
            ("unknown top key", "traces:\n  - name: a\n    lot_ids: [x]\njobs: []\n", 4),
            ("request refused by submit's validation", "traces:\n  - name: a\n    profile: query_tool\n    window: yesterday\n", 2),
        ]
        for (label, text, line) in cases {
            let folder = TempFolder()
            let spool = folder.path + "/spool"
            try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
            let (r, file) = try nightly(text, folder)
            #expect(r.status == 64, "\(label): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("\(file):\(line): "), "\(label): \(r.stderr)")
            let list = try runCLI(["jobs", "list", "--json", "--spool-dir", spool])
            let jobs = try parseJSONObject(list.stdout)["jobs"] as? [Any]
            #expect(list.status == 0 && jobs?.isEmpty == true, "\(label): \(list.stdout)")
        }
    }

    @Test("a config file that does not exist: CONFIG_NOT_FOUND, exit 66 (no such input), not an internal error")
    func missingConfig() throws {
        let folder = TempFolder()
        let r = try runCLI(["nightly", folder.path + "/no-such.yaml", "--source", try TestEnvironment.warehouse(),
                            "--spool-dir", folder.path + "/spool"])
        #expect(r.status == 66, "\(r.status) \(r.stderr)")
        #expect(r.stderr.hasPrefix("tracespool: CONFIG_NOT_FOUND: \(folder.path)/no-such.yaml"), "\(r.stderr)")
    }

    @Test("scripts/systemd/install --prefix --bin: the units pass systemd-analyze verify, with the real binary in ExecStart")
    func unitsVerify() throws {
        let folder = TempFolder()
        let units = folder.path + "/units"
        let install = Process()
        install.executableURL = URL(fileURLWithPath: TestEnvironment.root + "/scripts/systemd/install")
        install.arguments = ["--prefix", units, "--bin", try TestEnvironment.binary]
        install.standardOutput = FileHandle.nullDevice
        try install.run()
        install.waitUntilExit()
        #expect(install.terminationStatus == 0)
        let names = ["tracespool-worker.service", "tracespool-api.service", "tracespool-nightly.service", "tracespool-nightly.timer"]
        for n in names {
            let text = try String(contentsOfFile: "\(units)/\(n)", encoding: .utf8)
            #expect(!text.contains("@BIN@"), "\(n)")
            if n.hasSuffix(".service") {
                let exec = "ExecStart=\(try TestEnvironment.binary) "
                #expect(text.contains(exec), "\(n)")
            }
        }
        // Offline verify parses the files without a running systemd (PID 1 here is not systemd): it
        // reports unknown keys, bad values and missing executables, which is what we assert on.
        let verify = Process()
        verify.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        verify.arguments = ["verify"] + names.map { "\(units)/\($0)" }
        verify.currentDirectoryURL = URL(fileURLWithPath: units)
        let err = Pipe()
        verify.standardError = err
        verify.standardOutput = err
        try verify.run()
        let output = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        verify.waitUntilExit()
        let unitLines = output.split(separator: "\n").filter { l in names.contains { l.contains($0) } }
        #expect(unitLines.isEmpty, "\(output)")
        #expect(verify.terminationStatus == 0, "\(output)")
        // And a broken unit is caught, so the check above means something.
        try Data("[Service]\nType=oneshott\nExecStart=/nonexistent/tracespool\n".utf8).write(to: URL(fileURLWithPath: units + "/broken.service"))
        let bad = Process()
        bad.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        bad.arguments = ["verify", units + "/broken.service"]
        bad.standardError = FileHandle.nullDevice
        bad.standardOutput = FileHandle.nullDevice
        try bad.run()
        bad.waitUntilExit()
        #expect(bad.terminationStatus != 0)
    }

    @Test("the committed example config is valid (it is what install puts in /etc/tracespool)")
    func exampleIsValid() throws {
        let folder = TempFolder()
        // An unreachable source: the file must pass validation (not 64) and fail only on the warehouse.
        let r = try runCLI(["nightly", TestEnvironment.root + "/scripts/systemd/nightly.example.yaml",
                            "--source", "host=/nonexistent-tracespool-socket", "--spool-dir", folder.path + "/spool", "--wait-seconds", "30"])
        #expect(r.status != 64 && !r.stderr.contains("INVALID_CONFIG"), "\(r.status) \(r.stderr)")
    }
}
