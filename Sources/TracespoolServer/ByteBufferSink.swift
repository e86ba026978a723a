import NIOCore
import TracespoolReaders

/// A sink that collects a bounded body (one `rows` page) as the response's own buffers, one per
/// flush of the renderer's 64 KiB output buffer: the page is copied once, into buffers that come
/// from malloc's arenas and are reused page after page. One buffer grown to the page's size (up to
/// ~4.6 MB) was allocated with mmap, touched page by page and unmapped after every response: a
/// fifth of a page's CPU went to those page faults and TLB flushes. Used on one thread at a time.
final class ByteBufferSink: ByteSink {
    private(set) var buffers: [ByteBuffer] = []
    private let allocator = ByteBufferAllocator()

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var b = allocator.buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        buffers.append(b)
    }

    func text(_ s: String) {
        buffers.append(allocator.buffer(string: s))
    }
}
