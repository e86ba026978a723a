import Foundation

/// At most `limit` streams (NDJSON, CSV) at once; one more is answered 429 `TOO_MANY_REQUESTS`
/// with `Retry-After`. A lock, not an actor: taking and giving back a slot never suspends.
final class StreamGate: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var open = 0

    init(limit: Int) { self.limit = limit }

    func enter() throws {
        let ok: Bool = lock.withLock {
            if open >= limit { return false }
            open += 1
            return true
        }
        if !ok {
            throw APIError("TOO_MANY_REQUESTS", "\(limit) streams are open; try again shortly", headers: [.retryAfter: "2"])
        }
    }

    func leave() { lock.withLock { open -= 1 } }
    var current: Int { lock.withLock { open } }
}
