import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Serves the control API on a listening socket passed by systemd (socket activation).
///
/// Hummingbird's `Application` binds its own socket, so this serves through its lower layer: NIO adopts
/// the inherited descriptor and Hummingbird's HTTP/1 channel handles each connection with the same router.
struct InheritedSocketServer: Service {
    /// The listening socket (from `LISTEN_FDS`).
    let descriptor: Int32
    let responder: RouterResponder<ControlRequestContext>
    let logger: Logger
    /// Called once the socket is served.
    let onServerRunning: @Sendable () -> Void

    func run() async throws {
        let logger = self.logger
        let responder = self.responder
        let http = HTTP1Channel(
            responder: { request, responseWriter, channel in
                let context = ControlRequestContext(
                    source: ApplicationRequestContextSource(channel: channel, logger: logger)
                )
                let response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch let error as any HTTPResponseError {
                    response = try error.response(from: request, context: context)
                }
                try await responseWriter.write(response: response.head, body: response.body)
            },
            configuration: MalformedRequestCloser.channelConfiguration
        )
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .bind(NIOBSDSocket.Handle(descriptor)) { channel in
                http.setup(channel: channel, logger: logger)
            }
        logger.notice("serving the control API on the socket systemd passed", metadata: ["fd": "\(descriptor)"])
        onServerRunning()
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await http.handle(value: connection, logger: logger) }
                    }
                }
            }
        }
    }
}
