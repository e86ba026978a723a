import CLibPQ

/// Cancels the statement in flight on one connection from another thread (`PQcancel`), e.g. when
/// a job's cancel request arrives while PostgreSQL works on a long statement. libpq documents
/// `PQcancel` as safe to call from any thread while the connection is in use, and the `PGcancel`
/// object is only read by it — that is what makes this type `Sendable`.
public final class PGCanceller: @unchecked Sendable {
    private let handle: OpaquePointer?

    init(_ conn: OpaquePointer?) { handle = conn.flatMap { PQgetCancel($0) } }

    deinit { if let handle { PQfreeCancel(handle) } }

    /// Asks the server to cancel the current statement; harmless when none runs.
    public func cancel() {
        guard let handle else { return }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &message, Int32(message.count))
    }
}

extension PGConnection {
    /// A canceller for this connection's statements.
    public func canceller() -> PGCanceller { PGCanceller(rawHandle) }
}
