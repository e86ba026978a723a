import Foundation
import Testing
@testable import TracespoolJobs
import TracespoolSpool

/// `JobReuse.answering` (the reference routes' cache, README "Reference routes"): a failed job
/// answers its request for `failureHoldSeconds`, so a front end polling the same analysis sees the
/// failure instead of a fresh job each call; after that a request retries it.
@Suite struct AnsweringReuseTests {
    func submission(_ key: String) -> Submission {
        Submission(id: JobId.make(), profile: "mid_section_defect", requestJSON: "{}", requestKey: key, ttlSeconds: 3600, cidCount: nil)
    }

    func failed(_ store: SQLiteJobStore, _ key: String) throws -> String {
        let job = try store.submit(submission(key), reuse: .answering).record
        let claim = try #require(try store.claim(worker: "w1", leaseSeconds: 30, only: job.id))
        #expect(try store.finish(claim, JobOutcome(state: .failed, errorCode: "SOURCE_UNAVAILABLE", errorMessage: "the warehouse is down")))
        return job.id
    }

    @Test("a failure answers for failureHoldSeconds; an older one, or a reuse that is not answering, queues a new job")
    func failureHeld() throws {
        let folder = TempFolder()
        let store = try SQLiteJobStore(folder: folder.path)
        let recent = try failed(store, "k-recent")
        let again = try store.submit(submission("k-recent"), reuse: .answering)
        #expect(again.reused && again.record.id == recent && again.record.state == .failed, "\(again)")
        #expect(again.record.errorCode == "SOURCE_UNAVAILABLE")
        // The CLI's reuse never answers with a failure.
        let retried = try store.submit(submission("k-recent"), reuse: .active)
        #expect(!retried.reused && retried.record.state == .queued)
        // A queued retry is a better answer than the failure it retries.
        #expect(try store.submit(submission("k-recent"), reuse: .answering).record.id == retried.record.id)

        let old = try failed(store, "k-old")
        let catalog = try SQLiteDatabase(path: SQLiteJobStore.path(in: folder.path), mode: .readWrite)
        let aged = UTCTime.iso(Date(timeIntervalSinceNow: -JobReuse.failureHoldSeconds - 5))
        try catalog.run("UPDATE jobs SET finished_at = ?1 WHERE id = ?2", [.text(aged), .text(old)])
        let fresh = try store.submit(submission("k-old"), reuse: .answering)
        #expect(!fresh.reused && fresh.record.id != old && fresh.record.state == .queued, "\(fresh)")
    }
}
