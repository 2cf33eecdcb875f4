import Foundation
import Hummingbird
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// A request context that can say who is calling; the control API's controllers work with any such context.
///
/// The socket's context reads SO_PEERCRED; in-process tests use a context with a fixed caller.
protocol ControlContext: RequestContext {
    /// Who sent the request.
    func caller() async throws -> PeerCredentials
}

extension ControlContext {
    /// Request bodies above this are refused with 413 before they are read whole.
    var maxUploadSize: Int { 16 * 1024 * 1024 }
}

/// The request context of the control socket: Hummingbird's core storage plus the connection, for SO_PEERCRED.
struct ControlRequestContext: ControlContext {
    var coreContext: CoreRequestContextStorage
    /// The accepted connection the request came in on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The calling process's credentials, from SO_PEERCRED on the Unix socket.
    func caller() async throws -> PeerCredentials {
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
