import Foundation
import Testing
import TracespoolJobs
import TracespoolServer
import TracespoolSpool

/// The HTTP API over a real socket against the real test warehouse (README "HTTP API").
@Suite(.serialized) struct APITests {
    static func canonical(_ rows: [Any]) -> [String] {
        rows.map { String(decoding: (try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])) ?? Data(), as: UTF8.self) }
    }

    /// The rows of one domain in the CLI's NDJSON export, in order.
    static func cliRows(_ id: String, _ folder: String, domain: String) throws -> [String] {
        let r = try runCLI(["export", id, "--domain", domain, "--spool-dir", folder])
        #expect(r.status == 0, "\(r.stderr)")
        var rows: [Any] = []
        for line in r.stdout.split(separator: "\n") {
            let o = try parseJSONObject(String(line))
            if o["type"] as? String == "records" { rows += o["data"] as? [Any] ?? [] }
        }
        return canonical(rows)
    }

    @Test("submit → poll → pages through every domain with cursors, both stream layouts and CSV equal the CLI's export")
    func endToEnd() throws {
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path)
        let lots = try JobKit.lots(20)
        let submitted = try server.post("/api/v1/jobs", ["lot_ids": lots, "domains": ["history", "materials", "rejects"]])
        #expect(submitted.status == 202, "\(submitted.text)")
        #expect(submitted.json["success"] as? Bool == true)
        let meta = submitted.json["meta"] as? [String: Any]
        #expect(meta?["app_version"] as? String == TracespoolVersion.current && meta?["timestamp"] != nil)
        let id = try #require(submitted.data["job_id"] as? String)
        #expect(submitted.data["state"] as? String == "queued" && submitted.data["reused"] as? Bool == false)
        #expect(submitted.data["status_url"] as? String == "/api/v1/jobs/\(id)")
        // The same request again: the queued or running job is reused (or, finished already, a new one).
        let job = try server.waitFinished(id)
        #expect(job["state"] as? String == "succeeded", "\(job)")
        #expect((job["links"] as? [String: Any])?["stream"] as? String == "/api/v1/jobs/\(id)/stream")
        #expect(job["cid_count"] as? Int ?? 0 > 0)

        for domain in ["history", "materials", "rejects"] {
            var rows: [Any] = []
            var path: String? = "/api/v1/jobs/\(id)/rows?domain=\(domain)&limit=7"
            var pages = 0
            while let p = path {
                let page = try server.get(p)
                #expect(page.status == 200, "\(page.text)")
                rows += page.data["rows"] as? [Any] ?? []
                path = page.data["next_url"] as? String
                #expect((page.data["next_cursor"] is NSNull) == (path == nil))
                pages += 1
                if pages > 10_000 { break }
            }
            #expect(Self.canonical(rows) == (try Self.cliRows(id, folder.path, domain: domain)), "rows of \(domain)")
        }
        for layout in ["records", "cid"] {
            let stream = try server.get("/api/v1/jobs/\(id)/stream?layout=\(layout)")
            #expect(stream.status == 200)
            #expect(stream.header("Content-Type")?.hasPrefix("application/x-ndjson") == true)
            #expect(stream.header("Cache-Control") == "no-cache" && stream.header("X-Accel-Buffering") == "no")
            let cli = try runCLI(["export", id, "--layout", layout, "--spool-dir", folder.path])
            #expect(stream.text == cli.stdout, "\(layout) stream differs from the CLI export")
            #expect(stream.text.contains("\"type\":\"complete\"") || layout == "cid")
        }
        let csv = try server.get("/api/v1/jobs/\(id)/export.csv?domain=history&bom=true")
        #expect(csv.status == 200)
        #expect(csv.header("Content-Disposition")?.hasPrefix("attachment") == true)
        let cliCSV = try runCLI(["export", id, "--format", "csv", "--domain", "history", "--bom", "--spool-dir", folder.path])
        #expect(csv.body == Data(cliCSV.stdout.utf8))
        let lineage = try server.get("/api/v1/jobs/\(id)/lineage")
        #expect(lineage.status == 200 && lineage.json["data"] != nil)
        // Prometheus text: jobs by state, the job's duration and rows by domain, requests by route —
        // and no job id anywhere in it.
        let metrics = try server.get("/metrics")
        #expect(metrics.status == 200 && metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
        for needle in ["tracespool_jobs_count{state=\"succeeded\"} 1", "tracespool_job_duration_seconds_bucket",
                       "tracespool_rows_spooled_total{domain=\"history\"", "tracespool_http_requests_total{route=\"/api/v1/jobs/{id}/rows\",status=\"200\"}",
                       "tracespool_spool_bytes"] {
            #expect(metrics.text.contains(needle), "\(needle) not in /metrics:\n\(metrics.text.prefix(1500))")
        }
        #expect(!metrics.text.contains(id))
        // Listing: the job is there, a keyset page of one with a next cursor when there is more.
        _ = try server.post("/api/v1/jobs", ["lot_ids": lots, "domains": ["history"], "new": true])
        let page1 = try server.get("/api/v1/jobs?limit=1")
        #expect((page1.data["jobs"] as? [Any])?.count == 1)
        let next = try #require(page1.data["next_url"] as? String)
        let page2 = try server.get(next)
        #expect(((page2.data["jobs"] as? [[String: Any]])?.first?["job_id"] as? String) == id)
    }

    @Test("MSD routes: summary and detail equal the CLI's, masks apply to the CSV too")
    func msd() throws {
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path)
        let r = try server.post("/api/v1/jobs", ["profile": "mid_section_defect", "from": "2026-03-01", "to": "2026-03-20"])
        #expect(r.status == 202, "\(r.text)")
        let id = try #require(r.data["job_id"] as? String)
        #expect(try server.waitFinished(id)["state"] as? String == "succeeded")
        let summary = try server.get("/api/v1/jobs/\(id)/msd/summary")
        #expect(summary.status == 200, "\(summary.text)")
        let cli = try parseJSONObject(try runCLI(["msd", "summary", id, "--spool-dir", folder.path]).stdout)
        #expect(NSDictionary(dictionary: summary.data).isEqual(to: cli), "the API's summary differs from the CLI's")
        let detail = try server.get("/api/v1/jobs/\(id)/msd/detail?page=1&page_size=5")
        #expect(detail.status == 200, "\(detail.text)")
        let bad = try server.get("/api/v1/jobs/\(id)/msd/detail?page_size=501")
        #expect(bad.status == 400 && bad.errorCode == "INVALID_PARAMS", "\(bad.text)")
        let reason = try #require(((cli["charts"] as? [String: Any])?["by_loss_reason"] as? [[String: Any]])?.first?["name"] as? String)
        let encoded = reason.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let masked = try server.get("/api/v1/jobs/\(id)/msd/export.csv?loss_reasons=\(encoded)")
        let cliMasked = try runCLI(["msd", "export", id, "--loss-reasons", reason, "--spool-dir", folder.path])
        #expect(masked.status == 200)
        #expect(masked.body == Data(cliMasked.stdout.utf8), "the masked CSV differs from the CLI's")
        let unmasked = try server.get("/api/v1/jobs/\(id)/msd/export.csv")
        #expect(unmasked.body != masked.body, "the mask changed nothing")
        // The report page, served.
        let page = try server.get("/api/v1/jobs/\(id)/report.html?top=5")
        #expect(page.status == 200 && page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.text.contains("<svg") && !page.text.contains("<script") && page.text.contains("charset=\"utf-8\"") || page.text.contains("charset=utf-8"))
        // A query_tool job is not an MSD job.
        let qt = try server.post("/api/v1/jobs", ["cids": try JobKit.cids(2), "domains": ["history"]])
        let qid = try #require(qt.data["job_id"] as? String)
        _ = try server.waitFinished(qid)
        let notMSD = try server.get("/api/v1/jobs/\(qid)/msd/summary")
        #expect(notMSD.status == 409 && notMSD.errorCode == "MSD_NOT_MSD_JOB", "\(notMSD.text)")
    }

    @Test("every error in the envelope: 400, 404, 405, 409, 413, expired, path traversal, caps")
    func errors() throws {
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path, arguments: ["--no-workers"],
                                          environment: ["TRACESPOOL_API_MAX_BODY_BYTES": "4096"])
        func expectError(_ r: APIServerProcess.Reply, _ status: Int, _ code: String, _ what: String) {
            #expect(r.status == status, "\(what): \(r.status) \(r.text)")
            #expect(r.errorCode == code, "\(what): \(r.text)")
            #expect(r.json["success"] as? Bool == false && r.json["meta"] != nil, "\(what): \(r.text)")
        }
        expectError(try server.get("/api/v1/jobs/j20990101-000000-abcdef"), 404, "JOB_NOT_FOUND", "unknown id")
        expectError(try server.get("/api/v1/jobs/not-a-job"), 404, "JOB_NOT_FOUND", "malformed id")
        expectError(try server.get("/api/v1/jobs/..%2F..%2Fcatalog"), 404, "JOB_NOT_FOUND", "traversal id")
        expectError(try server.get("/api/v1/jobs/%00"), 404, "JOB_NOT_FOUND", "NUL id")
        expectError(try server.get("/nothing/here"), 404, "NOT_FOUND", "unknown route")
        let put = try server.call("PUT", "/api/v1/jobs")
        expectError(put, 405, "METHOD_NOT_ALLOWED", "wrong method")
        #expect(put.header("Allow") == "GET, POST")
        expectError(try server.post("/api/v1/jobs", ["lot_idz": ["x"]]), 400, "INVALID_PARAMS", "unknown field")
        let badProfile = try server.post("/api/v1/jobs", ["profile": "nope", "lot_ids": ["GA1"]])
        expectError(badProfile, 400, "INVALID_PARAMS", "bad profile")
        let flagWords = try server.post("/api/v1/jobs", ["lot_ids": ["GA1"], "from": "2026-01-01", "to": "2026-01-02"])
        expectError(flagWords, 400, "INVALID_PARAMS", "from on query_tool")
        #expect(!flagWords.text.contains("--from") && flagWords.text.contains("from/to"), "\(flagWords.text)")
        expectError(try server.call("POST", "/api/v1/jobs", body: Data("{not json".utf8)), 400, "INVALID_PARAMS", "not JSON")
        expectError(try server.call("POST", "/api/v1/jobs", body: Data("[1,2]".utf8)), 400, "INVALID_PARAMS", "not an object")
        let big = try server.post("/api/v1/jobs", ["cids": Array(repeating: "48810380001cba48", count: 400)])
        expectError(big, 413, "PAYLOAD_TOO_LARGE", "body over the cap")
        let many = try server.post("/api/v1/jobs", ["cids": try JobKit.cids(5), "cid_limit": 3])
        expectError(many, 413, "CID_LIMIT_EXCEEDED", "CID limit")
        #expect((many.json["error"] as? [String: Any])?["cid_count"] as? Int == 5 && (many.json["error"] as? [String: Any])?["limit"] as? Int == 3)
        // A queued job (no workers here): reads that need a finished job are 409 with its state.
        let queued = try server.post("/api/v1/jobs", ["cids": try JobKit.cids(2), "domains": ["history"]])
        let qid = try #require(queued.data["job_id"] as? String)
        let notDone = try server.get("/api/v1/jobs/\(qid)/stream")
        expectError(notDone, 409, "JOB_NOT_COMPLETE", "stream of a queued job")
        #expect((notDone.json["error"] as? [String: Any])?["state"] as? String == "queued")
        expectError(try server.get("/api/v1/jobs?limit=0"), 400, "INVALID_PARAMS", "limit 0")
        expectError(try server.get("/api/v1/jobs?state=done"), 400, "INVALID_PARAMS", "bad state")
        expectError(try server.get("/api/v1/jobs?cursor=../x"), 400, "INVALID_PARAMS", "bad cursor")
        expectError(try server.get("/api/v1/jobs?" + String(repeating: "a=1&", count: 3000)), 400, "INVALID_PARAMS", "query cap")
        // Cancel and delete.
        let cancelled = try server.post("/api/v1/jobs/\(qid)/cancel", [:] as [String: Any])
        #expect(cancelled.status == 200 && cancelled.data["state"] as? String == "cancelled", "\(cancelled.text)")
        expectError(try server.post("/api/v1/jobs/\(qid)/cancel", [:] as [String: Any]), 409, "JOB_STATE_CONFLICT", "cancel twice")
        let deleted = try server.call("DELETE", "/api/v1/jobs/\(qid)")
        #expect(deleted.status == 204)
        expectError(try server.get("/api/v1/jobs/\(qid)"), 404, "JOB_NOT_FOUND", "deleted job")
        // An expired job is not "no such job".
        let done = try runCLI(["run", "--json", "--cids", try JobKit.cids(2).joined(separator: ","), "--domains", "history",
                               "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path],
                              environment: ["TRACE_JOB_TTL_SECONDS": "0"])
        let did = try parseJSONObject(done.stdout)["job_id"] as? String ?? ""
        _ = try runCLI(["jobs", "gc", "--spool-dir", folder.path])
        expectError(try server.get("/api/v1/jobs/\(did)/rows?domain=history"), 404, "JOB_RESULT_EXPIRED", "expired job")
        // Rows page bounds.
        let fresh = try parseJSONObject(try runCLI(["run", "--json", "--cids", try JobKit.cids(2).joined(separator: ","), "--domains", "history,holds",
                                                    "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path]).stdout)["job_id"] as? String ?? ""
        expectError(try server.get("/api/v1/jobs/\(fresh)/rows?domain=history&limit=10001"), 400, "INVALID_PARAMS", "limit over 10000")
        expectError(try server.get("/api/v1/jobs/\(fresh)/rows"), 400, "INVALID_PARAMS", "no domain of two")
        expectError(try server.get("/api/v1/jobs/\(fresh)/rows?domain=jobs"), 400, "INVALID_PARAMS", "domain not in the job")
        expectError(try server.get("/api/v1/jobs/\(fresh)/rows?domain=history&cursor=zzz"), 400, "READER_CURSOR_MALFORMED", "bad cursor")
        expectError(try server.get("/api/v1/jobs/\(fresh)/export.csv"), 400, "INVALID_PARAMS", "CSV of two domains")
        expectError(try server.get("/api/v1/jobs/\(fresh)/export.csv?domain=history&bom=maybe"), 400, "INVALID_PARAMS", "bad bool")
    }

    @Test("a token: every route but /healthz needs it (401 with WWW-Authenticate); the right one passes")
    func auth() throws {
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path, arguments: ["--no-workers"], environment: ["TRACESPOOL_API_TOKEN": "s3cret-token"])
        #expect(try server.get("/healthz").status == 200)
        for headers in [[:], ["Authorization": "Bearer wrong-token"], ["Authorization": "Bearer s3cret-toke"], ["Authorization": "s3cret-token"]] {
            let r = try server.get("/api/v1/jobs", headers: headers)
            #expect(r.status == 401 && r.errorCode == "UNAUTHORIZED", "\(headers): \(r.text)")
            #expect(r.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        }
        #expect(try server.get("/openapi.yaml").status == 401)
        #expect(try server.get("/api/v1/jobs", headers: ["Authorization": "Bearer s3cret-token"]).status == 200)
    }

    @Test("openapi.yaml: its paths and methods are the router's")
    func openAPIMatchesRoutes() throws {
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path, arguments: ["--no-workers"])
        let yaml = try server.get("/openapi.yaml")
        #expect(yaml.status == 200)
        var documented: [String: Set<String>] = [:]
        var current: String?
        for line in yaml.text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /") { current = String(line.dropFirst(2).dropLast()) ; documented[current!] = [] }
            else if line.hasPrefix("components:") { current = nil }
            else if let c = current, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                documented[c]!.insert(line.trimmingCharacters(in: .whitespaces).dropLast().uppercased())
            }
        }
        let router = Dictionary(uniqueKeysWithValues: RouteTable.routes.map { ($0.path, Set($0.methods)) })
        #expect(documented == router, "openapi.yaml \(documented) vs router \(router)")
    }

    @Test("16 clients paging and 4 streaming while a worker in the server writes: every answer 200, no SQLITE_BUSY")
    func concurrentReaders() throws {
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path)
        let done = try server.post("/api/v1/jobs", ["lot_ids": try JobKit.lots(40), "domains": ["history", "materials"]])
        let id = try #require(done.data["job_id"] as? String)
        #expect(try server.waitFinished(id)["state"] as? String == "succeeded")
        // A job that writes while the clients read: 2 000 lots in batches of 50.
        let writing = try server.post("/api/v1/jobs", ["lot_ids": try JobKit.lots(2000), "domains": ["history", "materials", "rejects", "holds"]])
        let wid = try #require(writing.data["job_id"] as? String)
        let expected = try Self.cliRows(id, folder.path, domain: "history")
        let lock = NSLock()
        nonisolated(unsafe) var failures: [String] = []
        nonisolated(unsafe) var pagesRead = 0
        let group = DispatchGroup()
        for k in 0..<20 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    for _ in 0..<3 {
                        if k < 16 {
                            var rows: [Any] = []
                            var path: String? = "/api/v1/jobs/\(id)/rows?domain=history&limit=\(5 + k)"
                            while let p = path {
                                let page = try server.get(p)
                                if page.status != 200 { throw JSONShapeError(text: page.text) }
                                rows += page.data["rows"] as? [Any] ?? []
                                path = page.data["next_url"] as? String
                                lock.withLock { pagesRead += 1 }
                            }
                            if Self.canonical(rows) != expected { throw JSONShapeError(text: "rows differ") }
                            // The running job's committed rows, too.
                            let live = try server.get("/api/v1/jobs/\(wid)/rows?domain=history&limit=100")
                            if live.status != 200 && live.errorCode != "JOB_NOT_COMPLETE" { throw JSONShapeError(text: live.text) }
                        } else {
                            let stream = try server.get("/api/v1/jobs/\(id)/stream")
                            if stream.status != 200 || !stream.text.contains("\"type\":\"complete\"") { throw JSONShapeError(text: String(stream.text.suffix(300))) }
                        }
                    }
                } catch let e as JSONShapeError {
                    lock.withLock { failures.append(e.text) }
                } catch {
                    lock.withLock { failures.append("\(error)") }
                }
            }
        }
        group.wait()
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(pagesRead > 100)
        #expect(!server.process.stderr.contains("SQLITE_BUSY") && !server.process.stderr.contains("database is locked"))
        _ = try server.waitFinished(wid, seconds: 120)
    }

    /// The lines of a stream with the `domain_start` of each domain it followed while the job wrote
    /// it put back as an export made after the job has it: the only lines allowed to differ
    /// (README "HTTP API": `total` null, `quality_meta` pending).
    static func followedLinesSettled(_ during: String, _ after: String) -> (String, Int) {
        let settled = Dictionary(after.split(separator: "\n").filter { $0.contains("\"type\":\"domain_start\"") }
            .compactMap { line -> (String, Substring)? in
                guard let o = try? parseJSONObject(String(line)), let d = o["domain"] as? String else { return nil }
                return (d, line)
            }, uniquingKeysWith: { a, _ in a })
        var followed = 0
        let lines = during.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard line.contains("\"type\":\"domain_start\""), line.contains("\"total\":null"),
                  let o = try? parseJSONObject(String(line)), let d = o["domain"] as? String, let s = settled[d] else { return line }
            followed += 1
            return s
        }
        return (lines.joined(separator: "\n"), followed)
    }

    @Test("a stream follows a running job batch by batch: records of committed batches arrive while a later batch still runs in PostgreSQL")
    func streamFollowsBatches() throws {
        // c009's history row sleeps 4 s inside PostgreSQL; batches of 2 CIDs, one row per records line.
        let db = try gatedWarehouse("follow", lots: 12, gateBody: "IF cid = 'c009' THEN PERFORM pg_sleep(4); END IF;")
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path, arguments: ["--source", db.conninfo + " user=tracespool_reader"],
                                          environment: ["TRACE_CID_BATCH": "2", "TRACE_STREAM_BATCH_SIZE": "1"])
        let r = try server.post("/api/v1/jobs", ["cids": gatedCIDs(12), "domains": ["history"]])
        let id = try #require(r.data["job_id"] as? String)
        #expect(try eventually(20) { try server.get("/api/v1/jobs/\(id)").data["stage"] as? String == "events" })
        let opened = Date()
        let client = try SlowClient(port: server.port, path: "/api/v1/jobs/\(id)/stream")
        // The first four batches (c000 … c007) commit at once; batch 4 (c008, c009) waits on the gate.
        let head = client.read(until: "\"CONTAINERID\":\"c007\"")
        let firstRows = Date().timeIntervalSince(opened)
        let stateThen = try server.get("/api/v1/jobs/\(id)").data["state"] as? String
        #expect(String(decoding: head, as: UTF8.self).contains("\"type\":\"records\""), "\(String(decoding: head, as: UTF8.self).suffix(300))")
        #expect(stateThen == "running", "rows of committed batches reached the client while the job ran (it was \(stateThen ?? "?"))")
        #expect(firstRows < 3.5, "the first rows took \(firstRows) s: they waited for the domain")
        let body = SlowClient.dechunk(client.readChunkedResponse(prefix: head))
        #expect(try server.waitFinished(id)["state"] as? String == "succeeded")
        #expect(Date().timeIntervalSince(opened) >= 3, "the gate held the job for seconds")
        let after = try server.get("/api/v1/jobs/\(id)/stream").text
        let (settled, followed) = Self.followedLinesSettled(body, after)
        #expect(followed == 1, "the history section was followed while written")
        #expect(settled == after, "followed lines differ from a stream opened after: \(body.prefix(600))")
        let lines = body.split(separator: "\n").compactMap { try? parseJSONObject(String($0)) }
        #expect(lines.filter { $0["type"] as? String == "records" }.count == 12)
        #expect(lines.last?["type"] as? String == "complete")
    }

    @Test("a stream opened while the job runs follows it and ends with the same lines as one opened after")
    func progressiveStream() throws {
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path)
        let r = try server.post("/api/v1/jobs", ["lot_ids": try JobKit.lots(2000), "domains": ["history", "materials", "rejects", "holds", "jobs"],
                                                 "new": true])
        let id = try #require(r.data["job_id"] as? String)
        #expect(try eventually(30) { try server.get("/api/v1/jobs/\(id)").data["state"] as? String != "queued" })
        let stateWhenOpened = try server.get("/api/v1/jobs/\(id)").data["state"] as? String ?? "?"
        #expect(stateWhenOpened == "running", "the job was \(stateWhenOpened) when the stream opened: the test proves nothing")
        let during = try server.get("/api/v1/jobs/\(id)/stream")
        #expect(during.status == 200, "\(during.text.prefix(300))")
        #expect(try server.waitFinished(id)["state"] as? String == "succeeded")
        let after = try server.get("/api/v1/jobs/\(id)/stream")
        let (settled, followed) = Self.followedLinesSettled(during.text, after.text)
        #expect(settled == after.text, "opened while \(stateWhenOpened): the lines differ from a stream opened after")
        print("progressive stream: \(followed) domain(s) followed while written")
        #expect(after.text.hasSuffix("}\n") && after.text.contains("\"type\":\"complete\""))
        // The cid layout and CSV of a running job are refused with its state, not served half-written.
        let r2 = try server.post("/api/v1/jobs", ["lot_ids": try JobKit.lots(2000), "domains": ["history", "materials"], "new": true])
        let id2 = try #require(r2.data["job_id"] as? String)
        if try eventually(30, { try server.get("/api/v1/jobs/\(id2)").data["state"] as? String == "running" }) {
            let cid = try server.get("/api/v1/jobs/\(id2)/stream?layout=cid")
            #expect(cid.status == 409 || cid.status == 200, "\(cid.text.prefix(200))")
            if cid.status == 409 { #expect(cid.errorCode == "JOB_NOT_COMPLETE") }
        }
        _ = try server.waitFinished(id2)
    }

    @Test("a spool damaged after the 200: the CSV transfer is cut (no last chunk), the NDJSON stream ends with an error line — never a short CSV that looks complete")
    func damagedSpoolMidExport() throws {
        let folder = TempFolder()
        let r = try runCLI(["run", "--json", "--lot-ids", try JobKit.lots(200).joined(separator: ","), "--domains", "history",
                            "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path])
        #expect(r.status == 0, "\(r.stderr)")
        let job = try parseJSONObject(r.stdout)
        let id = try #require(job["job_id"] as? String)
        let path = try #require(job["spool_path"] as? String)
        // Garbage over whole pages in the middle of the file, where the history rows are: opening
        // and planning read meta and domains (first pages) and pass; the rows fail after the 200.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let pageSize = 4096
        let pages = bytes.count / pageSize
        for p in (pages * 3 / 4)..<(pages * 4 / 5) {
            bytes.replaceSubrange(p * pageSize..<(p + 1) * pageSize, with: Data(repeating: 0xA5, count: pageSize))
        }
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try runCLI(["export", id, "--format", "csv", "--domain", "history", "--spool-dir", folder.path]).status == 65)

        let server = try APIServerProcess(folder: folder.path)
        let csv = try SlowClient(port: server.port, path: "/api/v1/jobs/\(id)/export.csv?domain=history")
        let text = csv.readChunkedResponse()
        #expect(text.hasPrefix("HTTP/1.1 200"), "\(text.prefix(300))")
        #expect(!text.hasSuffix("\r\n0\r\n\r\n"), "the cut CSV ended like a complete one: \(text.suffix(200))")
        let stream = try SlowClient(port: server.port, path: "/api/v1/jobs/\(id)/stream")
        let lines = stream.readChunkedResponse()
        #expect(lines.contains("{\"type\":\"error\",\"error\":{\"code\":\"SPOOL_CORRUPT\""), "\(lines.suffix(300))")
        // Every line of the cut stream is one whole JSON object: the error line is never glued
        // onto half of a records line.
        let body = SlowClient.dechunk(lines).split(separator: "\n")
        #expect(body.count > 2, "\(lines.prefix(300))")
        for line in body {
            #expect((try? parseJSONObject(String(line))) != nil, "not one JSON object: \(line.prefix(200))…\(line.suffix(200))")
        }
        #expect(body.last?.hasPrefix("{\"type\":\"error\"") == true, "\(body.last?.prefix(200) ?? "")")
        // The records line the damage cut is closed where the read failed and says so.
        let cut = body.dropLast().last.flatMap { try? parseJSONObject(String($0)) } ?? [:]
        #expect(cut["type"] as? String == "records" && cut["truncated"] as? Bool == true, "\(cut.keys)")
        if let rows = cut["data"] as? [Any], let count = cut["count"] as? Int { #expect(rows.count < count) }
        // The CID layout (short lines, held back to a newline) ends the same way: whole lines, then the error.
        let cidStream = try SlowClient(port: server.port, path: "/api/v1/jobs/\(id)/stream?layout=cid")
        let cidLines = SlowClient.dechunk(cidStream.readChunkedResponse()).split(separator: "\n")
        for line in cidLines {
            #expect((try? parseJSONObject(String(line))) != nil, "not one JSON object: \(line.prefix(200))…\(line.suffix(200))")
        }
        #expect(cidLines.last?.hasPrefix("{\"type\":\"error\"") == true, "\(cidLines.last?.prefix(200) ?? "")")
        // A rows page counts its rows before it renders one: a page over the damage is a 409 in
        // the envelope, a page before it is whole.
        let over = try server.get("/api/v1/jobs/\(id)/rows?domain=history&limit=10000")
        #expect(over.status == 409 && over.errorCode == "SPOOL_CORRUPT", "\(over.text.prefix(300))")
        let before = try server.get("/api/v1/jobs/\(id)/rows?domain=history&limit=1000")
        #expect(before.status == 200 && (before.data["rows"] as? [Any])?.count == 1000, "\(before.text.prefix(300))")
        #expect(try server.get("/healthz").status == 200)
    }

    @Test("slowloris: a connection dripping its request is closed after TRACESPOOL_API_REQUEST_TIMEOUT_SECONDS; a slow reader of a stream is not")
    func requestDeadline() throws {
        let folder = TempFolder()
        let r = try runCLI(["run", "--json", "--lot-ids", try JobKit.lots(40).joined(separator: ","), "--domains", "history",
                            "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path])
        #expect(r.status == 0, "\(r.stderr)")
        let id = try #require(try parseJSONObject(r.stdout)["job_id"] as? String)
        let server = try APIServerProcess(folder: folder.path, environment: ["TRACESPOOL_API_REQUEST_TIMEOUT_SECONDS": "2"])
        // A stream whose reader waits longer than the deadline before reading: not cut.
        let reader = try SlowClient(port: server.port, path: "/api/v1/jobs/\(id)/stream")
        let dripper = try SlowClient(port: server.port, raw: "GET /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let start = Date()
        var open = true
        while open && Date().timeIntervalSince(start) < 10 {
            open = dripper.send("X")
            #expect(try server.get("/healthz").status == 200)
            Thread.sleep(forTimeInterval: 0.25)
        }
        let closedAfter = Date().timeIntervalSince(start)
        #expect(!open, "a connection dripping one byte every 250 ms was still open after 10 s")
        #expect(closedAfter >= 1.5 && closedAfter < 5, "closed after \(closedAfter) s, the deadline is 2 s")
        let text = reader.readChunkedResponse()
        #expect(text.hasPrefix("HTTP/1.1 200") && text.hasSuffix("\r\n0\r\n\r\n"), "the slow reader's stream was cut: \(text.suffix(200))")
        #expect(SlowClient.dechunk(text).contains("\"type\":\"complete\""), "\(text.suffix(300))")
    }

    @Test("a request the HTTP parser refuses is answered in the envelope (400 INVALID_REQUEST), not with a bare 400")
    func parserErrorEnvelope() throws {
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path)
        // Blanks in the target: the request line is not HTTP/1.1.
        let client = try SlowClient(port: server.port, path: "/api/v1/jobs x y")
        let text = String(decoding: client.read(1 << 16), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 400"), "\(text)")
        let body = String(text[(text.range(of: "\r\n\r\n")?.upperBound ?? text.endIndex)...])
        let json = try parseJSONObject(body)
        #expect(json["success"] as? Bool == false && json["meta"] != nil, "\(body)")
        #expect((json["error"] as? [String: Any])?["code"] as? String == "INVALID_REQUEST", "\(body)")
        #expect(try server.get("/healthz").status == 200)
    }

    @Test("SIGTERM with a stream open that the client stopped reading: the server cuts it after its grace period and exits 0")
    func gracefulShutdown() throws {
        let folder = TempFolder()
        let server = try APIServerProcess(folder: folder.path, environment: ["TRACESPOOL_API_GRACE_SECONDS": "2"])
        // Big enough (tens of MB) that the stream cannot fit in the socket buffers.
        let r = try server.post("/api/v1/jobs", ["lot_ids": try JobKit.lots(2000), "domains": ["history", "materials"]])
        let id = try #require(r.data["job_id"] as? String)
        _ = try server.waitFinished(id)
        // A slow reader: open the stream and read a little, then signal.
        let client = try SlowClient(port: server.port, path: "/api/v1/jobs/\(id)/stream")
        #expect(client.read(100).count == 100)
        let t0 = Date()
        server.process.signal(SIGTERM)
        let status = server.process.wait(seconds: 30)
        let took = Date().timeIntervalSince(t0)
        #expect(status == 0, "\(server.process.stderr)")
        #expect(took >= 1.5 && took < 9, "shutdown took \(took) s with a grace period of 2 s")
        print("graceful shutdown with a stalled stream: \(took) s (grace 2 s)")
        client.finish()
    }

    @Test("a finished job's reader is kept between pages (same rows as a fresh one) and closed when its job is deleted")
    func pooledReaders() throws {
        let folder = TempFolder()
        let done = try runCLI(["run", "--json", "--cids", try JobKit.cids(3).joined(separator: ","), "--domains", "history",
                               "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path])
        let id = try #require(try parseJSONObject(done.stdout)["job_id"] as? String)
        let server = try APIServerProcess(folder: folder.path, arguments: ["--no-workers"])
        let pid = server.process.pid
        // Which files the server holds open (its /proc fd links).
        func openFiles() -> [String] {
            let dir = "/proc/\(pid)/fd"
            return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\($0)")
            }
        }
        let first = try server.get("/api/v1/jobs/\(id)/rows?domain=history&limit=2")
        #expect(first.status == 200, "\(first.text)")
        #expect(openFiles().contains { $0.hasSuffix("\(id).sqlite") }, "the reader of a finished job stays open after its page")
        // The kept reader answers the same page again, and the next ones, as the CLI's export does.
        let again = try server.get("/api/v1/jobs/\(id)/rows?domain=history&limit=2")
        #expect((again.data["rows"] as? [Any]).map(Self.canonical) == (first.data["rows"] as? [Any]).map(Self.canonical))
        var rows: [Any] = []
        var path: String? = "/api/v1/jobs/\(id)/rows?domain=history&limit=2"
        while let p = path {
            let page = try server.get(p)
            #expect(page.status == 200, "\(page.text)")
            rows += page.data["rows"] as? [Any] ?? []
            path = page.data["next_url"] as? String
        }
        #expect(Self.canonical(rows) == (try Self.cliRows(id, folder.path, domain: "history")))
        #expect(try server.call("DELETE", "/api/v1/jobs/\(id)").status == 204)
        #expect(!openFiles().contains { $0.contains(id) }, "a deleted job's spool is not held open: \(openFiles())")
    }
}
