#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TracespoolReaders
import ServiceLifecycle
import TracespoolSpool

/// Open readers of finished spools, kept between `rows` pages (README "HTTP API"). Opening a
/// spool costs about a third of a page's CPU: the connection, SQLite's parse of the schema, the
/// job meta and domain snapshots, and the page statements. A finished spool never changes, so a
/// reader of one serves the next page of that job as well as a new one would.
///
/// A reader is in the pool or checked out by exactly one thread (`checkOut` … `checkIn`), never
/// both, which is what its `NOMUTEX` connection needs; the lock guards only the list. The pool
/// keeps at most `capacity` idle readers (the least recently used go first) and closes those idle
/// longer than `idleSeconds` (`sweep`, run by `ReaderPoolSweeper`), so a spool removed by DELETE
/// or retention is not held open: DELETE also `evict`s at once, and a reader whose file was
/// replaced or removed (`FileIdentity`) is closed when it is next asked for.
final class SpoolReaderPool: @unchecked Sendable {
    private struct Entry {
        let path: String
        let identity: FileIdentity
        let reader: SpoolReader
        let since: UInt64
    }

    let capacity: Int
    let idleSeconds: Double
    private let lock = NSLock()
    private var idle: [Entry] = []

    init(capacity: Int = 4, idleSeconds: Double = 10) {
        self.capacity = capacity
        self.idleSeconds = idleSeconds
    }

    /// A reader of the finished spool at `path`: a pooled one if it still reads the same file,
    /// else a new one. Give it back with `checkIn` (or drop it: it closes).
    func checkOut(path: String) throws -> (SpoolReader, FileIdentity?) {
        let identity = FileIdentity(path: path)
        var stale: [Entry] = []
        let found: Entry? = lock.withLock {
            var hit: Entry?
            idle.removeAll { e in
                guard e.path == path else { return false }
                if let identity, e.identity == identity {
                    // Another reader of the same file stays for the next request.
                    if hit != nil { return false }
                    hit = e
                    return true
                }
                stale.append(e)
                return true
            }
            return hit
        }
        stale.removeAll()  // closed outside the lock
        if let found { return (found.reader, found.identity) }
        return (try SpoolReader(spool: try Spool.open(at: path, readOnly: true)), identity)
    }

    /// Returns a reader after a page that read it without error; only readers of finished spools
    /// whose file was identified at checkout are kept.
    func checkIn(_ reader: SpoolReader, identity: FileIdentity?) {
        guard let identity, reader.finished else { return }
        // An idle reader keeps its schema and statements, not the page cache of its last page.
        reader.spool.database.releaseMemory()
        let entry = Entry(path: reader.spool.path, identity: identity, reader: reader, since: Self.now())
        var dropped: [Entry] = []
        lock.withLock {
            idle.append(entry)
            if idle.count > capacity { dropped.append(idle.removeFirst()) }
        }
        dropped.removeAll()
    }

    /// Closes the readers of `path` (DELETE of its job).
    func evict(path: String) {
        var gone: [Entry] = []
        lock.withLock { idle.removeAll { e in if e.path == path { gone.append(e); return true }; return false } }
        gone.removeAll()
    }

    /// Closes readers idle longer than `idleSeconds`.
    func sweep() {
        let cutoff = Self.now() &- UInt64(idleSeconds * 1e9)
        var gone: [Entry] = []
        lock.withLock { idle.removeAll { e in if e.since < cutoff { gone.append(e); return true }; return false } }
        gone.removeAll()
    }

    private static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}

/// Which file a path names and its last change: a spool removed and written again under the same
/// name (a resumed or re-run job) is another file, and a pooled reader of the old one is closed.
struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: Int64

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }
}

/// Runs the pool's `sweep` every few seconds while the server runs; at shutdown it ends quietly
/// (the group goes on draining the server: it is configured with `successTerminationBehavior:
/// .ignore`).
struct ReaderPoolSweeper: Service {
    let pool: SpoolReaderPool

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(pool.idleSeconds * 0.5e9))
                pool.sweep()
            }
        }
    }
}
