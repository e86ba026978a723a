import Foundation
import Testing
import TracespoolSource
import TracespoolSpool

/// What a new user meets in the first hour, through the built binary: outputs that would destroy
/// their input, documented flags, unknown ids, CID files from Excel, flags that do nothing, one
/// line per failure, progress, files left by readers, and the demo's closing commands.
@Suite("First hour")
struct FirstHourTests {
    static func warehouseLot() throws -> String {
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse())
        return try #require(try c.query("""
            SELECT containername FROM dwh.dw_mes_container WHERE containername LIKE 'GA%-A00-001' ORDER BY 1 LIMIT 1
            """).string(0, 0))
    }

    static func warehouseCIDs(_ n: Int) throws -> [String] {
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse())
        let r = try c.query("SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY 1 LIMIT \(n)")
        return (0..<r.rowCount).compactMap { r.string($0, 0) }
    }

    func run(_ args: [String], spoolDir: String, environment: [String: String] = [:]) throws -> CLIResult {
        try runCLI(["run", "--source", try TestEnvironment.warehouse(), "--spool-dir", spoolDir] + args, environment: environment)
    }

    func sidecars(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix("j") && ($0.hasSuffix("-wal") || $0.hasSuffix("-shm") || $0.hasSuffix("-journal")) }
    }

    // MARK: export -o never destroys its input

    @Test("export/msd export -o: a spool, its -wal/-shm, the catalog or any SQLite file is refused (64), also through a link or ..")
    func refusedOutputs() throws {
        let folder = TempFolder()
        let s = try ReadersRoundTripTests.crafted(folder)
        let spoolDir = folder.path + "/spool"
        try FileManager.default.createDirectory(atPath: spoolDir + "/sub", withIntermediateDirectories: true)
        let spool = "\(spoolDir)/\(s.jobId).sqlite"
        try FileManager.default.copyItem(atPath: s.path, toPath: spool)
        _ = try TracespoolSpool.SQLiteDatabase(path: spoolDir + "/catalog.sqlite", mode: .create)
        let catalog = spoolDir + "/catalog.sqlite"
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/link.ndjson", withDestinationPath: spool)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/catalog-link", withDestinationPath: catalog)
        let before = try Data(contentsOf: URL(fileURLWithPath: spool))
        let catalogBefore = try Data(contentsOf: URL(fileURLWithPath: catalog))
        let cwd = FileManager.default.currentDirectoryPath
        let cases: [([String], String)] = [
            ([s.jobId, "-o", spool], "the job's own spool"),
            ([spool, "-o", spool], "the spool file given as a path"),
            ([s.jobId, "-o", spool + "-wal"], "its -wal"),
            ([s.jobId, "-o", spool + "-shm"], "its -shm"),
            ([s.jobId, "-o", catalog], "the catalog"),
            ([s.jobId, "-o", folder.path + "/link.ndjson"], "a symlink to the spool"),
            ([s.jobId, "-o", folder.path + "/catalog-link"], "a symlink to the catalog"),
            ([s.jobId, "-o", spoolDir + "/sub/../\(s.jobId).sqlite"], "the spool through .."),
            ([s.jobId, "-o", spoolDir + "/sub/../catalog.sqlite"], "the catalog through .."),
            ([s.jobId, "--format", "csv", "--domain", "history", "-o", s.path], "another spool (CSV)"),
            ([s.jobId, "--layout", "cid", "-o", catalog], "the catalog (cid layout)"),
        ]
        for (args, label) in cases {
            let r = try runCLI(["export"] + args + ["--spool-dir", spoolDir])
            #expect(r.status == 64, "\(label): exit \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("READER_OUTPUT_IS_INPUT") && r.stderr.contains("refusing to write"), "\(label): \(r.stderr)")
            #expect(!r.stderr.contains("wrote"), "\(label)")
        }
        // msd export -o is guarded the same way (checked before the spool is even opened as MSD).
        let m = try runCLI(["msd", "export", s.jobId, "--spool-dir", spoolDir, "-o", catalog])
        #expect(m.status == 64 && m.stderr.contains("READER_OUTPUT_IS_INPUT"), "\(m.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: spool)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: catalog)) == catalogBefore)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/link.ndjson"))
        let left = try FileManager.default.subpathsOfDirectory(atPath: folder.path)
        // (The crafted spool is in WAL mode, as a running job's is, so reading it makes -wal/-shm: not ours to check here.)
        #expect(left.filter { $0.contains(".partial-") || $0.hasSuffix(".part") }.isEmpty, "\(left)")
        // An ordinary output beside them still works.
        let ok = try runCLI(["export", s.jobId, "--spool-dir", spoolDir, "-o", spoolDir + "/sub/../\(s.jobId).ndjson"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(cwd == FileManager.default.currentDirectoryPath)
    }

    // MARK: every documented flag exists

    /// Every command path and the long names its real parser accepts (`--experimental-dump-help`).
    static func parserFlags() throws -> [(path: [String], flags: Set<String>, takesValue: [String: Bool])] {
        let r = try runCLI(["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        var out: [(path: [String], flags: Set<String>, takesValue: [String: Bool])] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            var flags: Set<String> = []
            var takes: [String: Bool] = [:]
            for a in command["arguments"] as? [[String: Any]] ?? [] {
                for n in a["names"] as? [[String: Any]] ?? [] where n["kind"] as? String == "long" {
                    let name = "--" + (n["name"] as? String ?? "")
                    flags.insert(name)
                    takes[name] = a["kind"] as? String == "option"
                }
            }
            out.append((path, flags, takes))
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                let name = sub["commandName"] as? String ?? ""
                if name == "help" { continue }
                walk(sub, path + [name])
            }
        }
        walk(try #require(root["command"] as? [String: Any]), [])
        return out
    }

    static func longFlags(in text: String) -> Set<String> {
        let regex = try! NSRegularExpression(pattern: "(?<![A-Za-z0-9-])--[a-z][a-z0-9]*(-[a-z0-9]+)*")
        let ns = text as NSString
        return Set(regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) })
    }

    @Test("every flag the README and the help texts mention is accepted by the real parser of its command")
    func documentedFlagsExist() throws {
        let commands = try Self.parserFlags()
        #expect(commands.count >= 8, "\(commands.map(\.path))")
        let whole = try String(contentsOfFile: TestEnvironment.root + "/README.md", encoding: .utf8)
        // The reliability table is a run's output (first lines of messages cut at 120 characters,
        // so a flag there may be cut short): not prose that tells anyone to use a flag.
        let readme = whole.components(separatedBy: "<!-- reliability:start -->").first!
            + (whole.components(separatedBy: "<!-- reliability:end -->").dropFirst().first ?? "")
        // Flags of other tools the README shows: swift build's (build notes) and the MSD benchmark's
        // synthetic-spool generator (scripts/bench/msd/synth_spool.py --lots N --seed S), and headless
        // Chromium's (the README's MSD report screenshot).
        let foreign: Set<String> = ["--static-swift-stdlib", "--scratch-path", "--product", "--build-tests", "--skip-build",
                                    "--show-bin-path", "--lots", "--seed",
                                    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--screenshot", "--window-size",
                                    // The runbook (README "Nightly"): scripts/systemd/install's, systemctl's, journalctl's, node_exporter's.
                                    "--prefix", "--bin", "--enable", "--since", "--collector",
                                    // scripts/reliability's (README "Reliability") and scripts/multihost's (README "Many hosts").
                                    "--short", "--only", "--markdown", "--readme", "--keep", "--bench",
                                    // scripts/bench/ingest's and scripts/bench/msd-trace's (README "Benchmarks").
                                    "--warehouse"]
        var mentioned: [(flag: String, source: String, scope: [String]?)] = Self.longFlags(in: readme).subtracting(foreign)
            .map { ($0, "README", nil) }
        for c in commands {
            let help = try runCLI(c.path + ["--help"])
            #expect(help.status == 0)
            for f in Self.longFlags(in: help.stdout) { mentioned.append((f, "tracespool \(c.path.joined(separator: " ")) --help", c.path)) }
        }
        #expect(Self.longFlags(in: readme).contains("--seed-cids"))
        let folder = TempFolder()
        for m in mentioned where m.flag != "--help" {
            // The commands (a help text: its own or a subcommand's) that define the flag.
            let owners = commands.filter { c in c.flags.contains(m.flag) && (m.scope.map { c.path.starts(with: $0) } ?? true) }
            #expect(!owners.isEmpty, "\(m.source) mentions \(m.flag), which no command accepts")
            for c in owners where m.flag != "--version" {
                // Parsed for real: the flag (with a value if it takes one) plus something validate()
                // or the job lookup refuses, so nothing runs. A parse error would name the flag.
                var args = c.path
                if ["export", "lineage", "report"].contains(c.path.last ?? "") || c.path.first == "msd" && c.path.count == 2
                    || c.path.first == "jobs" && ["show", "cancel", "resume", "retry-failed", "rm"].contains(c.path.last ?? "") {
                    args.append("j-no-such-job")
                }
                // nightly: a config file that does not exist, refused before anything is queued.
                if c.path == ["nightly"] { args.append(folder.path + "/no-such-nightly.yaml") }
                args += [m.flag] + (c.takesValue[m.flag] == true ? ["1"] : [])
                if c.path == ["run"] || c.path == ["submit"] { args += m.flag == "--fetch-rows" ? ["--cid-batch", "0"] : ["--fetch-rows", "0"] }
                if c.path == ["worker"] { args += m.flag == "--concurrency" ? ["--poll-ms", "1"] : ["--concurrency", "0"] }
                if c.path == ["jobs", "list"] { args += m.flag == "--limit" ? ["--state", "bogus"] : ["--limit", "0"] }
                if c.path == ["serve"] { args += m.flag == "--port" ? ["--workers", "-1"] : ["--port", "-1"] }
                if m.flag != "--spool-dir", c.flags.contains("--spool-dir") { args += ["--spool-dir", folder.path + "/none"] }
                // doctor has no spool: an unreachable source makes it refuse without a warehouse.
                if c.path == ["doctor"], m.flag != "--source" { args += ["--source", "host=/nonexistent-tracespool-socket"] }
                let r = try runCLI(args)
                #expect(r.status != 0, "\(args)")
                for parseError in ["Unknown option", "Missing value", "Unexpected argument", "Error: Missing expected argument"] {
                    #expect(!r.stderr.contains(parseError), "\(m.source): \(args): \(r.stderr)")
                }
            }
        }
        let v = try runCLI(["--version"])
        #expect(v.status == 0 && v.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3, "\(v.stdout)")
    }

    // MARK: unknown ids

    @Test("unknown CIDs are counted and named on stderr; when every CID is unknown: exit 5, NO_KNOWN_CIDS, no job left")
    func unknownCIDs() throws {
        let folder = TempFolder()
        let real = try Self.warehouseCIDs(1)[0]
        let some = try run(["--cids", "\(real),ffffffffffffffff", "--domains", "history"], spoolDir: folder.path)
        #expect(some.status == 0, "\(some.stderr)")
        #expect(some.stderr.contains("1 of 2 container ids is not in the warehouse") && some.stderr.contains("ffffffffffffffff"), "\(some.stderr)")

        let none = TempFolder()
        for args in [["--cids", "xyz"], ["--cids", "ffffffffffffffff,fffffffffffffffe"], ["--cids", "GA2601-A00"]] {
            let r = try run(args + ["--json"], spoolDir: none.path)
            #expect(r.status == 5, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("NO_KNOWN_CIDS") && r.stderr.contains(args[1].split(separator: ",")[0]), "\(r.stderr)")
            #expect(r.stderr.contains("--lot-ids"), "a hint for lot names: \(r.stderr)")
            let o = try parseJSONObject(r.stdout)
            #expect((o["error"] as? [String: Any])?["code"] as? String == "NO_KNOWN_CIDS")
            #expect((o["not_found"] as? [String])?.isEmpty == false)
        }
        let catalog = try SQLiteDatabase(path: none.path + "/catalog.sqlite", mode: .readOnly)
        #expect(try catalog.scalarInt("SELECT count(*) FROM jobs") == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: none.path).filter { $0.hasPrefix("j") }.isEmpty)

        // Seed values not found are named, not only counted.
        let lot = try Self.warehouseLot()
        let seeds = try run(["--lot-ids", "\(lot),NOPE-0001", "--domains", "history"], spoolDir: folder.path)
        #expect(seeds.status == 0, "\(seeds.stderr)")
        #expect(seeds.stderr.contains("1 value not found: NOPE-0001"), "\(seeds.stderr)")
    }

    // MARK: CID files

    @Test("--cids-file: a UTF-8 BOM is skipped, a bad line is named, a folder, UTF-16 and an empty file get their own messages")
    func cidsFiles() throws {
        let folder = TempFolder()
        let ids = try Self.warehouseCIDs(2)
        let file = folder.path + "/excel.csv"
        try Data([0xEF, 0xBB, 0xBF] + Array("\(ids[0])\r\n\(ids[1])\r\n".utf8)).write(to: URL(fileURLWithPath: file))
        let ok = try run(["--cids-file", file, "--domains", "history", "--json"], spoolDir: folder.path + "/spool")
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try parseJSONObject(ok.stdout)["cid_count"] as? Int == 2)
        #expect(!ok.stderr.contains("not in the warehouse"), "\(ok.stderr)")
        // Standard input with a BOM too.
        let stdin = try runCLI(["run", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path + "/spool",
                                "--cids-file", "-", "--domains", "history", "--json"], stdin: "\u{FEFF}\(ids[0])\n")
        #expect(stdin.status == 0, "\(stdin.stderr)")

        try Data([0xEF, 0xBB, 0xBF] + Array("\(ids[0])\n\(ids[1])\n0123456789abcdef01\n".utf8)).write(to: URL(fileURLWithPath: file))
        let bad = try run(["--cids-file", file], spoolDir: folder.path)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("excel.csv:3: invalid container id \"0123456789abcdef01\""), "\(bad.stderr)")

        let dir = try run(["--cids-file", folder.path], spoolDir: folder.path + "/spool")
        #expect(dir.status == 64 && dir.stderr.contains("is a folder"), "\(dir.stderr)")
        #expect(!dir.stderr.contains("no container ids given"))

        let utf16 = folder.path + "/notepad.txt"
        try Data([0xFF, 0xFE] + Array("\(ids[0])\r\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
            .write(to: URL(fileURLWithPath: utf16))
        let u = try run(["--cids-file", utf16], spoolDir: folder.path + "/spool")
        #expect(u.status == 64 && u.stderr.contains("UTF-16"), "\(u.stderr)")

        let empty = folder.path + "/empty.txt"
        _ = FileManager.default.createFile(atPath: empty, contents: Data("\n \n".utf8))
        let e = try run(["--cids-file", empty], spoolDir: folder.path + "/spool")
        #expect(e.status == 64 && e.stderr.contains("holds no container ids"), "\(e.stderr)")
        let missing = try run(["--cids-file", folder.path + "/nope.txt"], spoolDir: folder.path + "/spool")
        #expect(missing.status == 64 && missing.stderr.contains("no such file"), "\(missing.stderr)")
    }

    // MARK: flags that do nothing

    @Test("a flag that does not apply to the profile or command is a usage error naming why", arguments: [
        (["run", "--lot-ids", "GA1", "--from", "2026-01-01", "--to", "2026-01-31"], "--from/--to apply to mid_section_defect only"),
        (["run", "--profile", "query_tool_reverse", "--serials", "S1", "--to", "2026-01-31"], "--from/--to apply to mid_section_defect only"),
        (["run", "--profile", "mid_section_defect", "--cids", "abc", "--direction", "forward"], "--direction does not apply to --cids"),
        (["run", "--profile", "mid_section_defect", "--cids", "abc", "--station", "測試"], "--station does not apply to --cids"),
        (["run", "--lot-ids", "GA1", "--station", "測試"], "--station applies to mid_section_defect only"),
        (["run", "--lot-ids", "GA1", "--direction", "backward"], "--direction applies to mid_section_defect only"),
        (["export", "x.sqlite", "--format", "csv", "--batch-size", "10"], "--batch-size applies to the NDJSON records layout"),
        (["export", "x.sqlite", "--layout", "cid", "--batch-size", "10"], "--batch-size applies to the NDJSON records layout"),
        (["export", "x.sqlite", "--bom"], "--bom and --excel-safe apply to CSV"),
        (["msd", "summary", "x.sqlite", "--top", "3"], "--top applies to --table"),
        // Smaller: negative numbers get the range message, not "Missing value"; an empty spool folder is a usage error.
        (["run", "--cids", "abc", "--cid-limit", "-1"], "--cid-limit must be ≥ 1"),
        (["export", "x.sqlite", "--limit", "-1"], "--limit must be at least 1"),
        (["export", "x.sqlite", "--batch-size", "-5"], "--batch-size must be in"),
        (["msd", "summary", "x.sqlite", "--table", "--top", "-1"], "--top must be in"),
        (["run", "--cids", "abc", "--spool-dir", ""], "--spool-dir is empty"),
        (["export", "x.sqlite", "--spool-dir", ""], "--spool-dir is empty"),
    ])
    func inapplicableFlags(args: [String], message: String) throws {
        let folder = TempFolder()
        var a = args
        if a.first == "run" { a.insert(contentsOf: ["--source", "host=/nonexistent"], at: 1) }
        if !a.contains("--spool-dir") { a += ["--spool-dir", folder.path] }
        let r = try runCLI(a)
        #expect(r.status == 64, "\(a): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(a): \(r.stderr)")
        #expect(!r.stderr.contains("Missing value"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/catalog.sqlite"))
    }

    // MARK: one line per failure

    static func scriptAvailable() -> Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }

    /// Runs the binary under a pseudo-terminal (util-linux `script`): what a person at a terminal sees.
    static func onTerminal(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        let command = ([try TestEnvironment.binary] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        p.arguments = ["-qec", command, "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env["TRACESPOOL_LOG_LEVEL"] = nil
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("a failure is one `tracespool: CODE:` line and no log line, on a terminal and on a pipe; logs when asked")
    func oneLinePerFailure() throws {
        let folder = TempFolder()
        let args = ["run", "--source", "host=/nonexistent-socket-dir dbname=x connect_timeout=2", "--spool-dir", folder.path,
                    "--cids", "abc"]
        let piped = try runCLI(args, environment: ["TRACESPOOL_LOG_LEVEL": ""])
        #expect(piped.status == 69)
        let lines = piped.stderr.split(separator: "\n")
        #expect(lines.filter { $0.contains("SOURCE_UNAVAILABLE") }.count == 1, "\(piped.stderr)")
        #expect(lines.filter { $0.hasPrefix("tracespool: SOURCE_UNAVAILABLE:") }.count == 1, "\(piped.stderr)")
        #expect(!piped.stderr.contains("job failed"), "\(piped.stderr)")
        // Logs for logs: asked for, the failure is logged too (timestamped, with its code).
        let logged = try runCLI(args, environment: ["TRACESPOOL_LOG_LEVEL": "notice"])
        #expect(logged.status == 69)
        #expect(logged.stderr.contains("job failed") && logged.stderr.contains("code=SOURCE_UNAVAILABLE"), "\(logged.stderr)")
        #expect(logged.stderr.split(separator: "\n").filter { $0.hasPrefix("tracespool: SOURCE_UNAVAILABLE:") }.count == 1)

        guard Self.scriptAvailable() else {
            Issue.record("util-linux `script` is missing: the terminal half of this test needs it (Debian bsdutils)")
            return
        }
        let tty = try Self.onTerminal(args)
        #expect(tty.status == 69, "\(tty.output)")
        let ttyLines = tty.output.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
        #expect(ttyLines.filter { $0.contains("SOURCE_UNAVAILABLE") }.count == 1, "\(tty.output)")
        #expect(!tty.output.contains("job failed"), "\(tty.output)")
    }

    @Test("on a terminal every stage shows batches done / planned, rows, rate and elapsed; counts are singular when 1")
    func progressOnATerminal() throws {
        guard Self.scriptAvailable() else {
            Issue.record("util-linux `script` is missing (Debian bsdutils)")
            return
        }
        let folder = TempFolder()
        let lot = try Self.warehouseLot()
        let r = try Self.onTerminal(["run", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path,
                                     "--lot-ids", lot, "--domains", "history"])
        #expect(r.status == 0, "\(r.output)")
        for needle in ["seeds 0/1 batch", "seeds 1/1 batch · ", "lineage 1/1 batch · ", "history [1/1] 1/1 batch · ", "rows/s · ", " s\u{1B}[K",
                       "tracespool: seeds: 1 lot"] {
            #expect(r.output.contains(needle), "missing \"\(needle)\" in \(r.output.debugDescription)")
        }
        #expect(!r.output.contains("1 batches") && !r.output.contains("1 lots"), "\(r.output)")
        // Without a terminal: one line per finished stage, no bar.
        let piped = try runCLI(["run", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path,
                                "--lot-ids", lot, "--domains", "history"])
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("\r") && piped.stderr.contains("tracespool: history: ") && piped.stderr.contains("in 1 batch\n"), "\(piped.stderr)")
    }

    // MARK: finished spools are one file

    @Test("a finished job's spool is one file; export, lineage and msd reads create no -wal/-shm")
    func readersLeaveNothing() throws {
        let folder = TempFolder()
        let lot = try Self.warehouseLot()
        let r = try run(["--lot-ids", lot, "--domains", "history,materials"], spoolDir: folder.path)
        #expect(r.status == 0, "\(r.stderr)")
        let job = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(sidecars(folder.path).isEmpty, "\(sidecars(folder.path))")
        let spool = try SQLiteDatabase(path: "\(folder.path)/\(job).sqlite", mode: .readOnly)
        #expect(try spool.scalarText("PRAGMA journal_mode") == "delete")
        for args in [["export", job], ["export", job, "--layout", "cid"], ["export", job, "--format", "csv", "--domain", "history"],
                     ["lineage", job]] {
            let e = try runCLI(args + ["--spool-dir", folder.path])
            #expect(e.status == 0, "\(args): \(e.stderr)")
            #expect(sidecars(folder.path).isEmpty, "\(args) left \(sidecars(folder.path))")
        }
    }

    // MARK: the demo's closing commands

    @Test("the next-steps block the demo prints runs as printed (export, lineage, msd summary/detail/export | head, run)")
    func demoNextSteps() throws {
        let folder = TempFolder()
        let spoolDir = folder.path + "/spool"
        let lot = try Self.warehouseLot()
        let source = try TestEnvironment.warehouse()
        let qt = try run(["--lot-ids", lot], spoolDir: spoolDir)
        #expect(qt.status == 0, "\(qt.stderr)")
        let msd = try run(["--profile", "mid_section_defect", "--from", "2026-05-25", "--to", "2026-05-31"], spoolDir: spoolDir)
        #expect(msd.status == 0, "\(msd.stderr)")
        let (qtJob, msdJob) = (qt.stdout.trimmingCharacters(in: .whitespacesAndNewlines), msd.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(msd.stderr.contains("aggregate: MSD summary stored"), "\(msd.stderr)")

        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestEnvironment.root + "/scripts/lib/next-steps.sh")
        p.arguments = [try TestEnvironment.binary, source, spoolDir, qtJob, msdJob, lot, folder.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let block = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        for needle in [try TestEnvironment.binary, source, spoolDir, qtJob, msdJob, "export", "lineage", "msd summary"] {
            #expect(block.contains(needle), "\(needle) missing from:\n\(block)")
        }
        // Run the block as printed, every line in a fresh shell that stops at the first failure.
        let commands = block.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(commands.count >= 8)
        for line in commands {
            let sh = Process()
            sh.executableURL = URL(fileURLWithPath: "/bin/bash")
            sh.arguments = ["-euo", "pipefail", "-c", String(line)]
            sh.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
            let o = Pipe(), e = Pipe()
            sh.standardOutput = o
            sh.standardError = e
            try sh.run()
            let group = DispatchGroup()
            nonisolated(unsafe) var outText = Data()
            group.enter()
            DispatchQueue.global().async { outText = o.fileHandleForReading.readDataToEndOfFile(); group.leave() }
            let errText = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            group.wait()
            sh.waitUntilExit()
            #expect(sh.terminationStatus == 0, "\(line)\n\(errText)")
            #expect(!outText.isEmpty || errText.contains("wrote"), "\(line) printed nothing")
            #expect(!errText.contains("INTERNAL_ERROR") && !errText.contains("Broken pipe"), "\(line)\n\(errText)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(folder.path)/\(qtJob).history.csv"))
        #expect(sidecars(spoolDir).isEmpty, "\(sidecars(spoolDir))")
    }
}
