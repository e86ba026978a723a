import Foundation
import Testing
import TracespoolJobs
import TracespoolSpool

/// kill -9 of a real worker process at moments spread over every stage; a fresh worker finishes
/// the job from its ledger, and its exports are byte-identical to an uninterrupted run's.
@Suite(.serialized) struct JobCrashTests {
    /// Kills a worker running `id` when the catalog shows it in `target` (a stage, or an event
    /// domain in the progress text), after 0–15 ms more; returns where it really was.
    func killDuring(_ id: String, target: String, folder: String, source: String) throws -> String {
        let worker = try BackgroundCLI(["worker", "--once", "--source", source, "--spool-dir", folder],
                                       environment: JobKit.fastLease, folder: folder)
        var seen = "not started"
        _ = try eventually(20) {
            guard let store = SQLiteJobStore.reading(folder: folder), let job = try store.get(id: id) else { return false }
            seen = job.state == .running ? "\(job.stage ?? "")/\(job.progress ?? "")" : job.state.rawValue
            return job.state != .queued && job.state != .running
                || job.stage == target || (job.progress ?? "").hasPrefix(target + " ")
                || !worker.process.isRunning
        }
        Thread.sleep(forTimeInterval: Double.random(in: 0...0.015))
        if let store = SQLiteJobStore.reading(folder: folder), let job = try store.get(id: id) {
            seen = job.state == .running ? (job.stage == "events" ? (job.progress ?? "events").split(separator: " ").first.map(String.init) ?? "events" : job.stage ?? "?") : job.state.rawValue
        }
        worker.signal(SIGKILL)
        worker.wait(seconds: 10)
        return seen
    }

    func rounds(profileArgs: [String], targets: [String], domain: String, msd: Bool) throws {
        let folder = TempFolder()
        let source = try TestEnvironment.warehouse()
        let args = profileArgs + ["--source", source]
        // The uninterrupted run.
        let clean = try runCLI(["run", "--json", "--spool-dir", folder.path] + args)
        #expect(clean.status == 0, "\(clean.stderr)")
        let cleanId = try parseJSONObject(clean.stdout)["job_id"] as? String ?? ""
        let cleanNDJSON = try JobKit.ndjson(cleanId, folder.path)
        let cleanCSV = try JobKit.csv(cleanId, folder.path, domain: domain)
        let cleanSummary = msd ? try runCLI(["msd", "summary", cleanId, "--spool-dir", folder.path]).stdout
            .replacingOccurrences(of: cleanId, with: "JOB") : ""
        #expect(cleanNDJSON.count > 1000)

        var killedAt: [String] = []
        for round in 0..<12 {
            let target = targets[round % targets.count]
            let id = try JobKit.submit(profileArgs, folder.path)
            let seen = try killDuring(id, target: target, folder: folder.path, source: source)
            killedAt.append(seen)
            try JobKit.finish(id, folder.path, source: source)
            let job = try JobKit.show(id, folder.path)
            #expect(job["state"] as? String == "succeeded", "round \(round) (\(seen)): \(job)")
            #expect(job["quality"] as? String == "complete", "round \(round) (\(seen)): \(job)")
            #expect(try JobKit.ndjson(id, folder.path) == cleanNDJSON, "round \(round): NDJSON differs after a kill in \(seen)")
            #expect(try JobKit.csv(id, folder.path, domain: domain) == cleanCSV, "round \(round): CSV differs after a kill in \(seen)")
            if msd {
                #expect(try runCLI(["msd", "summary", id, "--spool-dir", folder.path]).stdout.replacingOccurrences(of: id, with: "JOB") == cleanSummary,
                        "round \(round): MSD summary differs after a kill in \(seen)")
            }
            if (job["attempts"] as? Int ?? 0) > 1 {
                // A resumed job says so: the reason and both snapshot times.
                let resumes = job["resumes"] as? [String] ?? []
                #expect(!resumes.isEmpty && (resumes.first!.contains("resumed") || resumes.first!.contains("restarted")), "\(job)")
                // Every attempt that reached its spool left its snapshot time (one killed before
                // creating the spool had nothing to write it to).
                let times = (job["snapshot_times"] as? [String])?.count ?? 0
                if resumes.allSatisfy({ $0.contains("resumed") }) {
                    #expect(times == 1 + resumes.count, "\(job)")
                } else {
                    #expect(times >= 1 && times <= 1 + resumes.count, "\(job)")
                }
            }
            // No orphan: every job file belongs to a job of the catalog.
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("j") }
            let store = try #require(SQLiteJobStore.reading(folder: folder.path))
            for f in files { #expect(try store.get(id: String(f.prefix(23))) != nil, "orphan file \(f)") }
        }
        print("killed at: \(killedAt.joined(separator: ", "))")
        #expect(Set(killedAt).count >= 4, "kills were not spread over the stages: \(killedAt)")
        let catalog = try SQLiteDatabase(path: SQLiteJobStore.path(in: folder.path), mode: .readOnly)
        #expect(try catalog.scalarText("PRAGMA integrity_check") == "ok")
    }

    @Test("kill -9 of a query_tool worker at 12 moments over seeds, lineage and every event domain")
    func queryTool() throws {
        let lots = try JobKit.lots(60).joined(separator: ",")
        try rounds(profileArgs: ["--lot-ids", lots, "--cid-batch", "2"],
                   targets: ["seeds", "lineage", "history", "materials", "rejects", "holds", "jobs"], domain: "history", msd: false)
    }

    @Test("kill -9 of an MSD worker at 12 moments over seeds, detection, lineage, events, resources and aggregation")
    func midSectionDefect() throws {
        try rounds(profileArgs: ["--profile", "mid_section_defect", "--from", "2026-03-01", "--to", "2026-03-20", "--cid-batch", "4"],
                   targets: ["seeds", "detection", "lineage", "upstream_history", "materials", "resources", "aggregate"],
                   domain: "upstream_history", msd: true)
    }
}
