import NIOCore
import NIOHTTP1

/// A request the HTTP parser refuses (invalid bytes in the request line or a header, a NUL in the
/// path, a malformed chunk) never reaches the router, and Hummingbird answers it with a bare
/// `400` and an empty body. This handler, placed after the HTTP codecs, takes that parser error
/// instead and answers in the envelope like every other error — `400 INVALID_REQUEST` — then
/// closes the connection (the parser cannot continue after an error). Found by
/// `scripts/reliability` (abuse: invalid UTF-8 in the path).
final class ParserErrorEnvelope: ChannelInboundHandler, RemovableChannelHandler {
    // Request parts pass through untouched (never unwrapped), so their type is not named here.
    typealias InboundIn = Any

    private var answered = false

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !answered else { return }
        answered = true
        let body = "{\"success\":false,\"error\":{\"code\":\"INVALID_REQUEST\",\"message\":\"the request is not valid HTTP/1.1: \(error)\"},\"meta\":\(APIEnvelope.meta())}"
        let head = "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\nserver: tracespool\r\n\r\n"
        // Written below the HTTP encoder (as raw bytes), so the response codec above, which saw no
        // request head, is not involved.
        guard let encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) else {
            context.fireErrorCaught(error)
            return
        }
        let channel = context.channel
        encoder.writeAndFlush(NIOAny(ByteBuffer(string: head + body))).whenComplete { _ in channel.close(promise: nil) }
    }
}
