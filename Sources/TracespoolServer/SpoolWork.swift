import NIOPosix

/// Spool reads run on NIO's blocking thread pool, never on an event loop: each request opens its
/// own read-only SQLite connection there, uses it on that one thread, and closes it.
enum SpoolWork {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
