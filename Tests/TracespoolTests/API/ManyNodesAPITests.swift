import Foundation
import Testing
@testable import TracespoolJobs

/// Two API nodes on one PostgreSQL store (README "Many hosts"): node A runs the workers and holds
/// every spool, node B only answers. B forwards each read to A and streams A's answer back, so
/// both give the same bytes; with A killed, B answers a job's status from the store and its reads
/// with 503 `SPOOL_UNAVAILABLE` and `Retry-After`.
@Suite(.serialized) struct ManyNodesAPITests {
    @Test("a read through the node without the spool is proxied to its owner: identical bytes; owner killed → 503 SPOOL_UNAVAILABLE, status from the store")
    func proxyToOwner() throws {
        let store = try ScratchDatabase("mnstore", schema: false)
        _ = try PostgresJobStore.migrate(url: store.conninfo)
        let folderA = TempFolder(), folderB = TempFolder()
        let portA = APIServerProcess.freePort()
        let a = try APIServerProcess(folder: folderA.path, environment: [
            "TRACESPOOL_STORE": try TestEnvironment.uri(database: store.name), "TRACESPOOL_NODE_ID": "node-a"], port: portA)
        let b = try APIServerProcess(folder: folderB.path, arguments: ["--no-workers"], environment: [
            "TRACESPOOL_STORE": try TestEnvironment.uri(database: store.name), "TRACESPOOL_NODE_ID": "node-b"])
        // Submitted on B: its request list travels in the store to A's worker.
        let submitted = try b.post("/api/v1/jobs", ["lot_ids": try JobKit.lots(12), "domains": ["history", "materials"]])
        #expect(submitted.status == 202, "\(submitted.text)")
        let id = try #require(submitted.data["job_id"] as? String)
        let done = try b.waitFinished(id)
        #expect(done["state"] as? String == "succeeded" && done["node"] as? String == "node-a", "\(done)")
        #expect(FileManager.default.fileExists(atPath: "\(folderA.path)/\(id).sqlite"))
        #expect(!FileManager.default.fileExists(atPath: "\(folderB.path)/\(id).sqlite"), "B never holds the spool")

        let reads = ["/api/v1/jobs/\(id)/rows?domain=history&limit=50", "/api/v1/jobs/\(id)/stream",
                     "/api/v1/jobs/\(id)/export.csv?domain=materials", "/api/v1/jobs/\(id)/lineage",
                     "/api/trace/job/\(id)/stream", "/api/trace/job/\(id)/result?domain=history&offset=10&limit=20"]
        for path in reads {
            let direct = try a.get(path), proxied = try b.get(path)
            #expect(direct.status == 200 && proxied.status == 200, "\(path): \(direct.status) \(proxied.status) \(proxied.text.prefix(300))")
            #expect(proxied.header("X-Tracespool-Proxied-By") == "node-a", "\(path)")
            // The envelope's meta.timestamp differs by the moment of the answer; everything else is A's.
            #expect(Self.withoutTimestamp(direct.text) == Self.withoutTimestamp(proxied.text), "\(path): proxied bytes differ")
            #expect(proxied.body.count > 50, "\(path)")
        }
        // A cursor from a proxied page works on either node.
        let page = try b.get("/api/v1/jobs/\(id)/rows?domain=history&limit=7")
        let next = try #require(page.data["next_url"] as? String)
        #expect(Self.withoutTimestamp(try a.get(next).text) == Self.withoutTimestamp(try b.get(next).text))
        // A request already forwarded once is answered by B itself: no second hop, no loop.
        let looped = try b.get("/api/v1/jobs/\(id)/rows?domain=history", headers: ["X-Tracespool-Proxied-By": "node-x"])
        #expect(looped.status == 503 && looped.errorCode == "SPOOL_UNAVAILABLE", "\(looped.status) \(looped.text)")

        // The reference's MSD routes find their job from the query string: submitted and read via
        // B, answered by A's spool.
        let q = "start_date=2026-04-01&end_date=2026-04-05&station=%E6%B8%AC%E8%A9%A6&direction=backward"
        var analysis = try b.get("/api/mid-section-defect/analysis?\(q)")
        _ = try eventually(90) {
            analysis = try b.get("/api/mid-section-defect/analysis?\(q)")
            return analysis.status != 200 || analysis.data["genealogy_status"] as? String != "pending"
        }
        #expect(analysis.status == 200 && analysis.header("X-Tracespool-Proxied-By") == "node-a", "\(analysis.status) \(analysis.text.prefix(300))")
        let traceId = try #require(analysis.data["trace_query_id"] as? String)
        let msdReads = ["/api/mid-section-defect/analysis?\(q)", "/api/mid-section-defect/analysis/detail?trace_query_id=\(traceId)&page=1&page_size=5",
                        "/api/mid-section-defect/export?trace_query_id=\(traceId)"]
        for path in msdReads {
            let direct = try a.get(path), proxied = try b.get(path)
            #expect(direct.status == 200 && proxied.status == 200, "\(path): \(direct.status) \(proxied.status) \(proxied.text.prefix(300))")
            #expect(Self.withoutTimestamp(direct.text) == Self.withoutTimestamp(proxied.text), "\(path): proxied bytes differ")
        }

        // The owner gone: B knows the job from the store but cannot read its spool.
        a.process.signal(SIGKILL)
        a.process.process.waitUntilExit()
        let status = try b.get("/api/v1/jobs/\(id)")
        #expect(status.status == 200 && status.data["state"] as? String == "succeeded", "\(status.text)")
        #expect(status.data["spool_available"] as? Bool == false && status.data["node"] as? String == "node-a")
        for path in reads {
            let r = try b.get(path)
            #expect(r.status == 503 && r.errorCode == "SPOOL_UNAVAILABLE", "\(path): \(r.status) \(r.text.prefix(200))")
            #expect(r.header("Retry-After") == "5", "\(path)")
            let message = (r.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("node-a"), "\(path): the message names the owner: \(message)")
        }
        for path in msdReads.dropFirst() {
            let r = try b.get(path)
            #expect(r.status == 503 && r.errorCode == "SPOOL_UNAVAILABLE", "\(path): not 410 CACHE_EXPIRED while its owner is only down: \(r.text.prefix(200))")
        }
        let reference = try b.get("/api/trace/job/\(id)")
        #expect(reference.status == 200, "the reference status route answers from the store: \(reference.text)")
    }

    @Test("a spool folder every node mounts (TRACESPOOL_SPOOL_SHARED=1): the other node reads a finished job's spool itself, also with its owner down")
    func sharedSpoolFolder() throws {
        let store = try ScratchDatabase("mnshared", schema: false)
        _ = try PostgresJobStore.migrate(url: store.conninfo)
        let folder = TempFolder()
        let env = ["TRACESPOOL_STORE": try TestEnvironment.uri(database: store.name), "TRACESPOOL_SPOOL_SHARED": "1"]
        let a = try APIServerProcess(folder: folder.path, environment: env.merging(["TRACESPOOL_NODE_ID": "node-a"]) { _, n in n },
                                     port: APIServerProcess.freePort())
        let b = try APIServerProcess(folder: folder.path, arguments: ["--no-workers"],
                                     environment: env.merging(["TRACESPOOL_NODE_ID": "node-b"]) { _, n in n })
        let submitted = try b.post("/api/v1/jobs", ["lot_ids": try JobKit.lots(6), "domains": ["history"]])
        let id = try #require(submitted.data["job_id"] as? String, "\(submitted.text)")
        let done = try b.waitFinished(id)
        #expect(done["state"] as? String == "succeeded" && done["node"] as? String == "node-a", "\(done)")
        let path = "/api/v1/jobs/\(id)/export.csv?domain=history"
        let direct = try a.get(path)
        a.process.signal(SIGKILL)
        a.process.process.waitUntilExit()
        let onB = try b.get(path)
        #expect(onB.status == 200 && onB.header("X-Tracespool-Proxied-By") == nil, "read by B itself: \(onB.status) \(onB.text.prefix(200))")
        #expect(onB.body == direct.body && direct.body.count > 100)
        #expect(try b.get("/api/v1/jobs/\(id)").data["spool_available"] == nil, "B holds the spool: no spool_available:false")
    }

    static func withoutTimestamp(_ s: String) -> String {
        s.replacingOccurrences(of: #""timestamp":"[^"]*""#, with: "\"timestamp\":\"\"", options: .regularExpression)
    }
}
