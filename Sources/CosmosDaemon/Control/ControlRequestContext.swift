import Foundation
import Hummingbird
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The request context of the control API: Hummingbird's core storage plus the connection, for SO_PEERCRED.
struct ControlRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The accepted connection the request came in on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Request bodies above this are refused with 413 before they are read whole.
    var maxUploadSize: Int { 16 * 1024 * 1024 }

    /// The calling process's credentials, from SO_PEERCRED on the Unix socket.
    func peerCredentials() async throws -> PeerCredentials {
        guard let provider = channel as? any SocketOptionProvider else {
            throw APIError(.forbidden, "peer_unknown", "cannot identify the caller: not a Unix socket connection")
        }
        let credentials: PeerCredentials = try await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        ).get()
        return credentials
    }
}

/// Who is calling: the process on the other end of the control socket.
///
/// Laid out exactly as Linux's `struct ucred` (pid, uid, gid), which Glibc's module map hides behind `_GNU_SOURCE`.
struct PeerCredentials: Sendable, Equatable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    /// The caller's uid and groups, for checks such as "may this caller read that input".
    var identity: CallerIdentity { .peer(uid: uid, gid: gid, pid: pid) }
}
