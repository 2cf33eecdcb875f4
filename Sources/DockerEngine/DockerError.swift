/// An error response from the engine: an HTTP status and the engine's `message`.
///
/// The engine answers errors as `{"message": "..."}`; ``message`` holds that text (or the raw body when it is not
/// JSON). Use ``isNotFound``, ``isConflict`` and ``isNotModified`` instead of comparing status codes.
public struct DockerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status code, e.g. 404.
    public var status: Int
    /// The engine's explanation, e.g. `No such container: abc`.
    public var message: String
    /// The HTTP method of the failed request, e.g. `POST`.
    public var method: String
    /// The request path without the version prefix and query, e.g. `/containers/create`.
    public var path: String

    /// Creates an error; the client creates these from engine responses.
    public init(status: Int, message: String, method: String, path: String) {
        self.status = status
        self.message = message
        self.method = method
        self.path = path
    }

    /// 404: no such container, image, or path inside a container.
    public var isNotFound: Bool { self.status == 404 }
    /// 409: a conflict, e.g. the container name is already in use or the container is being removed.
    public var isConflict: Bool { self.status == 409 }
    /// 304: nothing to do, e.g. the container is already started or already stopped.
    public var isNotModified: Bool { self.status == 304 }
    /// 400: the engine rejected the request's parameters or body.
    public var isBadRequest: Bool { self.status == 400 }
    /// 5xx: the engine failed internally.
    public var isServerError: Bool { (500...599).contains(self.status) }

    public var description: String {
        "Docker engine answered \(self.status) to \(self.method) \(self.path): \(self.message)"
    }
}

/// A failure on the client side of the conversation with the engine (not an engine error response).
///
/// Transport failures (socket missing, connection refused, TLS handshake) are not wrapped: they arrive as the
/// underlying AsyncHTTPClient, NIO or NIOSSL errors.
public enum DockerClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The engine's API version is older than the oldest this client supports.
    case unsupportedAPIVersion(server: DockerAPIVersion, minimum: DockerAPIVersion)
    /// `/_ping` answered without a usable `Api-Version` header.
    case missingAPIVersion(header: String?)
    /// A response body could not be decoded as the expected JSON.
    case invalidResponse(path: String, reason: String)
    /// A multiplexed log stream carried a frame header with an unknown stream type byte.
    case invalidLogFrame(streamType: UInt8)
    /// A multiplexed log stream ended in the middle of a frame.
    case truncatedLogStream(bufferedBytes: Int)
    /// The TLS settings are unusable, e.g. a client certificate without a key or TLS for a Unix socket.
    case invalidTLSConfiguration(String)

    public var description: String {
        switch self {
        case .unsupportedAPIVersion(let server, let minimum):
            return "Docker engine speaks API \(server), older than the minimum supported \(minimum)"
        case .missingAPIVersion(let header):
            return "Docker engine /_ping answered without a valid Api-Version header (got \(header ?? "none"))"
        case .invalidResponse(let path, let reason):
            return "Docker engine response to \(path) could not be decoded: \(reason)"
        case .invalidLogFrame(let streamType):
            return "Docker log stream has a frame with unknown stream type \(streamType)"
        case .truncatedLogStream(let bufferedBytes):
            return "Docker log stream ended inside a frame (\(bufferedBytes) bytes left over)"
        case .invalidTLSConfiguration(let reason):
            return "Invalid Docker TLS configuration: \(reason)"
        }
    }
}
