import Foundation
import Testing
import TracespoolJobs
import TracespoolServer

/// The reference dashboard's routes over a real socket on the test warehouse (README "Reference
/// routes"): its front end's flow end to end, each answer's shape, its values against our own
/// `/api/v1` for the same job, and every documented error.
@Suite(.serialized) struct ReferenceRoutesTests {
    typealias Server = APIServerProcess

    static func poll(_ server: Server, _ path: String, until done: Set<String>, seconds: Double = 90) throws -> [String: Any] {
        var last: [String: Any] = [:]
        _ = try eventually(seconds) {
            last = try server.get(path).data
            return done.contains(last["status"] as? String ?? "")
        }
        return last
    }

    /// Every row of one domain through `/api/v1/jobs/{id}/rows`, in order.
    static func v1Rows(_ server: Server, _ id: String, _ domain: String) throws -> [String] {
        var rows: [Any] = []
        var path: String? = "/api/v1/jobs/\(id)/rows?domain=\(domain)&limit=10000"
        while let p = path {
            let page = try server.get(p)
            rows += page.data["rows"] as? [Any] ?? []
            path = page.data["next_url"] as? String
        }
        return APITests.canonical(rows)
    }

    static func ndjson(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try parseJSONObject(String($0)) }
    }

    @Test("MSD flow: seed-resolve → lineage → events → poll → result pages → stream → analysis → detail → export, equal to /api/v1")
    func msdFlow() throws {
        let folder = TempFolder()
        let server = try Server(folder: folder.path)
        let window = ["2026-04-01", "2026-04-05"]
        let params: [String: Any] = ["mode": "date_range", "date_range": window, "station": "測試", "direction": "backward"]

        // Stage 1: a 5-day window answers synchronously.
        let seed = try server.post("/api/trace/seed-resolve", ["profile": "mid_section_defect", "params": params])
        #expect(seed.status == 200, "\(seed.text)")
        #expect(seed.data["stage"] as? String == "seed-resolve")
        let seeds = try #require(seed.data["seed_container_ids"] as? [String])
        #expect(!seeds.isEmpty && seed.data["seed_count"] as? Int == seeds.count && seeds == seeds.sorted())
        #expect((seed.data["cache_key"] as? String)?.hasPrefix("trace:seed:mid_section_defect:") == true)
        #expect((seed.json["meta"] as? [String: Any])?["app_version"] as? String == TracespoolVersion.current)

        // Stage 2: lineage is a job; its compact result equals our lineage document's counts.
        let lin = try server.post("/api/trace/lineage", ["profile": "mid_section_defect", "container_ids": seeds, "params": params])
        #expect(lin.status == 202, "\(lin.text)")
        let linJob = try #require(lin.data["job_id"] as? String)
        let linQuery = try #require(lin.data["query_id"] as? String)
        #expect(linQuery.hasPrefix("trace-lineage-mid-section-defect-") && lin.data["status_url"] as? String == "/api/trace/lineage/job/\(linJob)")
        let linStatus = try Self.poll(server, "/api/trace/lineage/job/\(linJob)", until: ["completed", "failed"])
        #expect(linStatus["status"] as? String == "completed", "\(linStatus)")
        let compact = try server.get("/api/trace/lineage/job/\(linJob)/result")
        #expect(compact.status == 200, "\(compact.text)")
        #expect(compact.data["query_id"] as? String == linQuery && compact.data["trace_lineage_query_id"] as? String == linQuery)
        let full = try server.get("/api/v1/jobs/\(linJob)/lineage").data
        #expect(compact.data["total_nodes"] as? Int == full["total_nodes"] as? Int && (full["total_nodes"] as? Int ?? 0) > 0)
        #expect(compact.data["total_ancestor_count"] as? Int == full["total_ancestor_count"] as? Int)
        #expect(compact.data["nodes"] == nil, "the MSD form is compact")
        // The other direction is another lineage (the reference's cache key forgot it).
        var forward = params
        forward["direction"] = "forward"
        let linFwd = try server.post("/api/trace/lineage", ["profile": "mid_section_defect", "container_ids": seeds, "params": forward])
        #expect(linFwd.data["query_id"] as? String != linQuery && linFwd.data["job_id"] as? String != linJob)

        // Stage 3: events.
        let body: [String: Any] = ["profile": "mid_section_defect", "container_ids": seeds, "seed_container_ids": seeds,
                                   "domains": ["upstream_history", "materials"], "params": params, "lineage_query_id": linQuery]
        let ev = try server.post("/api/trace/events", body)
        #expect(ev.status == 202, "\(ev.text)")
        let job = try #require(ev.data["job_id"] as? String)
        #expect(ev.data["stream_url"] as? String == "/api/trace/job/\(job)/stream")
        let traceId = try #require(ev.data["query_id"] as? String)
        #expect(traceId.hasPrefix("msd-") && traceId.count == 20)
        let status = try Self.poll(server, "/api/trace/job/\(job)", until: ["finished", "failed"])
        #expect(status["status"] as? String == "finished" && status["progress"] as? String == "complete", "\(status)")
        #expect(status["domains"] as? [String] == ["upstream_history", "materials"] && (status["cid_count"] as? Int ?? 0) >= seeds.count)
        #expect(status["trace_query_id"] as? String == traceId && status["created_at"] is Double && status["elapsed_seconds"] is Double)
        #expect((status["completed_stages"] as? [String])?.contains("aggregate") == true)

        // Result pages by offset equal our keyset rows.
        let v1 = try Self.v1Rows(server, job, "upstream_history")
        var paged: [Any] = []
        var offset = 0
        while offset < v1.count + 7 {
            let page = try server.get("/api/trace/job/\(job)/result?domain=upstream_history&offset=\(offset)&limit=97")
            #expect(page.status == 200, "\(page.text)")
            let d = (page.data["results"] as? [String: Any])?["upstream_history"] as? [String: Any] ?? [:]
            #expect(d["total"] as? Int == v1.count)
            let rows = d["data"] as? [Any] ?? []
            #expect(d["count"] as? Int == rows.count)
            paged += rows
            if rows.isEmpty { break }
            offset += 97
        }
        #expect(APITests.canonical(paged) == v1)
        let whole = try server.get("/api/trace/job/\(job)/result")
        #expect(whole.data["stage"] as? String == "events" && whole.data["trace_query_id"] as? String == traceId)
        #expect((whole.data["aggregation"] as? [String: Any])?["kpi"] != nil)
        #expect(((whole.data["results"] as? [String: Any])?["materials"] as? [String: Any])?["count"] as? Int
            == (try Self.v1Rows(server, job, "materials")).count)
        #expect((whole.data["quality_meta"] as? [String: Any])?["status"] as? String == "complete")

        // The stream carries real records for MSD, not the reference's empty ones.
        let stream = try server.get("/api/trace/job/\(job)/stream")
        #expect(stream.status == 200 && stream.header("Content-Type")?.hasPrefix("application/x-ndjson") == true)
        let lines = try Self.ndjson(stream.text)
        #expect(lines.first?["type"] as? String == "meta" && lines.first?["trace_query_id"] as? String == traceId)
        #expect(lines.last?["type"] as? String == "complete")
        let streamed = lines.filter { $0["type"] as? String == "records" && $0["domain"] as? String == "upstream_history" }
            .flatMap { $0["data"] as? [Any] ?? [] }
        #expect(APITests.canonical(streamed) == v1)
        #expect(lines.contains { $0["type"] as? String == "aggregation" })

        // The identical request reuses the job and, finished, answers from its spool.
        let again = try server.post("/api/trace/events", body)
        #expect(again.status == 200 && again.data["spool_hit"] as? Bool == true && again.data["job_id"] as? String == job, "\(again.text)")

        // MSD analysis for the same identity: that job, its masks applied at read time.
        let q = "start_date=\(window[0])&end_date=\(window[1])&station=%E6%B8%AC%E8%A9%A6&direction=backward"
        let reason = try #require(((whole.data["aggregation"] as? [String: Any])?["available_loss_reasons"] as? [String])?.first)
        let analysis = try server.get("/api/mid-section-defect/analysis?\(q)&loss_reasons=\(reason.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
        #expect(analysis.status == 200, "\(analysis.text)")
        #expect(analysis.data["trace_query_id"] as? String == traceId && analysis.data["job_id"] as? String == job)
        #expect(analysis.data["genealogy_status"] as? String == "ready" && analysis.data["materials_attribution"] == nil)
        let v1Summary = try server.get("/api/v1/jobs/\(job)/msd/summary?loss_reasons=\(reason.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)").data
        #expect(APITests.canonical([analysis.data["kpi"] ?? [:]]) == APITests.canonical([v1Summary["kpi"] ?? [:]]))
        #expect(APITests.canonical([analysis.data["charts"] ?? [:]]) == APITests.canonical([v1Summary["charts"] ?? [:]]))

        // Detail page and export by trace_query_id.
        let detail = try server.get("/api/mid-section-defect/analysis/detail?trace_query_id=\(traceId)&page=2&page_size=5")
        #expect(detail.status == 200, "\(detail.text)")
        let v1Detail = try server.get("/api/v1/jobs/\(job)/msd/detail?page=2&page_size=5").data
        #expect(APITests.canonical(detail.data["detail"] as? [Any] ?? []) == APITests.canonical(v1Detail["detail"] as? [Any] ?? []))
        let total = try #require((detail.data["pagination"] as? [String: Any])?["total_count"] as? Int)
        let csv = try server.get("/api/mid-section-defect/export?trace_query_id=\(traceId)")
        #expect(csv.status == 200 && csv.header("Content-Disposition") == "attachment; filename=defect_trace_\(traceId).csv")
        #expect(Array(csv.body.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let csvLines = csv.text.split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(csvLines.first?.contains("報廢原因") == true && csvLines.count == total + 1, "\(csvLines.count) lines for \(total) rows")
        let gone = try server.get("/api/mid-section-defect/analysis/detail?trace_query_id=msd-0123456789abcdef")
        #expect(gone.status == 410 && gone.errorCode == "CACHE_EXPIRED")

        // A window not traced yet: pending while its job runs.
        let pending = try server.get("/api/mid-section-defect/analysis?start_date=2026-04-10&end_date=2026-04-12")
        #expect(pending.status == 200 && pending.data["genealogy_status"] as? String == "pending", "\(pending.text)")
        #expect(pending.data["kpi"] as? [String: Any] != nil && (pending.data["daily_trend"] as? [Any])?.isEmpty == true)

        let options = try server.get("/api/mid-section-defect/station-options")
        #expect((options.json["data"] as? [[String: Any]])?.contains { $0["name"] as? String == "測試" && $0["order"] as? Int == 11 } == true)
        let reasons = try server.get("/api/mid-section-defect/loss-reasons")
        let independent = try JobKit.warehouse().query("""
            SELECT DISTINCT trim(lossreasonname) FROM dwh.dw_mes_lotrejecthistory
            WHERE txndate >= now() - interval '365 days' AND lossreasonname IS NOT NULL AND trim(lossreasonname) <> '' ORDER BY 1
            """)
        let expected = (0..<independent.rowCount).compactMap { independent.string($0, 0) }
        #expect(!expected.isEmpty && reasons.data["loss_reasons"] as? [String] == expected)
    }

    @Test("query_tool flow: seeds with not_found, the forward graph, events over the client's CIDs, reuse, abandon")
    func queryToolFlow() throws {
        let folder = TempFolder()
        let server = try Server(folder: folder.path)
        let lots = try JobKit.lots(3)
        let seed = try server.post("/api/trace/seed-resolve", ["profile": "query_tool", "params": ["resolve_type": "lot_id", "values": lots + ["NO-SUCH-LOT"]]])
        #expect(seed.status == 200, "\(seed.text)")
        let seeds = try #require(seed.data["seeds"] as? [[String: Any]])
        #expect(seeds.count == 3 && seed.data["not_found"] as? [String] == ["NO-SUCH-LOT"] && seed.data["seed_container_ids"] == nil)
        #expect(Set(seeds.compactMap { $0["container_name"] as? String }) == Set(lots))
        let cids = seeds.compactMap { $0["container_id"] as? String }

        let lin = try server.post("/api/trace/lineage", ["profile": "query_tool", "container_ids": cids])
        #expect(lin.status == 202, "\(lin.text)")
        let linJob = try #require(lin.data["job_id"] as? String)
        _ = try Self.poll(server, "/api/trace/lineage/job/\(linJob)", until: ["completed", "failed"])
        let graph = try server.get("/api/trace/lineage/job/\(linJob)/result")
        #expect(graph.status == 200 && graph.data["children_map"] is [String: Any], "\(graph.text.prefix(300))")
        let nodes = try #require(graph.data["nodes"] as? [String: Any])
        #expect(nodes.count == graph.data["total_nodes"] as? Int && Set(cids).isSubset(of: Set(nodes.keys)))
        // The same lineage again, finished: answered at once from its spool.
        let linAgain = try server.post("/api/trace/lineage", ["profile": "query_tool", "container_ids": Array(cids.reversed())])
        #expect(linAgain.status == 200 && linAgain.data["total_nodes"] as? Int == nodes.count)

        let body: [String: Any] = ["profile": "query_tool", "container_ids": Array(nodes.keys), "domains": ["history", "rejects"]]
        let ev = try server.post("/api/trace/events", body)
        #expect(ev.status == 202, "\(ev.text)")
        let job = try #require(ev.data["job_id"] as? String)
        #expect((ev.data["query_id"] as? String)?.hasPrefix("trc-") == true)
        let status = try Self.poll(server, "/api/trace/job/\(job)", until: ["finished", "failed"])
        #expect(status["status"] as? String == "finished" && status["cid_count"] as? Int == nodes.count, "\(status)")
        let result = try server.get("/api/trace/job/\(job)/result?domain=history")
        let history = (result.data["results"] as? [String: Any])?["history"] as? [String: Any] ?? [:]
        #expect(APITests.canonical(history["data"] as? [Any] ?? []) == (try Self.v1Rows(server, job, "history")))
        #expect((result.data["results"] as? [String: Any])?["rejects"] == nil && result.data["aggregation"] is NSNull)
        let again = try server.post("/api/trace/events", ["profile": "query_tool", "container_ids": Array(nodes.keys).shuffled(),
                                                          "domains": ["history", "rejects"]])
        #expect(again.data["job_id"] as? String == job && again.data["query_id"] as? String == ev.data["query_id"] as? String)
        let abandonFinished = try server.post("/api/job/\(job)/abandon", ["prefix": "trace-evt"])
        #expect(abandonFinished.status == 409 && abandonFinished.errorCode == "JOB_STATE_CONFLICT")
    }

    @Test("every documented error: codes, statuses, fields and meta.job_status, in the envelope")
    func errors() throws {
        let folder = TempFolder()
        let server = try Server(folder: folder.path, arguments: ["--no-workers"], environment: ["TRACESPOOL_REFERENCE_WAIT_SECONDS": "1"])
        func expectError(_ r: Server.Reply, _ status: Int, _ code: String, field: String? = nil, _ line: Int = #line) {
            #expect(r.status == status && r.errorCode == code, "line \(line): \(r.status) \(r.text.prefix(300))")
            #expect(r.json["success"] as? Bool == false && (r.json["meta"] as? [String: Any])?["timestamp"] != nil, "line \(line)")
            if let field { #expect((r.json["error"] as? [String: Any])?["field"] as? String == field, "line \(line): \(r.text)") }
        }
        expectError(try server.post("/api/trace/seed-resolve", ["profile": "nope", "params": [:] as [String: Any]]), 400, "INVALID_PROFILE", field: "profile")
        expectError(try server.call("POST", "/api/trace/seed-resolve", body: Data("[1,2]".utf8)), 400, "INVALID_PARAMS")
        expectError(try server.post("/api/trace/seed-resolve", ["profile": "query_tool", "params": "x"]), 400, "INVALID_PARAMS", field: "params")
        expectError(try server.post("/api/trace/seed-resolve", ["profile": "query_tool", "params": ["resolve_type": "lot_id", "values": [] as [String]]]),
                    400, "INVALID_PARAMS", field: "values")
        expectError(try server.post("/api/trace/seed-resolve", ["profile": "query_tool", "params": ["resolve_type": "serial_number", "values": ["x"]]]),
                    400, "INVALID_PARAMS", field: "resolve_type")
        expectError(try server.post("/api/trace/seed-resolve", ["profile": "mid_section_defect", "params": ["start_date": "2026-04-01"]]),
                    400, "INVALID_PARAMS", field: "start_date")
        expectError(try server.post("/api/trace/seed-resolve", ["profile": "mid_section_defect",
                                                               "params": ["date_range": ["2026-04-05", "2026-04-01"]]]), 400, "INVALID_PARAMS")
        expectError(try server.post("/api/trace/seed-resolve", ["profile": "mid_section_defect",
                                                               "params": ["date_range": ["2026-04-01", "2026-04-02"], "station": "火星"]]),
                    400, "INVALID_PARAMS", field: "station")
        expectError(try server.post("/api/trace/lineage", ["profile": "query_tool", "container_ids": [] as [String]]), 400, "INVALID_PARAMS", field: "container_ids")
        expectError(try server.post("/api/trace/events", ["profile": "query_tool", "container_ids": ["488103800010001e"]]), 400, "INVALID_PARAMS", field: "domains")
        expectError(try server.post("/api/trace/events", ["profile": "query_tool", "container_ids": ["488103800010001e"], "domains": ["nope"]]),
                    400, "INVALID_PARAMS", field: "domains")
        let many = (0..<50_001).map { String(format: "4881038%09x", $0) }
        let limit = try server.post("/api/trace/events", ["profile": "query_tool", "container_ids": many, "domains": ["history"]])
        expectError(limit, 413, "CID_LIMIT_EXCEEDED")
        #expect((limit.json["error"] as? [String: Any])?["cid_count"] as? Int == 50_001 && (limit.json["error"] as? [String: Any])?["limit"] as? Int == 50_000)
        expectError(try server.get("/api/trace/job/j20990101-000000-000000"), 404, "JOB_NOT_FOUND")
        expectError(try server.get("/api/trace/job/..%2F..%2Fetc"), 404, "JOB_NOT_FOUND")
        expectError(try server.get("/api/mid-section-defect/export?trace_query_id=msd-ffffffffffffffff"), 410, "CACHE_EXPIRED")
        expectError(try server.get("/api/mid-section-defect/analysis/detail"), 400, "INVALID_PARAMS", field: "trace_query_id")
        let wrong = try server.get("/api/trace/events")
        expectError(wrong, 405, "METHOD_NOT_ALLOWED")
        #expect(wrong.header("Allow") == "POST")

        // No worker runs here: jobs stay queued.
        let queued = try server.post("/api/trace/events", ["profile": "query_tool", "container_ids": ["488103800010001e"], "domains": ["history"]])
        #expect(queued.status == 202)
        let id = try #require(queued.data["job_id"] as? String)
        #expect(try server.get("/api/trace/job/\(id)").data["status"] as? String == "queued")
        for path in ["/api/trace/job/\(id)/result", "/api/trace/job/\(id)/stream", "/api/trace/lineage/job/\(id)/result"] {
            let r = try server.get(path)
            expectError(r, 409, "JOB_NOT_COMPLETE")
            #expect((r.json["meta"] as? [String: Any])?["job_status"] as? String != nil, "\(path): \(r.text)")
        }
        // "Synchronous" seed-resolve without a worker: after its wait, the job to poll.
        let slow = try server.post("/api/trace/seed-resolve", ["profile": "query_tool", "params": ["resolve_type": "lot_id", "values": ["WL26C0001"]]])
        #expect(slow.status == 202 && (slow.data["status_url"] as? String)?.hasPrefix("/api/trace/seed/job/") == true, "\(slow.text)")
        let seedJob = try #require(slow.data["job_id"] as? String)
        expectError(try server.get("/api/trace/seed/job/\(seedJob)/result"), 409, "JOB_NOT_COMPLETE")
        // A long MSD window is async at once.
        let long = try server.post("/api/trace/seed-resolve", ["profile": "mid_section_defect", "params": ["date_range": ["2026-03-01", "2026-05-01"]]])
        #expect(long.status == 202 && long.data["async"] as? Bool == true, "\(long.text)")
        // Abandon cancels for real.
        let abandoned = try server.post("/api/job/\(id)/abandon", ["prefix": "trace-evt"])
        #expect(abandoned.status == 200 && abandoned.data["status"] as? String == "abandoned", "\(abandoned.text)")
        #expect(try server.get("/api/v1/jobs/\(id)").data["state"] as? String == "cancelled")
        #expect(try server.get("/api/trace/job/\(id)").data["status"] as? String == "failed")
    }

    @Test("no detection at the station in the window: 404 NO_DETECTION_RECORDS, as the reference")
    func noDetection() throws {
        let folder = TempFolder()
        let server = try Server(folder: folder.path)
        let r = try server.post("/api/trace/seed-resolve", ["profile": "mid_section_defect", "params": ["date_range": ["2025-01-01", "2025-01-03"]]])
        #expect(r.status == 404 && r.errorCode == "NO_DETECTION_RECORDS", "\(r.text)")
    }

    @Test("the warehouse unreachable: the reference routes answer 503 in the envelope with Retry-After, as the reference did")
    func warehouseDown() throws {
        let folder = TempFolder()
        let server = try Server(folder: folder.path,
                                arguments: ["--no-workers", "--source", "host=/nonexistent-tracespool-socket dbname=nowhere connect_timeout=2"],
                                environment: ["TRACESPOOL_SOURCE_RETRY_SECONDS": "1", "TRACESPOOL_REFERENCE_WAIT_SECONDS": "1"])
        for path in ["/api/mid-section-defect/loss-reasons", "/api/mid-section-defect/station-options"] {
            let r = try server.get(path)
            if r.status == 200 { continue }  // a route that needs no warehouse
            #expect(r.status == 503, "\(path): \(r.status) \(r.text.prefix(300))")
            #expect(r.errorCode?.hasPrefix("SOURCE_") == true || r.errorCode == "SERVICE_UNAVAILABLE", "\(path): \(r.text.prefix(300))")
            #expect(r.header("Retry-After") == "30", "\(path): \(r.headers)")
            #expect(r.json["success"] as? Bool == false, "\(path)")
        }
        #expect(try server.get("/api/mid-section-defect/loss-reasons").status == 503)
    }
}
