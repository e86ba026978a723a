import Foundation
import Logging
import TracespoolSource

/// A wake-up for idle workers (README "Many hosts"): a thread that holds one store connection in
/// `LISTEN tracespool_jobs` and calls `onWork` for each notification a submit or requeue sends.
/// Workers poll regardless — this only makes them start sooner. NOTIFY does not pass PgBouncer's
/// transaction pooling, and a lost listening connection is simply reopened later, so nothing ever
/// depends on it; failures are logged once per outage, never surfaced as job errors.
public final class StoreWakeListener: @unchecked Sendable {
    // The connection is touched only by the listening thread; `stopped` is behind `lock`.
    private let url: String
    private let onWork: @Sendable () -> Void
    private let logger: Logger
    private let lock = NSLock()
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    static let channel = "tracespool_jobs"
    /// How often the thread looks at `stopped` while no notification comes.
    static let checkSeconds = 0.5
    /// How long a lost listening connection waits before it is reopened.
    static let reconnectSeconds = 5.0

    init(url: String, logger: Logger, onWork: @escaping @Sendable () -> Void) {
        self.url = url
        self.logger = logger
        self.onWork = onWork
        let t = Thread { [self] in listen() }
        t.stackSize = 256 << 10
        t.start()
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    /// Stops listening and waits for the thread — bounded: a connect to a store that does not
    /// answer may take its TCP timeout, and a shutdown must not wait for that (the thread then
    /// ends on its own, and the process's exit closes its socket).
    public func stop() {
        lock.withLock { stopped = true }
        _ = finished.wait(timeout: .now() + 2)
    }

    private func listen() {
        defer { finished.signal() }
        var warned = false
        while !isStopped {
            do {
                let conn = try PostgresJobStore.connect(url)
                defer { conn.close() }
                try conn.execute("LISTEN \(Self.channel)")
                if warned {
                    // What was submitted while nobody listened: one look at the queue now.
                    logger.info("store notifications: listening again")
                    onWork()
                }
                warned = false
                while !isStopped {
                    let n = try conn.waitForNotifications(seconds: Self.checkSeconds)
                    for _ in 0..<min(n, 64) { onWork() }
                }
            } catch {
                if !warned {
                    logger.notice("store notifications lost; workers keep polling", metadata: ["error": "\(error)"])
                    warned = true
                }
                let until = Date().addingTimeInterval(Self.reconnectSeconds)
                while !isStopped && Date() < until { Thread.sleep(forTimeInterval: Self.checkSeconds / 5) }
            }
        }
    }
}
