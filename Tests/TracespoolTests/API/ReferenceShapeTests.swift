import Foundation
import Testing

/// Every answer of the reference routes checked field by field against the reference's documented
/// JSON (`ReferenceShapes`): names, types and nesting down to the last array element, over a real
/// socket on the test warehouse, in both MSD directions and both query_tool profiles.
@Suite(.serialized) struct ReferenceShapeTests {
    typealias Server = APIServerProcess
    typealias Shapes = ReferenceShapes

    /// Checks the envelope and the `data` of one answer; returns the data.
    @discardableResult
    static func expectShape(_ reply: Server.Reply, _ shape: JSONShape, status: Int = 200, _ what: String) -> [String: Any] {
        #expect(reply.status == status, "\(what): \(reply.status) \(reply.text.prefix(300))")
        let envelope = Shapes.success.violations(reply.json)
        #expect(envelope.isEmpty, "\(what) envelope: \(envelope)")
        let v = shape.violations(reply.json["data"])
        #expect(v.isEmpty, "\(what): \(v.joined(separator: "; "))")
        return reply.data
    }

    /// Polls until a status in `done`; every answer on the way is checked, each difference told once.
    static func poll(_ server: Server, _ path: String, _ shape: JSONShape, until done: Set<String>) throws -> [String: Any] {
        var last: [String: Any] = [:]
        var seen: Set<String> = []
        _ = try eventually(120) {
            let reply = try server.get(path)
            #expect(reply.status == 200, "GET \(path): \(reply.status) \(reply.text.prefix(300))")
            seen.formUnion(Shapes.success.violations(reply.json) + shape.violations(reply.json["data"]))
            last = reply.data
            return done.contains(last["status"] as? String ?? "")
        }
        #expect(seen.isEmpty, "GET \(path) while polled: \(seen.sorted())")
        return last
    }

    /// Every line of a stream against its type's shape, the aggregation's data against `summary`.
    static func expectStream(_ server: Server, _ id: String, summary: JSONShape?) throws {
        let stream = try server.get("/api/trace/job/\(id)/stream")
        #expect(stream.status == 200)
        var types: [String] = []
        for line in stream.text.split(separator: "\n") {
            let object = try parseJSONObject(String(line))
            let type = object["type"] as? String ?? "?"
            types.append(type)
            let shape = try #require(Shapes.streamLines[type], "a line of an undocumented type: \(type)")
            let v = shape.violations(object)
            #expect(v.isEmpty, "stream \(type): \(v)")
            if type == "aggregation", let summary {
                let s = summary.violations(object["data"])
                #expect(s.isEmpty, "stream aggregation: \(s)")
            }
        }
        #expect(types.first == "meta" && types.last == "complete" && types.dropLast().last == "quality_meta", "\(Set(types))")
        #expect(types.contains("records") && (summary == nil || types.contains("aggregation")), "\(Set(types))")
    }

    /// Forward runs from a front station (焊接_DB): 測試 is the last one, with nothing downstream.
    func msd(direction: String, station: String, domains: [String], summary: JSONShape, analysis: JSONShape, row: JSONShape) throws {
        let folder = TempFolder()
        let server = try Server(folder: folder.path)
        let window = ["2026-04-01", "2026-04-05"]
        let params: [String: Any] = ["mode": "date_range", "date_range": window, "station": station, "direction": direction]

        let seed = try server.post("/api/trace/seed-resolve", ["profile": "mid_section_defect", "params": params])
        let seeds = try #require(Self.expectShape(seed, Shapes.seedResolveMSD, "seed-resolve")["seed_container_ids"] as? [String])
        let lin = try server.post("/api/trace/lineage", ["profile": "mid_section_defect", "container_ids": seeds, "params": params])
        let linJob = try #require(Self.expectShape(lin, Shapes.lineageAsync, status: 202, "lineage")["job_id"] as? String)
        _ = try Self.poll(server, "/api/trace/lineage/job/\(linJob)", Shapes.stageJob, until: ["completed", "failed"])
        Self.expectShape(try server.get("/api/trace/lineage/job/\(linJob)/result"), Shapes.lineageCompact, "lineage result")

        let body: [String: Any] = ["profile": "mid_section_defect", "container_ids": seeds, "seed_container_ids": seeds,
                                   "domains": domains, "params": params,
                                   "lineage_query_id": lin.data["query_id"] as? String ?? ""]
        let ev = try server.post("/api/trace/events", body)
        let job = try #require(Self.expectShape(ev, Shapes.eventsAsync, status: 202, "events")["job_id"] as? String)
        let status = try Self.poll(server, "/api/trace/job/\(job)", Shapes.eventsJob, until: ["finished", "failed"])
        #expect(status["status"] as? String == "finished", "\(status)")
        Self.expectShape(try server.get("/api/trace/job/\(job)/result"), Shapes.eventsResult(aggregation: summary), "events result")
        Self.expectShape(try server.get("/api/trace/job/\(job)/result?domain=\(domains[0])&offset=10&limit=25"),
                         Shapes.eventsResult(aggregation: summary), "events result page")
        try Self.expectStream(server, job, summary: summary)
        if direction == "backward" {
            Self.expectShape(try server.post("/api/trace/events", body), Shapes.spoolHit, "events spool hit")
        }

        let q = "start_date=\(window[0])&end_date=\(window[1])&station=\(station.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&direction=\(direction)"
        let a = Self.expectShape(try server.get("/api/mid-section-defect/analysis?\(q)"), analysis, "analysis")
        #expect(a["genealogy_status"] as? String == "ready")
        // Shapes of array elements are only checked where there are elements: the window has them.
        let charts = a["charts"] as? [String: [Any]] ?? [:]
        #expect(charts.count >= 4 && charts.values.allSatisfy { !$0.isEmpty }, "empty charts: \(charts.filter { $0.value.isEmpty }.keys)")
        #expect(!(a["daily_trend"] as? [Any] ?? []).isEmpty)
        if direction == "forward" {
            let cells = (a["loss_reason_workcenter_crosstab"] as? [String: Any])?["cells"] as? [Any] ?? []
            #expect(!cells.isEmpty)
        }
        let traceId = try #require(a["trace_query_id"] as? String)
        let detail = Self.expectShape(try server.get("/api/mid-section-defect/analysis/detail?trace_query_id=\(traceId)&direction=\(direction)&page_size=500"),
                                      Shapes.detail(row), "detail")
        #expect(!(detail["detail"] as? [Any] ?? []).isEmpty, "no detail rows to check")
        // A window not traced yet: the pending answer has the same fields, charts empty — all but
        // trace_query_id, which hashes seeds the job has not found yet (null; README "Reference routes").
        let pending = try server.get("/api/mid-section-defect/analysis?start_date=2026-04-10&end_date=2026-04-12&station=\(station.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&direction=\(direction)")
        var p = pending.data
        #expect(p["trace_query_id"] is NSNull)
        p["trace_query_id"] = "msd-pending"
        let v = analysis.violations(p)
        #expect(v.isEmpty, "pending analysis: \(v)")
        #expect(pending.data["genealogy_status"] as? String == "pending")
    }

    @Test("MSD backward: seed-resolve, lineage job and compact result, events job, result, stream, spool hit, analysis, detail, pending — every field as documented")
    func backwardShapes() throws {
        try msd(direction: "backward", station: "測試", domains: ["upstream_history", "materials"], summary: Shapes.backwardSummary,
                analysis: Shapes.backwardAnalysis, row: Shapes.backwardDetailRow)
    }

    @Test("MSD forward: the forward summary (KPI, four charts, crosstab, matrix, trends), its analysis and detail rows — every field as documented")
    func forwardShapes() throws {
        try msd(direction: "forward", station: "焊接_DB", domains: ["upstream_history", "downstream_rejects"], summary: Shapes.forwardSummary,
                analysis: Shapes.forwardAnalysis, row: Shapes.forwardDetailRow)
    }

    @Test("query_tool and query_tool_reverse: seeds, the full forward and backward graphs, events with no aggregation; the MSD seed job of a long window; options, reasons and errors")
    func queryToolShapes() throws {
        let folder = TempFolder()
        let server = try Server(folder: folder.path)
        let gdLots = try JobKit.warehouse().query("SELECT containername FROM dwh.dw_mes_container WHERE containername LIKE 'GD%' ORDER BY 1 LIMIT 3")
        let reverseLots = (0..<gdLots.rowCount).compactMap { gdLots.string($0, 0) }
        // query_tool_reverse starts from GD lots.
        for (profile, type, lots, graph) in [("query_tool", "lot_id", try JobKit.lots(3), Shapes.lineageForward),
                                             ("query_tool_reverse", "gd_lot_id", reverseLots, Shapes.lineageBackward)] {
            #expect(lots.count == 3)
            let seed = try server.post("/api/trace/seed-resolve", ["profile": profile, "params": ["resolve_type": type, "values": lots + [type == "gd_lot_id" ? "GD-NO-SUCH-LOT" : "NO-SUCH-LOT"]]])
            let seeds = Self.expectShape(seed, Shapes.seedResolveLots, "\(profile) seed-resolve")["seeds"] as? [[String: Any]] ?? []
            let cids = seeds.compactMap { $0["container_id"] as? String }
            let lin = try server.post("/api/trace/lineage", ["profile": profile, "container_ids": cids])
            let linJob = try #require(Self.expectShape(lin, Shapes.lineageAsync, status: 202, "\(profile) lineage")["job_id"] as? String)
            _ = try Self.poll(server, "/api/trace/lineage/job/\(linJob)", Shapes.stageJob, until: ["completed", "failed"])
            let g = Self.expectShape(try server.get("/api/trace/lineage/job/\(linJob)/result"), graph, "\(profile) lineage result")
            let nodes = Array((g["nodes"] as? [String: Any] ?? [:]).keys)
            #expect(!nodes.isEmpty)
            let ev = try server.post("/api/trace/events", ["profile": profile, "container_ids": nodes, "domains": ["history", "rejects", "materials"]])
            let job = try #require(Self.expectShape(ev, Shapes.eventsAsync, status: 202, "\(profile) events")["job_id"] as? String)
            _ = try Self.poll(server, "/api/trace/job/\(job)", Shapes.eventsJob, until: ["finished", "failed"])
            Self.expectShape(try server.get("/api/trace/job/\(job)/result"), Shapes.eventsResult(aggregation: .null), "\(profile) events result")
            try Self.expectStream(server, job, summary: nil)
        }

        // A window over 10 days: the seed stage is a job of its own, polled, then its result.
        let long: [String: Any] = ["mode": "date_range", "date_range": ["2026-03-01", "2026-03-20"], "station": "測試", "direction": "backward"]
        let async = try server.post("/api/trace/seed-resolve", ["profile": "mid_section_defect", "params": long])
        let seedJob = try #require(Self.expectShape(async, Shapes.seedAsync, status: 202, "seed-resolve async")["job_id"] as? String)
        let seedStatus = try Self.poll(server, "/api/trace/seed/job/\(seedJob)", Shapes.stageJob, until: ["completed", "failed"])
        #expect(seedStatus["status"] as? String == "completed", "\(seedStatus)")
        Self.expectShape(try server.get("/api/trace/seed/job/\(seedJob)/result"), Shapes.seedResolveMSD, "seed job result")

        let options = try server.get("/api/mid-section-defect/station-options")
        #expect(Shapes.success.violations(options.json).isEmpty)
        let o = Shapes.stationOptions.violations(options.json["data"])
        #expect(o.isEmpty && !(options.json["data"] as? [Any] ?? []).isEmpty, "station-options: \(o)")
        Self.expectShape(try server.get("/api/mid-section-defect/loss-reasons"), Shapes.lossReasons, "loss-reasons")

        // Errors: the failure envelope, whatever the status.
        for (path, status) in [("/api/trace/job/trace-evt-000000000000", 404), ("/api/trace/lineage/job/nope/result", 404),
                               ("/api/mid-section-defect/analysis/detail?trace_query_id=msd-0123456789abcdef", 410)] {
            let r = try server.get(path)
            let v = Shapes.failure.violations(r.json)
            #expect(r.status == status && v.isEmpty, "\(path): \(r.status) \(v)")
        }
        let bad = try server.post("/api/trace/events", ["profile": "query_tool", "container_ids": [], "domains": ["history"]])
        #expect(bad.status == 400 && Shapes.failure.violations(bad.json).isEmpty, "\(bad.text)")
    }
}
