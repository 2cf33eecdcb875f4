import CosmosStore
import Foundation
import Hummingbird
import NIOCore

/// The request context of the dashboard listener: the session the cookie names, and whether the peer is local.
///
/// The control API's controllers run on it unchanged: ``caller()`` answers with the session's uid, so every action
/// is authorized as that user through the same commands as the socket.
struct WebRequestContext: ControlContext {
    var coreContext: CoreRequestContextStorage
    /// The session of the request's cookie, set by ``WebAccessMiddleware``; nil without a valid one.
    var session: WebSession?
    /// Whether the peer connected from a loopback address (`/metrics` without login).
    let fromLoopback: Bool

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        fromLoopback = Self.isLoopback(source.channel.remoteAddress)
    }

    /// The session's user, as the socket would see them; refused without a session.
    func caller() async throws -> PeerCredentials {
        guard let session else {
            throw APIError(.unauthorized, "no_session", "log in first: run `cosmosctl web` and open the URL it prints")
        }
        // pid 0: there is no process, so `identity` takes the groups from the user and group databases.
        let gid = AccessPolicy.primaryGroup(uid: session.uid) ?? UInt32.max
        return PeerCredentials(pid: 0, uid: session.uid, gid: gid)
    }

    /// Whether `address` is 127.0.0.0/8, ::1, or an IPv4-mapped loopback address.
    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}
