import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Slowloris protection: a connection must deliver a whole request (head and body) within
/// `TRACESPOOL_API_REQUEST_TIMEOUT_SECONDS` of opening or of the end of its previous response,
/// or it is closed. Hummingbird's idle timeout is not enough: it is reset by every byte read, so a
/// client dripping one header byte a second holds its connection forever (README "Reliability",
/// abuse). The clock does not run while a response is being written — a slow reader of a long
/// stream is governed by backpressure, not by this deadline.
final class RequestDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// Requests fully received minus responses fully written: the clock runs only at zero.
    private var pending = 0

    init(seconds: Int) { timeout = .seconds(Int64(seconds)) }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            pending += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            // An answer given before its request was read to the end (413 over the body cap)
            // must not leave the count below zero, or the clock would never run again.
            pending = max(0, pending - 1)
            if pending == 0 { arm(context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        disarm()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
