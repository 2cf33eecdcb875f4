import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOSSL

/// A client for the Docker Engine HTTP API over a Unix socket or TCP (optionally TLS).
///
/// The client talks HTTP/1.1 through AsyncHTTPClient and never runs the `docker` CLI. It keeps two connection pools:
/// one with an idle read timeout (``requestTimeout``) for short calls, and one without a read timeout for calls whose
/// response may stay silent for a long time (log follow, events, container wait, stop, archive upload).
///
/// API version: the first call that needs a versioned path (`/v1.xx/...`) calls ``ping()`` once, which negotiates
/// `min(engine version, maximumAPIVersion)` and refuses engines older than ``minimumAPIVersion``. Calling
/// ``ping()`` explicitly at startup surfaces an unreachable or too old engine early; it also renegotiates.
///
/// Call ``shutdown()`` before dropping the last reference (AsyncHTTPClient traps on an un-shut-down client in
/// debug builds). ``withClient(endpoint:tls:logger:requestTimeout:_:)`` does that for you.
public final class DockerClient: Sendable {
    /// The oldest engine API version this client accepts (Docker 19.03).
    public static let minimumAPIVersion = DockerAPIVersion(major: 1, minor: 40)
    /// The newest API version this client asks for; newer engines are spoken to at this version.
    public static let maximumAPIVersion = DockerAPIVersion(major: 1, minor: 45)

    /// Where the engine listens.
    public let endpoint: DockerEndpoint
    /// How long a short call may take to answer, and the idle read timeout of the short-call pool.
    public let requestTimeout: Duration

    let logger: Logger
    private let shortClient: HTTPClient
    private let streamClient: HTTPClient
    private let scheme: String
    private let versionState = APIVersionState()

    /// Creates a client; no connection is made until the first call.
    ///
    /// - Parameters:
    ///   - endpoint: The engine's socket or TCP address.
    ///   - tls: TLS settings; only valid with a TCP endpoint. `nil` means plain HTTP.
    ///   - logger: Receives one `debug` line per request (method, path, status).
    ///   - requestTimeout: Deadline for short calls (ping, inspect, create, ...) and their idle read timeout.
    /// - Throws: ``DockerClientError/invalidTLSConfiguration(_:)`` or an NIOSSL error if a PEM file is unreadable.
    public init(
        endpoint: DockerEndpoint = .defaultUnixSocket,
        tls: DockerTLS? = nil,
        logger: Logger = Logger(label: "DockerEngine"),
        requestTimeout: Duration = .seconds(30)
    ) throws {
        let tlsConfiguration: TLSConfiguration?
        switch (endpoint, tls) {
        case (.unix, .some):
            throw DockerClientError.invalidTLSConfiguration("TLS applies to tcp:// endpoints, not \(endpoint)")
        case (_, .some(let tls)):
            tlsConfiguration = try Self.makeTLSConfiguration(tls)
            self.scheme = "https"
        case (_, .none):
            tlsConfiguration = nil
            self.scheme = "http"
        }
        self.endpoint = endpoint
        self.logger = logger
        self.requestTimeout = requestTimeout

        var shortConfiguration = HTTPClient.Configuration()
        shortConfiguration.tlsConfiguration = tlsConfiguration
        shortConfiguration.httpVersion = .http1Only
        shortConfiguration.redirectConfiguration = .disallow
        shortConfiguration.decompression = .disabled
        shortConfiguration.timeout = .init(connect: .seconds(10), read: TimeAmount(requestTimeout))
        shortConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: 8
        )
        // A missing or refusing Unix socket does not heal within the connect timeout: fail at once, do not retry.
        if case .unix = endpoint {
            shortConfiguration.connectionPool.retryConnectionEstablishment = false
        }

        var streamConfiguration = shortConfiguration
        streamConfiguration.timeout = .init(connect: .seconds(10), read: nil)
        // Every open stream (log follow, events, wait) holds one connection; do not queue them behind a small limit.
        streamConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024

        self.shortClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: shortConfiguration
        )
        self.streamClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: streamConfiguration
        )
    }

    /// Creates a client, runs `body` with it and shuts it down whether `body` returns or throws.
    @discardableResult
    public static func withClient<Result: Sendable>(
        endpoint: DockerEndpoint = .defaultUnixSocket,
        tls: DockerTLS? = nil,
        logger: Logger = Logger(label: "DockerEngine"),
        requestTimeout: Duration = .seconds(30),
        _ body: (DockerClient) async throws -> Result
    ) async throws -> Result {
        let client = try DockerClient(endpoint: endpoint, tls: tls, logger: logger, requestTimeout: requestTimeout)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Closes all connections; in-flight requests and open streams fail. Call exactly once.
    public func shutdown() async throws {
        var firstError: (any Error)?
        do {
            try await self.streamClient.shutdown()
        } catch {
            firstError = error
        }
        do {
            try await self.shortClient.shutdown()
        } catch {
            firstError = firstError ?? error
        }
        if let firstError {
            throw firstError
        }
    }

    // MARK: - Version negotiation and system calls

    /// Pings the engine and negotiates the API version used by all later calls.
    ///
    /// - Throws: ``DockerClientError/unsupportedAPIVersion(server:minimum:)`` for engines older than
    ///   ``minimumAPIVersion``, ``DockerClientError/missingAPIVersion(header:)`` if the engine sends no version.
    @discardableResult
    public func ping() async throws -> DockerPing {
        let response = try await self.execute(Request(.GET, "/_ping", versioned: false))
        _ = try await response.body.collect(upTo: 1024)
        let header = response.headers.first(name: "Api-Version")
        guard let header, let serverVersion = DockerAPIVersion(header) else {
            throw DockerClientError.missingAPIVersion(header: header)
        }
        guard serverVersion >= Self.minimumAPIVersion else {
            throw DockerClientError.unsupportedAPIVersion(server: serverVersion, minimum: Self.minimumAPIVersion)
        }
        let negotiated = min(serverVersion, Self.maximumAPIVersion)
        await self.versionState.set(negotiated)
        self.logger.debug(
            "negotiated Docker API version",
            metadata: ["server": "\(serverVersion)", "negotiated": "\(negotiated)"]
        )
        return DockerPing(
            serverAPIVersion: serverVersion,
            negotiatedAPIVersion: negotiated,
            osType: response.headers.first(name: "OSType"),
            experimental: response.headers.first(name: "Docker-Experimental") == "true",
            server: response.headers.first(name: "Server")
        )
    }

    /// The negotiated API version, pinging the engine first if no call has negotiated it yet.
    public func apiVersion() async throws -> DockerAPIVersion {
        if let version = await self.versionState.get() {
            return version
        }
        return try await self.ping().negotiatedAPIVersion
    }

    /// `GET /version`: the engine's version, API range, OS and architecture.
    public func version() async throws -> DockerVersion {
        try await self.decode(DockerVersion.self, Request(.GET, "/version"))
    }

    /// `GET /info`: engine-wide facts such as name, runtimes, CPU count and memory.
    public func info() async throws -> DockerInfo {
        try await self.decode(DockerInfo.self, Request(.GET, "/info"))
    }

    // MARK: - Request plumbing

    /// Which connection pool and deadline a request uses.
    enum Lane {
        /// Short-call pool; the response head must arrive within ``DockerClient/requestTimeout``.
        case short
        /// No read timeout; the response head must arrive within `headDeadline` (`nil`: no deadline).
        case long(headDeadline: Duration?)
    }

    /// One engine request; `path` excludes the `/v1.xx` prefix and the query.
    struct Request: Sendable {
        var method: String
        var path: String
        var query: [(name: String, value: String)] = []
        var body: HTTPClientRequest.Body?
        var contentType: String?
        var versioned = true

        init(
            _ method: Method,
            _ path: String,
            query: [(name: String, value: String)] = [],
            versioned: Bool = true
        ) {
            self.method = method.rawValue
            self.path = path
            self.query = query
            self.versioned = versioned
        }
    }

    /// The HTTP methods the engine API uses.
    enum Method: String, Sendable {
        case GET, HEAD, POST, PUT, DELETE
    }

    /// Sends `request` and returns once the response head arrived with a 2xx status.
    ///
    /// Non-2xx statuses (including 304) are read and thrown as ``DockerError``.
    func execute(_ request: Request, lane: Lane = .short) async throws -> HTTPClientResponse {
        var uri = request.path
        if request.versioned {
            uri = "/v\(try await self.apiVersion())" + uri
        }
        if !request.query.isEmpty {
            uri +=
                "?"
                + request.query.map { "\(Self.percentEncode($0.name))=\(Self.percentEncode($0.value))" }
                .joined(separator: "&")
        }
        var httpRequest = HTTPClientRequest(url: try self.url(for: uri))
        httpRequest.method = .init(rawValue: request.method)
        if case .unix = self.endpoint {
            // AsyncHTTPClient sends no Host header over a Unix socket and the engine rejects requests without one.
            httpRequest.headers.replaceOrAdd(name: "Host", value: "docker")
        }
        if let contentType = request.contentType {
            httpRequest.headers.replaceOrAdd(name: "Content-Type", value: contentType)
        }
        httpRequest.body = request.body

        let client: HTTPClient
        let deadline: NIODeadline
        switch lane {
        case .short:
            client = self.shortClient
            deadline = .now() + TimeAmount(self.requestTimeout)
        case .long(let headDeadline):
            client = self.streamClient
            deadline = headDeadline.map { .now() + TimeAmount($0) } ?? .distantFuture
        }
        let start = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            response = try await client.execute(httpRequest, deadline: deadline, logger: self.logger)
        } catch {
            self.logger.debug(
                "docker request failed",
                metadata: [
                    "method": "\(request.method)", "path": "\(request.path)", "error": "\(String(reflecting: error))",
                ]
            )
            throw error
        }
        self.logger.debug(
            "docker request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status.code)",
                "duration": "\(ContinuousClock.now - start)",
            ]
        )
        guard (200..<300).contains(response.status.code) else {
            throw await Self.error(from: response, request: request)
        }
        return response
    }

    /// Sends `request` and decodes the JSON response body as `T`.
    func decode<T: Decodable>(
        _ type: T.Type,
        _ request: Request,
        lane: Lane = .short,
        maxBytes: Int = 64 << 20
    ) async throws -> T {
        let response = try await self.execute(request, lane: lane)
        let body = try await response.body.collect(upTo: maxBytes)
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch {
            throw DockerClientError.invalidResponse(path: request.path, reason: "\(error)")
        }
    }

    /// Sends `request` and reads (and drops) the response body.
    func discardingBody(_ request: Request, lane: Lane = .short) async throws {
        let response = try await self.execute(request, lane: lane)
        for try await _ in response.body {}
    }

    /// Encodes `value` as the JSON body of `request`.
    static func withJSONBody(_ request: Request, _ value: some Encodable) throws -> Request {
        var request = request
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        request.body = .bytes(ByteBuffer(data: try encoder.encode(value)))
        request.contentType = "application/json"
        return request
    }

    private func url(for uri: String) throws -> String {
        switch self.endpoint {
        case .unix(let path):
            guard let url = URL(httpURLWithSocketPath: path, uri: uri) else {
                throw DockerClientError.invalidResponse(path: uri, reason: "cannot build a URL for socket \(path)")
            }
            return url.absoluteString
        case .tcp(let host, let port):
            let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            return "\(self.scheme)://\(authority)\(uri)"
        }
    }

    private static func error(from response: HTTPClientResponse, request: Request) async -> DockerError {
        let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
        struct Message: Decodable {
            var message: String
        }
        let message: String
        if let decoded = try? JSONDecoder().decode(Message.self, from: body) {
            message = decoded.message
        } else {
            let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty ? response.status.reasonPhrase : text
        }
        return DockerError(
            status: Int(response.status.code),
            message: message,
            method: request.method,
            path: request.path
        )
    }

    /// Percent-encodes everything except RFC 3986 unreserved characters.
    static func percentEncode(_ string: String) -> String {
        Self.percentEncode(string, keeping: [])
    }

    /// Percent-encodes a path segment, keeping `/` and `:` (image references such as `repo/name:tag`).
    static func percentEncodePath(_ string: String) -> String {
        Self.percentEncode(string, keeping: [UInt8(ascii: "/"), UInt8(ascii: ":")])
    }

    private static func percentEncode(_ string: String, keeping extra: Set<UInt8>) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                if extra.contains(byte) {
                    out.append(byte)
                } else {
                    out.append(UInt8(ascii: "%"))
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0F)])
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func makeTLSConfiguration(_ tls: DockerTLS) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let ca = tls.caCertificatePath {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        }
        switch (tls.certificatePath, tls.keyPath) {
        case (.some(let certificatePath), .some(let keyPath)):
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        case (.some, .none):
            throw DockerClientError.invalidTLSConfiguration("a client certificate needs a key (keyPath is missing)")
        case (.none, .some):
            throw DockerClientError.invalidTLSConfiguration(
                "a client key needs a certificate (certificatePath is missing)"
            )
        case (.none, .none):
            break
        }
        if !tls.verifiesHostname {
            configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }
}

/// Holds the negotiated API version.
private actor APIVersionState {
    private var version: DockerAPIVersion?

    func get() -> DockerAPIVersion? {
        self.version
    }

    func set(_ version: DockerAPIVersion) {
        self.version = version
    }
}
