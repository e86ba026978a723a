import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import TracespoolReaders

/// A response body rendered on a thread of its own and written to the socket with backpressure:
/// the renderer's 64 KiB output buffer goes to a `BridgeSink`, which hands each chunk to the
/// response writer and blocks the rendering thread while two chunks wait to be written. A slow
/// client therefore slows the reads from the spool instead of growing the server's memory; a
/// client that goes away makes the next write fail (`READER_BROKEN_PIPE`), which ends the render.
enum StreamingBody {
    /// `render` writes into the buffer; if it fails after the 200 was sent, `failureTail` gives the
    /// last bytes to send (an NDJSON `{"type":"error",…}` line). A format with no way to say so
    /// (CSV: `failureTail` is nil) is cut instead: the connection closes without the chunked
    /// body's last chunk, so the client sees an incomplete transfer — never a short file that
    /// looks complete (a damaged spool found mid-export used to end the CSV cleanly after its header).
    /// `lineAligned`: only whole lines reach the socket, so the error line follows a complete line
    /// instead of being glued onto half of one — for bodies of short lines (the CID layout): the
    /// sink holds back up to one line. The records layout's lines are megabytes long; its renderer
    /// closes the open line itself when a read fails (`NDJSONRecordsRenderer.recordsLine`), so it
    /// is not aligned (holding back a line cost each stream ~4 MiB).
    static func make(onEnd: @escaping @Sendable () -> Void,
                     failureTail: @escaping @Sendable (APIError) -> String?,
                     lineAligned: Bool = false,
                     render: @escaping @Sendable (OutputBuffer, _ clientGone: () -> Bool) throws -> Void) -> ResponseBody {
        ResponseBody { writer in
            let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
            let sink = BridgeSink(continuation, lineAligned: lineAligned)
            let failed = FailureBox()
            let thread = Thread {
                let out = OutputBuffer(sink: sink)
                do {
                    try render(out) { sink.isCancelled }
                    try out.flush()
                    try sink.finishLines()
                } catch let e as ReaderError where e.kind == .brokenPipe {
                    // The client went away: nothing more to say.
                } catch {
                    let e = APIError.from(error)
                    if let tail = failureTail(e) {
                        // What the renderer wrote before it failed goes out first (a renderer closes
                        // its open line where it can: NDJSON records lines), then the tail.
                        try? out.flush()
                        sink.yieldLast(tail)
                    } else {
                        failed.set(e)
                    }
                }
                continuation.finish()
                onEnd()
            }
            thread.stackSize = 1 << 20
            thread.start()
            do {
                for await chunk in stream {
                    try await writer.write(chunk)
                    await EventLoopRoundTrip.all()
                    sink.consumed()
                }
            } catch {
                sink.cancel()
                for await _ in stream {}
                throw error
            }
            if let e = failed.get() { throw e }
            try await writer.finish(nil)
        }
    }
}

/// Waits until every event loop of the server's group has run the tasks queued on it so far.
///
/// `ResponseBodyWriter.write` returns once NIO's async writer has accepted the chunk, which while
/// the channel is writable means "queued as a task on the channel's event loop" — not written.
/// The channel turns unwritable (and `write` starts to wait) only when that loop has run those
/// tasks; with more rendering threads than cores the loops fall behind and every stream's chunks
/// pile up in their queues (16 streams on 2 cores: 580 MiB). A task submitted after ours runs
/// after it (a loop runs its tasks in order), so when it has run on every loop our chunk is in
/// the channel, and the channel's own writability bounds what waits there.
enum EventLoopRoundTrip {
    static func all() async {
        for loop in MultiThreadedEventLoopGroup.singleton.makeIterator() {
            _ = try? await loop.submit {}.get()
        }
    }
}

/// A render failure that has no in-band way to be told (CSV), handed to the writer's side.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: APIError?
    func set(_ e: APIError) { lock.withLock { error = e } }
    func get() -> APIError? { lock.withLock { error } }
}

/// The rendering thread's end of the bridge. Two permits: one chunk being written to the socket,
/// one ready behind it. `carry` and `endsWithNewline` belong to the rendering thread alone.
final class BridgeSink: ByteSink, @unchecked Sendable {
    /// A line longer than this goes out unaligned rather than growing the carry without bound.
    static let maxCarry = 1 << 20
    private let continuation: AsyncStream<ByteBuffer>.Continuation
    private let permits = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var cancelled = false
    private let lineAligned: Bool
    /// The bytes after the last newline of the chunks written so far (line-aligned bodies only).
    private var carry: [UInt8] = []
    private var endsWithNewline = true

    init(_ continuation: AsyncStream<ByteBuffer>.Continuation, lineAligned: Bool = false) {
        self.continuation = continuation
        self.lineAligned = lineAligned
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        guard lineAligned else { return try send(ByteBuffer(bytes: bytes)) }
        var lastNewline = bytes.count - 1
        while lastNewline >= 0 && bytes[lastNewline] != 0x0A { lastNewline -= 1 }
        if lastNewline < 0 {
            carry.append(contentsOf: bytes)
            if carry.count >= Self.maxCarry { try sendCarry() }
            return
        }
        var chunk = ByteBuffer()
        chunk.reserveCapacity(carry.count + lastNewline + 1)
        chunk.writeBytes(carry)
        chunk.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0...lastNewline]))
        carry.removeAll(keepingCapacity: true)
        carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(lastNewline + 1)...]))
        try send(chunk)
    }

    /// The body ended normally: what is left after the last newline goes out too.
    func finishLines() throws {
        if !carry.isEmpty { try sendCarry() }
    }

    private func sendCarry() throws {
        let chunk = ByteBuffer(bytes: carry)
        carry.removeAll(keepingCapacity: true)
        try send(chunk)
    }

    private func send(_ chunk: ByteBuffer) throws {
        permits.wait()
        if lock.withLock({ cancelled }) {
            permits.signal()
            throw ReaderError(.brokenPipe, "the client went away")
        }
        endsWithNewline = chunk.readableBytesView.last == 0x0A
        continuation.yield(chunk)
    }

    /// The failure tail, on a line of its own: an unsent partial line is dropped, and after an
    /// over-long line that went out unaligned a newline ends it first.
    func yieldLast(_ text: String) {
        carry.removeAll()
        let tail = endsWithNewline ? text : "\n" + text
        if !lock.withLock({ cancelled }) { continuation.yield(ByteBuffer(string: tail)) }
    }

    var isCancelled: Bool { lock.withLock { cancelled } }

    /// The writer took a chunk: the renderer may produce another.
    func consumed() { permits.signal() }

    /// The client is gone: wake the renderer so it fails its next write.
    func cancel() {
        lock.withLock { cancelled = true }
        permits.signal()
        permits.signal()
    }
}
