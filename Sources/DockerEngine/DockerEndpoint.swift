/// Where a Docker engine listens: a Unix domain socket or a TCP address.
///
/// Parse the usual `DOCKER_HOST` forms with ``init(parsing:)``:
/// `unix:///var/run/docker.sock` and `tcp://host:port` (IPv6 hosts in brackets: `tcp://[::1]:2375`).
/// Whether TCP is plain or TLS is decided by the ``DockerTLS`` passed to ``DockerClient``, not by the endpoint.
public enum DockerEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// A Unix domain socket at an absolute path.
    case unix(path: String)
    /// A TCP address; `host` is a name, an IPv4 address or an IPv6 address without brackets.
    case tcp(host: String, port: Int)

    /// The engine's conventional default, `unix:///var/run/docker.sock`.
    public static let defaultUnixSocket = DockerEndpoint.unix(path: "/var/run/docker.sock")

    /// Parses `unix:///absolute/path` or `tcp://host:port`.
    ///
    /// - Throws: ``DockerEndpointParseError`` naming what is wrong with the string.
    public init(parsing string: String) throws(DockerEndpointParseError) {
        let trimmed = string.trimmingSpaces()
        guard !trimmed.isEmpty else {
            throw .empty
        }
        guard let schemeEnd = trimmed.firstRange(of: "://") else {
            throw .missingScheme(string)
        }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        let rest = String(trimmed[schemeEnd.upperBound...])
        switch scheme {
        case "unix":
            guard !rest.isEmpty else {
                throw .missingSocketPath(string)
            }
            guard rest.hasPrefix("/") else {
                throw .relativeSocketPath(string)
            }
            self = .unix(path: rest)
        case "tcp":
            self = try Self.parseTCP(rest, original: string)
        default:
            throw .unsupportedScheme(scheme)
        }
    }

    /// Whether the engine can only be reached from this machine.
    ///
    /// `true` for Unix sockets and for TCP to `localhost`, `127.0.0.0/8` or `::1`; `false` for every other host.
    /// A policy such as "plain TCP only to loopback" can be written as
    /// `if case .tcp = endpoint, tls == nil, !endpoint.isLoopback { reject }`.
    public var isLoopback: Bool {
        switch self {
        case .unix:
            return true
        case .tcp(let host, _):
            return Self.isLoopbackHost(host)
        }
    }

    /// The endpoint in the form ``init(parsing:)`` accepts.
    public var description: String {
        switch self {
        case .unix(let path):
            return "unix://\(path)"
        case .tcp(let host, let port):
            return host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        }
    }

    private static func parseTCP(_ rest: String, original: String) throws(DockerEndpointParseError) -> DockerEndpoint {
        var authority = Substring(rest)
        if authority.hasSuffix("/") {
            authority = authority.dropLast()
        }
        if authority.contains("/") {
            throw .unexpectedPath(original)
        }
        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw .invalidHost(original)
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else {
                throw .invalidHost(original)
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
            if host.contains(":") {
                throw .invalidHost(original)
            }
        } else {
            host = authority
            portText = nil
        }
        guard !host.isEmpty else {
            throw .missingHost(original)
        }
        guard let portText, !portText.isEmpty else {
            throw .missingPort(original)
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw .invalidPort(String(portText))
        }
        return .tcp(host: String(host), port: port)
    }

    private static func isLoopbackHost(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered.hasSuffix(".localhost") || lowered == "::1" {
            return true
        }
        if lowered == "0:0:0:0:0:0:0:1" {
            return true
        }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }), octets[0] == "127" {
            return true
        }
        return false
    }
}

/// Why a string is not a ``DockerEndpoint``.
public enum DockerEndpointParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The string is empty.
    case empty
    /// The string has no `scheme://` prefix.
    case missingScheme(String)
    /// The scheme is neither `unix` nor `tcp`.
    case unsupportedScheme(String)
    /// `unix://` is not followed by a path.
    case missingSocketPath(String)
    /// The Unix socket path is not absolute (`unix://relative` instead of `unix:///absolute`).
    case relativeSocketPath(String)
    /// `tcp://` is not followed by a host.
    case missingHost(String)
    /// The host is malformed, e.g. an IPv6 address without brackets or an unclosed bracket.
    case invalidHost(String)
    /// `tcp://host` has no `:port`.
    case missingPort(String)
    /// The port is not a number in 1...65535.
    case invalidPort(String)
    /// A TCP endpoint carries a path, which the engine does not support.
    case unexpectedPath(String)

    public var description: String {
        switch self {
        case .empty:
            return "Docker endpoint is empty; expected unix:///path/to/docker.sock or tcp://host:port"
        case .missingScheme(let value):
            return "Docker endpoint '\(value)' has no scheme; expected unix:///path/to/docker.sock or tcp://host:port"
        case .unsupportedScheme(let scheme):
            return "Docker endpoint scheme '\(scheme)' is not supported; use unix:// or tcp://"
        case .missingSocketPath(let value):
            return "Docker endpoint '\(value)' has no socket path; expected unix:///path/to/docker.sock"
        case .relativeSocketPath(let value):
            return "Docker endpoint '\(value)' has a relative socket path; use three slashes: unix:///absolute/path"
        case .missingHost(let value):
            return "Docker endpoint '\(value)' has no host; expected tcp://host:port"
        case .invalidHost(let value):
            return "Docker endpoint '\(value)' has a malformed host; write IPv6 addresses in brackets: tcp://[::1]:2375"
        case .missingPort(let value):
            return "Docker endpoint '\(value)' has no port; expected tcp://host:port (the engine uses 2375 or 2376)"
        case .invalidPort(let port):
            return "Docker endpoint port '\(port)' is not a number between 1 and 65535"
        case .unexpectedPath(let value):
            return "Docker endpoint '\(value)' has a path; a TCP endpoint is only tcp://host:port"
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace {
            slice = slice.dropFirst()
        }
        while let last = slice.last, last.isWhitespace {
            slice = slice.dropLast()
        }
        return String(slice)
    }
}
