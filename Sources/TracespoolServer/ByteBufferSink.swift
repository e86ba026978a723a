import NIOCore
import TracespoolReaders

/// A sink that collects a bounded body (one `rows` page) straight into the response's buffer:
/// the renderer's 64 KiB output goes into it once, instead of through a `Data`, a `String` and an
/// envelope `String` on its way to a `ByteBuffer` (five copies of a page of up to 10 000 rows,
/// each alive at once while 32 clients page). Used on one thread at a time.
final class ByteBufferSink: ByteSink {
    private(set) var buffer: ByteBuffer

    init(capacity: Int = 64 * 1024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.writeBytes(bytes)
    }

    func text(_ s: String) {
        buffer.writeString(s)
    }
}
