import Foundation
import Testing

/// `TRACESPOOL_LOG_FORMAT=json`: every log event is one JSON object on stderr with its fields.
@Suite struct JSONLogTests {
    @Test("json logs: one object per event, job id and domain as fields, numbers as numbers")
    func jsonLines() throws {
        let folder = TempFolder()
        let r = try runCLI(["run", "--json", "--cids", try JobKit.cids(3).joined(separator: ","), "--domains", "history",
                            "--source", try TestEnvironment.warehouse(), "--spool-dir", folder.path],
                           environment: ["TRACESPOOL_LOG_FORMAT": "json", "TRACESPOOL_LOG_LEVEL": "info"])
        #expect(r.status == 0, "\(r.stderr)")
        let id = try parseJSONObject(r.stdout)["job_id"] as? String
        let events = try r.stderr.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(!events.isEmpty, "\(r.stderr)")
        for e in events {
            #expect(e["ts"] is String && e["level"] is String && e["message"] is String, "\(e)")
        }
        let done = try #require(events.first { $0["message"] as? String == "domain done" }, "\(r.stderr)")
        #expect(done["job"] as? String == id)
        #expect(done["domain"] as? String == "history")
        #expect(done["rows"] is Int, "\(done)")
    }
}
