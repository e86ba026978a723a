import Foundation
import TracespoolJobs

/// The signal or the --wait-seconds deadline: no further claims, and the job running here goes
/// back to the queue after its current statement (resumable from its ledger by any worker).
final class NightlyStop: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private let runner: JobRunner

    init(runner: JobRunner) { self.runner = runner }

    var isStopped: Bool { lock.withLock { stopped } }

    func trigger() {
        lock.withLock { stopped = true }
        runner.stopAll(.shutdown)
    }
}

/// Brings one submitted job to a finished state: claims exactly that job and runs it here, or —
/// when a worker already holds it (a reused request, `--no-run`) — waits for it.
enum NightlyDriver {
    static func finish(_ id: String, runner: JobRunner, run: Bool, stop: NightlyStop) -> JobRecord? {
        while true {
            let record = try? runner.store.get(id: id)
            if let record, record.state.isFinished || record.state == .expired { return record }
            if stop.isStopped { return record }
            if run, let claim = try? runner.store.claim(worker: runner.worker, leaseSeconds: runner.leaseSeconds, only: id) {
                _ = runner.execute(claim)
                continue
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }
}
