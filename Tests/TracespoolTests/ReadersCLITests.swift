import Foundation
import Testing
import TracespoolReaders
import TracespoolSpool

/// `tracespool export` through the built binary: outputs, exit codes and messages for bad input.
@Suite("Readers CLI")
struct ReadersCLITests {
    static func crafted(_ folder: TempFolder) throws -> CraftedSpool {
        try ReadersRoundTripTests.crafted(folder)
    }

    @Test("stdout, -o FILE and JOB id give the same bytes as the in-process export; progress summary on stderr")
    func outputs() throws {
        let folder = TempFolder()
        let s = try Self.crafted(folder)
        let expected = try ReadersFixture.export(s.path).text
        let r = try runCLI(["export", s.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == expected)
        #expect(r.stderr.isEmpty)

        let out = folder.path + "/out.ndjson"
        let f = try runCLI(["export", s.path, "-o", out])
        #expect(f.status == 0, "\(f.stderr)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == expected)
        #expect(f.stdout.isEmpty && f.stderr.contains("wrote \(out)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".partial-") }.isEmpty)

        // By job id through the spool folder.
        let spoolDir = folder.path + "/spool"
        try FileManager.default.createDirectory(atPath: spoolDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: s.path, toPath: "\(spoolDir)/\(s.jobId).sqlite")
        let j = try runCLI(["export", s.jobId, "--spool-dir", spoolDir, "--layout", "cid"])
        #expect(j.status == 0, "\(j.stderr)")
        #expect(j.stdout == (try ReadersFixture.export(s.path) { $0.layout = .cid }.text))
        // TRACE_STREAM_BATCH_SIZE sets the records line size.
        let b = try runCLI(["export", s.path, "--domain", "history"], environment: ["TRACE_STREAM_BATCH_SIZE": "100"])
        let batches = try ReadersFixture.lines(b.stdout).filter { $0["type"] as? String == "records" }
        #expect(batches.count == (s.rows["history"]!.count + 99) / 100 && batches.allSatisfy { ($0["count"] as? Int ?? 0) <= 100 })
        let bad = try runCLI(["export", s.path], environment: ["TRACE_STREAM_BATCH_SIZE": "lots"])
        #expect(bad.status == 64 && bad.stderr.contains("TRACE_STREAM_BATCH_SIZE"))
    }

    @Test("CSV of several domains: one file per domain with -o FILE; refused on stdout (64)")
    func csvSeveralDomains() throws {
        let folder = TempFolder()
        let s = try Self.crafted(folder)
        let r = try runCLI(["export", s.path, "--format", "csv"])
        #expect(r.status == 64 && r.stderr.contains("READER_BAD_REQUEST") && r.stderr.contains("--domain"))
        #expect(r.stdout.isEmpty)
        let w = try runCLI(["export", s.path, "--format", "csv", "--bom", "-o", folder.path + "/trace.csv"])
        #expect(w.status == 0, "\(w.stderr)")
        for d in s.domains {
            let file = "\(folder.path)/trace.\(d.name).csv"
            let data = try #require(FileManager.default.contents(atPath: file))
            let expected = try ReadersFixture.export(s.path) { $0.format = .csv; $0.domains = [d.name]; $0.bom = true }.text
            #expect(data == Data(expected.utf8), "\(file)")
            #expect(w.stderr.contains("wrote \(file)"))
        }
        let one = try runCLI(["export", s.path, "--format", "csv", "--domain", "materials"])
        #expect(one.status == 0 && one.stdout.hasPrefix("CONTAINERID,CONTAINERNAME,MATERIALPARTNAME"))
        // -o FOLDER: <job>.<domain>.csv inside it.
        let dir = folder.path + "/exports"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let f = try runCLI(["export", s.path, "--format", "csv", "-o", dir])
        #expect(f.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            == s.domains.map { "\(s.jobId).\($0.name).csv" }.sorted())
    }

    @Test("paging through the CLI: --limit prints the next cursor, --cursor continues")
    func paging() throws {
        let folder = TempFolder()
        let s = try Self.crafted(folder)
        var cursor: String?
        var rows = 0
        var pages = 0
        repeat {
            let r = try runCLI(["export", s.path, "--format", "csv", "--domain", "history", "--limit", "500"] + (cursor.map { ["--cursor", $0] } ?? []))
            #expect(r.status == 0, "\(r.stderr)")
            rows += r.stdout.components(separatedBy: "\r\nC").count - 1
            cursor = r.stderr.split(separator: "\n").first { $0.hasPrefix("tracespool: next cursor: ") }
                .map { String($0.dropFirst("tracespool: next cursor: ".count)) }
            pages += 1
        } while cursor != nil && pages < 20
        #expect(pages == (s.rows["history"]!.count + 499) / 500)
        #expect(rows == s.rows["history"]!.count)
    }

    @Test("bad input: each has its exit code and a precise message")
    func badInput() throws {
        let folder = TempFolder()
        let s = try Self.crafted(folder)
        func check(_ args: [String], _ status: Int32, _ needle: String, _ label: String) throws {
            let r = try runCLI(["export"] + args)
            #expect(r.status == status, "\(label): exit \(r.status), stderr: \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(label): \(r.stderr)")
        }
        // Not a spool: a text file, and a SQLite file of someone else's.
        let text = folder.path + "/notes.txt"
        try String(repeating: "just some text\n", count: 400).write(toFile: text, atomically: true, encoding: .utf8)
        try check([text], 65, "SPOOL_NOT_A_SPOOL", "text file")
        let other = folder.path + "/other.sqlite"
        do {
            let db = try SQLiteDatabase(path: other, mode: .create)
            try db.execute("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        }
        try check([other], 65, "SPOOL_NOT_A_SPOOL", "foreign SQLite file")
        // A newer spool schema.
        let newer = folder.path + "/newer.sqlite"
        try FileManager.default.copyItem(atPath: s.path, toPath: newer)
        do {
            let db = try SQLiteDatabase(path: newer, mode: .readWrite)
            try db.execute("PRAGMA user_version = \(SpoolSchema.version + 1)")
        }
        try check([newer], 65, "SPOOL_UNSUPPORTED_VERSION", "newer version")
        // A truncated copy: the header and base tables survive, the domain data does not.
        let cut = folder.path + "/cut.sqlite"
        let whole = try #require(FileManager.default.contents(atPath: s.path))
        try whole.prefix(whole.count * 2 / 5).write(to: URL(fileURLWithPath: cut))
        for layout in ["records", "cid"] {
            let r = try runCLI(["export", cut, "--layout", layout])
            #expect(r.status == 65, "truncated \(layout): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("SPOOL_CORRUPT") || r.stderr.contains("SPOOL_NOT_A_SPOOL"), "\(r.stderr)")
        }
        // Missing inputs.
        try check([folder.path + "/nope.sqlite"], 66, "JOB_NOT_FOUND", "missing file")
        try check(["j20990101-000000-000000", "--spool-dir", folder.path], 66, "no job j20990101-000000-000000", "unknown job")
        try check([folder.path], 65, "is a folder", "folder")
        // Unknown domains.
        try check([s.path, "--domain", "nosuch"], 64, "unknown domain \"nosuch\"", "unknown domain")
        try check([s.path, "--domain", "jobs"], 64, "no domain \"jobs\" (it holds: history, materials, holds)", "absent domain")
        // Cursors.
        try check([s.path, "--domain", "history", "--cursor", "%%%"], 64, "READER_CURSOR_MALFORMED", "malformed cursor")
        let foreign = ExportCursor(kind: .rows, jobId: "j20990101-000000-000000",
                                   positions: [.init(domain: "history", after: 1, high: 2)], emitted: 1).encoded()
        try check([s.path, "--cursor", foreign], 64, "READER_CURSOR_FOREIGN", "foreign cursor")
        // Outputs that cannot be written; nothing is left behind.
        try check([s.path, "-o", folder.path + "/no/such/folder/x.ndjson"], 73, "cannot write", "missing folder")
        try check([s.path, "-o", text + "/x.ndjson"], 73, "cannot write", "file as folder")
        // Usage.
        try check([s.path, "--format", "xml"], 64, "--format must be ndjson or csv", "format")
        try check([s.path, "--format", "csv", "--layout", "cid"], 64, "--layout applies to NDJSON", "csv cid")
    }

    @Test("a closed pipe ends the export quietly with exit 0")
    func closedPipe() throws {
        let folder = TempFolder()
        let s = try Self.crafted(folder)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestEnvironment.binary)
        p.arguments = ["export", s.path, "--layout", "cid"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let head = out.fileHandleForReading.readData(ofLength: 100)
        try out.fileHandleForReading.close()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(head.count == 100 && String(decoding: head, as: UTF8.self).hasPrefix("{\"type\":\"meta\""))
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        #expect(errors.isEmpty, "\(String(decoding: errors, as: UTF8.self))")
    }
}
