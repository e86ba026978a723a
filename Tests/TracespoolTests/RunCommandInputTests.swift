import Foundation
import Testing
import TracespoolSource
import TracespoolSpool

/// `tracespool run` on bad input: a precise message, the documented exit code, nothing half-written.
@Suite("run: bad input")
struct RunCommandInputTests {
    func run(_ args: [String], source: String? = nil, spoolDir: String) throws -> CLIResult {
        try runCLI(["run", "--source", try source ?? TestEnvironment.warehouse(), "--spool-dir", spoolDir] + args)
    }

    /// Spool files (a failed job's request file is not one: it lets the job be resumed).
    func spoolFiles(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("j") && !$0.hasSuffix(".request.sqlite") }
    }

    @Test("usage errors exit 64 with a message and create nothing", arguments: [
        (["--cids", "48810380001cba48", "--domains", "history,nonsense"], "unknown domain \"nonsense\""),
        (["--profile", "nope", "--cids", "48810380001cba48"], "unknown profile \"nope\""),
        ([], "no container ids given"),
        (["--cids", " , ,"], "no container ids given"),
        (["--cids", "abc'; DROP TABLE dwh.dw_mes_job; --"], "invalid container id"),
        (["--cids", "0123456789abcdef0"], "longer than 16 characters"),
        (["--cids", "a\"b"], "invalid container id"),
        (["--cids", "abc", "--cid-batch", "0"], "--cid-batch must be in"),
    ])
    func usageErrors(args: [String], message: String) throws {
        let folder = TempFolder()
        let r = try run(args, spoolDir: folder.path)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(spoolFiles(folder.path).isEmpty)
    }

    @Test("duplicates and unknown CIDs are counted, not errors")
    func duplicatesAndUnknown() throws {
        let folder = TempFolder()
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse())
        let real = try #require(try c.query("SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY 1 LIMIT 1").string(0, 0))
        let r = try run(["--cids", "\(real), \(real),\(real) ,ffffffffffffffff", "--domains", "history", "--json"], spoolDir: folder.path)
        #expect(r.status == 0, "\(r.stderr)")
        let o = try parseJSONObject(r.stdout)
        #expect(o["cid_count"] as? Int == 2)
        #expect(o["duplicate_cid_count"] as? Int == 2)
        #expect(o["unknown_cid_count"] as? Int == 1)
        #expect(o["state"] as? String == "succeeded")
    }

    @Test("--cids-file streams a file or standard input; repeats are counted; a bad line is named")
    func cidsFile() throws {
        let folder = TempFolder()
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse())
        let r = try c.query("SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY 1 LIMIT 3")
        let ids = (0..<3).compactMap { r.string($0, 0) }
        let text = "\(ids[0])\n\(ids[1]), \(ids[2])\r\n\n  \(ids[0])  \n"
        let file = folder.path + "/cids.txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        for args in [["--cids-file", file], ["--cids-file", "-"]] {
            let out = try runCLI(["run", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path + "/spool",
                                  "--domains", "history", "--json"] + args, stdin: text)
            #expect(out.status == 0, "\(out.stderr)")
            let o = try parseJSONObject(out.stdout)
            #expect(o["cid_count"] as? Int == 3)
            #expect(o["duplicate_cid_count"] as? Int == 1)
        }
        // The buffered copy of standard input does not outlive the job.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/spool").filter { $0.hasPrefix(".stdin") }.isEmpty)
        try "\(ids[0])\nbad\"id\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try run(["--cids-file", file], spoolDir: folder.path)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("cids.txt:2: invalid container id"), "\(bad.stderr)")
    }

    @Test("an unreachable source exits 69 with SOURCE_UNAVAILABLE and leaves no spool")
    func unreachableSource() throws {
        let folder = TempFolder()
        let r = try run(["--cids", "abc", "--json"], source: "host=/nonexistent-socket-dir dbname=x connect_timeout=2", spoolDir: folder.path)
        #expect(r.status == 69)
        #expect(r.stderr.contains("SOURCE_UNAVAILABLE"))
        #expect(spoolFiles(folder.path).isEmpty)
        let o = try parseJSONObject(r.stdout)
        #expect((o["error"] as? [String: Any])?["code"] as? String == "SOURCE_UNAVAILABLE")
    }

    @Test("a malformed source URI exits 69 with SOURCE_INVALID")
    func malformedSource() throws {
        let folder = TempFolder()
        let r = try run(["--cids", "abc"], source: "postgresql://%zz@/", spoolDir: folder.path)
        #expect(r.status == 69)
        #expect(r.stderr.contains("SOURCE_INVALID"), "\(r.stderr)")
    }

    @Test("a wrong password exits 69 with SOURCE_AUTH_FAILED and never prints the password")
    func wrongPassword() throws {
        let folder = TempFolder()
        // scripts/test creates the role tracespool_pw (password 'right-secret', scram on the socket).
        let base = try TestEnvironment.warehouse()
        let r = try run(["--cids", "abc"], source: base + " user=tracespool_pw password=s3cr3t-wrong", spoolDir: folder.path)
        #expect(r.status == 69)
        #expect(r.stderr.contains("SOURCE_AUTH_FAILED"), "\(r.stderr)")
        #expect(!r.stderr.contains("s3cr3t-wrong") && !r.stdout.contains("s3cr3t-wrong"))
        #expect(spoolFiles(folder.path).isEmpty)
    }

    @Test("a source without the dwh tables exits 69 naming the missing tables")
    func missingTables() throws {
        let folder = TempFolder()
        let empty = try ScratchDatabase("empty", schema: false)
        let r = try run(["--cids", "abc", "--domains", "history,jobs"], source: empty.conninfo, spoolDir: folder.path)
        #expect(r.status == 69)
        #expect(r.stderr.contains("SOURCE_SCHEMA_MISSING"))
        #expect(r.stderr.contains("dwh.dw_mes_lotwiphistory") && r.stderr.contains("dwh.dw_mes_job"))
        #expect(spoolFiles(folder.path).isEmpty)
        // The catalog records the failed job with its code.
        let catalog = try SQLiteDatabase(path: folder.path + "/catalog.sqlite", mode: .readOnly)
        #expect(try catalog.scalarText("SELECT error_code FROM jobs") == "SOURCE_SCHEMA_MISSING")
        #expect(try catalog.scalarText("SELECT state FROM jobs") == "failed")
    }

    @Test("a spool folder that cannot be created exits 73")
    func unwritableSpoolFolder() throws {
        let file = TempFolder()
        let blocker = file.path + "/not-a-folder"
        FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let r = try runCLI(["run", "--source", try TestEnvironment.warehouse(), "--spool-dir", blocker + "/spool", "--cids", "abc"])
        #expect(r.status == 73)
        #expect(r.stderr.contains("SPOOL_UNWRITABLE"), "\(r.stderr)")
    }

    @Test("a disk that fills mid-job fails with SPOOL_DISK_FULL; earlier spools and their catalog rows stay")
    func diskFull() throws {
        let small = try TestEnvironment.require("TRACESPOOL_TEST_SMALL_FS")
        let folder = small + "/spool-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let c = try PGConnection(conninfo: try TestEnvironment.warehouse())
        let first = try #require(try c.query("SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY 1 LIMIT 1").string(0, 0))
        let earlier = try runCLI(["run", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder,
                                  "--cids", first, "--domains", "history", "--json"])
        #expect(earlier.status == 0, "\(earlier.stderr)")
        let earlierJob = try parseJSONObject(earlier.stdout)
        let earlierPath = try #require(earlierJob["spool_path"] as? String)
        let before = try Data(contentsOf: URL(fileURLWithPath: earlierPath))

        // Every CID, every domain: far more than the 4 MiB file system holds.
        let all = try c.query("SELECT btrim(containerid) FROM dwh.dw_mes_container")
        let list = (0..<all.rowCount).compactMap { all.string($0, 0) }.joined(separator: "\n")
        let cidsFile = TempFolder()
        try list.write(toFile: cidsFile.path + "/cids", atomically: true, encoding: .utf8)
        let r = try runCLI(["run", "--source", try TestEnvironment.warehouse(), "--spool-dir", folder,
                            "--cids-file", cidsFile.path + "/cids", "--domains", "history,upstream_history,materials,rejects,jobs"])
        #expect(r.status == 73, "\(r.stderr)")
        #expect(r.stderr.contains("SPOOL_DISK_FULL"), "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: earlierPath)) == before)
        let catalog = try SQLiteDatabase(path: folder + "/catalog.sqlite", mode: .readOnly)
        #expect(try catalog.scalarText("SELECT state FROM jobs WHERE id = ?1", [earlierJob["job_id"] as? String]) == "succeeded")
        // The failed job keeps what it wrote, resumable once space is freed: recorded failed with the
        // code — or, when the full disk refused the catalog's own write too, still `running` under a
        // lease that expires, which a worker takes over the same way.
        let failed = try catalog.scalarText("SELECT state || ' ' || coalesce(error_code, '') FROM jobs WHERE id <> ?1",
                                            [earlierJob["job_id"] as? String])
        #expect(failed == "failed SPOOL_DISK_FULL" || failed == "running ", "\(failed ?? "nil")")
        #expect(try runCLI(["export", earlierJob["job_id"] as! String, "--spool-dir", folder]).status == 0)
    }
}
