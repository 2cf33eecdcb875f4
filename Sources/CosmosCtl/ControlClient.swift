import AsyncHTTPClient
import CosmosAPI
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The HTTP/JSON client of the daemon's control socket.
struct ControlClient: Sendable {
    let socketPath: String
    let http: HTTPClient

    init(socketPath: String) {
        self.socketPath = socketPath
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// Sends a request and decodes a JSON answer; daemon errors become ``CLIError/daemon(code:message:)``.
    func send<Response: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        body: (some Encodable)? = nil as Int?,
        as: Response.Type,
        timeout: TimeAmount = .seconds(120)
    ) async throws -> Response {
        let response = try await execute(method, path, query: query, body: body, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 512 * 1024 * 1024)
        try check(response.status, bytes)
        do {
            return try JSONDecoder().decode(Response.self, from: Data(buffer: bytes))
        } catch {
            throw CLIError.protocolError("unexpected answer from the daemon: \(error)")
        }
    }

    /// Sends a request and returns the raw streaming answer (logs), after checking its status.
    func stream(_ path: String, query: [(String, String)]) async throws -> HTTPClientResponse.Body {
        let response = try await execute(.GET, path, query: query, body: nil as Int?, timeout: .hours(24 * 365))
        if response.status != .ok {
            let bytes = try await response.body.collect(upTo: 1024 * 1024)
            try check(response.status, bytes)
        }
        return response.body
    }

    private func execute(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)],
        body: (some Encodable)?,
        timeout: TimeAmount
    ) async throws -> HTTPClientResponse {
        var uri = path
        if !query.isEmpty {
            uri += "?" + query.map { "\($0.0)=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        }
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw CLIError.daemonUnreachable(socketPath, "no socket file")
        }
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: uri) else {
            throw CLIError.usage("socket path \(socketPath) cannot be used in a URL")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        request.headers.add(name: "Host", value: "cosmos-worker")
        if let body {
            let encoder = JSONEncoder()
            request.body = .bytes(ByteBuffer(data: try encoder.encode(body)))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            throw CLIError.daemonUnreachable(socketPath, "\(error)")
        }
    }

    private func check(_ status: HTTPResponseStatus, _ bytes: ByteBuffer) throws {
        guard !(200..<300).contains(status.code) else { return }
        if let error = try? JSONDecoder().decode(ErrorResponse.self, from: Data(buffer: bytes)) {
            throw CLIError.daemon(code: error.error.code, message: error.error.message)
        }
        throw CLIError.daemon(code: "http_\(status.code)", message: String(buffer: bytes))
    }

    static func percentEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}

/// Why a cosmosctl command failed; printed as one line, with a non-zero exit.
enum CLIError: Error, CustomStringConvertible {
    case daemonUnreachable(String, String)
    case daemon(code: String, message: String)
    case usage(String)
    case input(String)
    case protocolError(String)

    var description: String {
        switch self {
        case .daemonUnreachable(let path, _):
            "cannot reach cosmos-worker at \(path): is the daemon running? Start it with "
                + "`systemctl start cosmos-worker` or `cosmos-worker` (or pass --socket PATH)"
        case .daemon(_, let message): message
        case .usage(let message): message
        case .input(let message): message
        case .protocolError(let message): message
        }
    }
}
