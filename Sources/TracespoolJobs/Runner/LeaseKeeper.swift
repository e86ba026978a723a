import Foundation
import Logging
import TracespoolPipeline

/// Why a running job is being stopped by its own process.
public enum JobStop: String, Sendable {
    /// `jobs cancel` (or the API): the job ends `cancelled`.
    case cancelRequested
    /// The heartbeat found another worker holds the job: write nothing more, stand down.
    case leaseLost
    /// The worker is shutting down (SIGTERM, first Ctrl-C): the job goes back to the queue.
    case shutdown
}

/// The first reason a job was stopped, and the flag the pipeline watches.
public final class JobStopSignal: @unchecked Sendable {
    public let cancellation = CancellationFlag()
    private let lock = NSLock()
    private var first: JobStop?

    public init() {}

    public func stop(_ reason: JobStop) {
        let isFirst: Bool = lock.withLock {
            if first != nil { return false }
            first = reason
            return true
        }
        if isFirst { cancellation.cancel() }
    }

    public var reason: JobStop? { lock.withLock { first } }
}

/// Extends a claimed job's lease from its own thread, every third of the lease, so a statement
/// that keeps PostgreSQL busy for minutes never looks like a dead worker; only a process that is
/// killed or stopped stops renewing. Each beat also brings the job's cancel request (seen within
/// one beat, at most a second) and finds out whether the lease was lost.
final class LeaseKeeper: @unchecked Sendable {
    private let store: any JobStore
    private let claim: Claim
    private let leaseSeconds: Double
    private let signal: JobStopSignal
    private let logger: Logger
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopped = false

    init(store: any JobStore, claim: Claim, leaseSeconds: Double, signal: JobStopSignal, logger: Logger) {
        self.store = store
        self.claim = claim
        self.leaseSeconds = leaseSeconds
        self.signal = signal
        self.logger = logger
    }

    /// Beat interval: a third of the lease, at most one second (the cancel latency bound).
    var interval: Double { min(1.0, max(0.05, leaseSeconds / 3)) }

    func start() {
        let thread = Thread { [self] in
            defer { finished.signal() }
            while true {
                _ = wake.wait(timeout: .now() + interval)
                if lock.withLock({ stopped }) { return }
                do {
                    switch try store.heartbeat(claim, leaseSeconds: leaseSeconds) {
                    case .held(let cancelRequested):
                        if cancelRequested { signal.stop(.cancelRequested) }
                    case .lost:
                        logger.warning("lease lost: another worker holds the job now; standing down",
                                       metadata: ["job": "\(claim.id)", "attempt": "\(claim.attempt)"])
                        signal.stop(.leaseLost)
                        return
                    }
                } catch {
                    // A busy or briefly unavailable catalog: the lease is longer than one beat.
                    logger.warning("heartbeat failed", metadata: ["job": "\(claim.id)", "error": "\(error)"])
                }
            }
        }
        thread.stackSize = 256 << 10
        thread.start()
    }

    func stop() {
        lock.withLock { stopped = true }
        wake.signal()
        finished.wait()
    }
}
