import Foundation
import Hummingbird
import NIOCore
import TracespoolReaders

/// A bounded JSON body (a `rows` page: up to 10 000 rows, megabytes) that is sent whole when it is
/// small and streamed with backpressure when it is not. Rendering starts on a thread of its own;
/// until `wholeUpTo` bytes are rendered nothing is sent, so a failure there (an unknown domain, a
/// bad cursor, a damaged spool: `RowsPage` counts a page's rows before it renders one, so damage
/// in its range is found here) is still an error status in the envelope. A page that grows past
/// it is sent as it renders, through the same bridge as the NDJSON streams (`StreamingBody`): its
/// memory is two chunks however large the page, and a failure after that cuts the transfer (no
/// last chunk), as for CSV — never a short body that parses. So 32 clients paging 10 000 rows hold
/// ~32 × 256 KiB, not ~32 × 4.6 MiB, waiting for their sockets.
enum PageBody {
    static let wholeUpTo = 256 * 1024

    enum Start: Sendable {
        case whole(ByteBuffer)
        case failed(any Error)
        case streaming
    }

    static func respond(render: @escaping @Sendable (OutputBuffer) throws -> Void) async throws -> Response {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let bridge = BridgeSink(continuation)
        let failed = FailureBox()
        let start = await withCheckedContinuation { (decided: CheckedContinuation<Start, Never>) in
            let thread = Thread {
                let sink = PageSink(bridge: bridge, limit: wholeUpTo, decided: decided)
                let out = OutputBuffer(sink: sink)
                do {
                    try render(out)
                    try out.flush()
                    sink.end(nil, failed)
                } catch {
                    sink.end(error, failed)
                }
                continuation.finish()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        switch start {
        case .whole(let body):
            return APIEnvelope.json(body, status: .ok)
        case .failed(let error):
            throw error
        case .streaming:
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                do {
                    for await chunk in stream {
                        try await writer.write(chunk)
                        await EventLoopRoundTrip.all()
                        bridge.consumed()
                    }
                } catch {
                    bridge.cancel()
                    for await _ in stream {}
                    throw error
                }
                if let e = failed.get() { throw e }
                try await writer.finish(nil)
            })
        }
    }
}

/// The rendering thread's sink of a `PageBody`: collects the page until it passes its limit, then
/// hands what it has and everything after to the bridge. Used by that one thread alone.
final class PageSink: ByteSink {
    private var collected: ByteBuffer? = ByteBufferAllocator().buffer(capacity: 64 * 1024)
    private let bridge: BridgeSink
    private let limit: Int
    private var decided: CheckedContinuation<PageBody.Start, Never>?

    init(bridge: BridgeSink, limit: Int, decided: CheckedContinuation<PageBody.Start, Never>) {
        self.bridge = bridge
        self.limit = limit
        self.decided = decided
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard collected != nil else { return try bridge.write(bytes) }
        collected!.writeBytes(bytes)
        guard collected!.readableBytes > limit, let decided else { return }
        // Past the limit: the 200 goes out now and the page streams.
        let first = collected!
        collected = nil
        self.decided = nil
        decided.resume(returning: .streaming)
        try first.withUnsafeReadableBytes { try bridge.write($0) }
    }

    /// The render ended, with `error` or without: answers the handler if it still waits, else
    /// leaves a failure for the writer (which then cuts the transfer).
    func end(_ error: (any Error)?, _ failed: FailureBox) {
        if let decided {
            self.decided = nil
            decided.resume(returning: error.map { .failed($0) } ?? .whole(collected ?? ByteBuffer()))
        } else if let error, (error as? ReaderError)?.kind != .brokenPipe {
            failed.set(APIError.from(error))
        }
    }
}
