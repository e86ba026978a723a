import Foundation

/// glibc malloc settings for every command, set once at start (README "Where the memory goes").
///
/// - At most two arenas. glibc gives threads that allocate at once their own arenas (up to 8 per
///   core), and the fetch and writer threads, NIO's thread pool, the stream threads and the workers
///   then keep tens of MiB of free arena space resident (scripts/reliability's load, debug build:
///   server peak 90 -> 70 MiB over an idle 55 MiB).
/// - A fixed mmap threshold of 128 KiB. glibc otherwise raises it to the size of any mapped block
///   once one is freed, after which the large buffers — a rows page's body, a row block's offsets
///   and arena, one per domain being fetched — come from the arenas and leave them fragmented: the
///   load scenario's peak varied 63–72 MiB run to run, and a 115 000-CID `run` with 2 500-row
///   blocks peaked at 34.1–34.6 MiB without the fixed threshold, 31.7–31.8 MiB with it.
///   Mapped, such a buffer goes back to the system when it is freed.
///
/// `MALLOC_ARENA_MAX` and `MALLOC_MMAP_THRESHOLD_`, when set, win. (mallopt is declared in malloc.h,
/// which Swift's Glibc module leaves out: found with dlsym, called with the C convention;
/// M_ARENA_MAX is -8, M_MMAP_THRESHOLD is -3.)
enum MallocPolicy {
    static func apply() {
        #if canImport(Glibc)
        guard let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(f, to: Mallopt.self)
        if getenv("MALLOC_ARENA_MAX") == nil { _ = mallopt(-8, 2) }
        if getenv("MALLOC_MMAP_THRESHOLD_") == nil { _ = mallopt(-3, 128 * 1024) }
        #endif
    }
}
