import Foundation
import Logging

/// N worker threads over one runner (README "Jobs"): each claims the oldest queued or
/// lease-expired job, runs it, and looks again; an empty queue is polled every `pollSeconds`.
/// One of them also collects expired spools once a minute. `shutdown()` stops claiming and hands
/// the running jobs back to the queue.
public final class WorkerPool: @unchecked Sendable {
    let runner: JobRunner
    let concurrency: Int
    let once: Bool
    let pollSeconds: Double
    let logger: Logger
    private let lock = NSLock()
    private var stopping = false
    private var notGood = 0
    private let wake = DispatchSemaphore(value: 0)
    /// Workers waiting on `wake` for their next poll: a notification wakes one of them, and none
    /// when all are busy (so a burst of submits never piles up wake-ups to spin through).
    private var idle = 0
    /// Called with each job's id and how it ended (default: one line on stdout).
    public var onFinished: (String, JobRunner.Execution, Double) -> Void = WorkerPool.report

    public init(runner: JobRunner, concurrency: Int, once: Bool, pollSeconds: Double, logger: Logger) {
        self.runner = runner
        self.concurrency = concurrency
        self.once = once
        self.pollSeconds = pollSeconds
        self.logger = logger
    }

    public var isStopping: Bool { lock.withLock { stopping } }

    public func shutdown() {
        lock.withLock { stopping = true }
        runner.stopAll(.shutdown)
        for _ in 0..<concurrency { wake.signal() }
    }

    /// Runs until shutdown (or, with `once`, until nothing is left); true when every job it ran
    /// succeeded complete.
    @discardableResult
    public func run() -> Bool {
        // A submit on any host wakes an idle worker at once where the store can say so; the poll
        // below stays the guarantee.
        let listener = once ? nil : runner.store.listenForWork(logger: logger) { [self] in wakeIdle() }
        defer { listener?.stop() }
        let done = DispatchGroup()
        for k in 0..<concurrency {
            done.enter()
            let t = Thread { [self] in
                defer { done.leave() }
                loop(collector: k == 0)
            }
            t.stackSize = 1 << 20
            t.start()
        }
        done.wait()
        return lock.withLock { notGood == 0 }
    }

    private func loop(collector: Bool) {
        var lastCollect = Date.distantPast
        while !isStopping {
            if collector && Date().timeIntervalSince(lastCollect) > 60 {
                lastCollect = Date()
                collect()
            }
            let claim: Claim?
            do { claim = try runner.store.claim(worker: runner.worker, leaseSeconds: runner.leaseSeconds, only: nil) } catch {
                logger.error("cannot claim from the catalog", metadata: ["error": "\(error)"])
                claim = nil
            }
            guard let claim else {
                if once { return }
                lock.withLock { idle += 1 }
                _ = wake.wait(timeout: .now() + pollSeconds)
                lock.withLock { idle -= 1 }
                continue
            }
            let t0 = Date()
            let outcome = runner.execute(claim)
            switch outcome {
            case .finished(let r) where r.quality == .complete: break
            default: lock.withLock { notGood += 1 }
            }
            onFinished(claim.id, outcome, Date().timeIntervalSince(t0))
        }
    }

    private func wakeIdle() {
        if lock.withLock({ idle > 0 }) { wake.signal() }
    }

    private func collect() {
        do {
            let r = try Retention(store: runner.store, spoolDir: runner.spoolDir).collect()
            if !(r.expired.isEmpty && r.evicted.isEmpty && r.cleaned.isEmpty) {
                logger.notice("retention", metadata: ["expired": "\(r.expired.count)", "evicted": "\(r.evicted.count)",
                                                      "freed_bytes": "\(r.freedBytes)"])
            }
        } catch {
            logger.warning("retention failed", metadata: ["error": "\(error)"])
        }
    }

    public static func report(_ id: String, _ e: JobRunner.Execution, _ seconds: Double) {
        let what: String
        switch e {
        case .finished(let r): what = "succeeded (\(r.quality.rawValue)), \(r.cidCount) CIDs"
        case .failed(let f): what = f.code == "CANCELLED" ? "cancelled" : "failed: \(f.code): \(f.message)"
        case .stoodDown: what = "stood down (another worker holds it)"
        case .released: what = "handed back to the queue"
        }
        // The worker's output: one line per job it ran (logs and failures' details go to stderr).
        FileHandle.standardOutput.write(Data("\(id) \(what) in \(String(format: "%.1f", seconds)) s\n".utf8))
    }
}
