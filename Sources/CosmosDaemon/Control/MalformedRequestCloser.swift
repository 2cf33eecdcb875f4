import HummingbirdCore
import NIOCore
import NIOHTTP1

/// Closes a connection whose request the HTTP decoder refused (headers over the limit, broken framing).
///
/// Hummingbird leaves decoder errors to the application, and without this the connection stays open, unread,
/// until the client gives up: a client sending 1 MiB of headers would hold it forever. Added to every control
/// connection's pipeline, after the HTTP decoder.
final class MalformedRequestCloser: ChannelInboundHandler, RemovableChannelHandler {
    /// The request parts pass through untouched (they are never unwrapped here).
    typealias InboundIn = Any

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            context.close(promise: nil)
        } else {
            context.fireErrorCaught(error)
        }
    }

    /// The HTTP/1 configuration of the control socket: this handler on every connection.
    static var channelConfiguration: HTTP1Channel.Configuration {
        HTTP1Channel.Configuration(additionalChannelHandlers: [MalformedRequestCloser()])
    }
}
