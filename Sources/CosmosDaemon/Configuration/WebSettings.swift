import Foundation

/// `[web]`: the dashboard and `/metrics` listener. Off unless `listen` is set.
public struct WebSettings: Sendable, Equatable {
    /// Who may read `/metrics` without a dashboard session.
    public enum MetricsAccess: String, Sendable, CaseIterable {
        /// Scrapers on a loopback address need no login; others need a session (the default).
        case loopback
        /// Anyone who reaches the listener (put a firewall or a proxy in front).
        case open
        /// Always a dashboard session.
        case login
    }

    /// `host:port` to listen on (`127.0.0.1:8780`, `[::1]:8780`, `0.0.0.0:8780`); nil serves nothing.
    public var listen: WebAddress?
    /// The base URL `cosmosctl web` prints (for a DNS name or an `ssh -L` port); nil derives it from `listen`.
    public var url: String?
    /// The server certificate (PEM) for HTTPS; required with `tls_key` when `listen` is not a loopback address.
    public var tlsCertificate: String?
    /// The server's private key (PEM).
    public var tlsKey: String?
    /// Who may read `/metrics` without a session.
    public var metrics: MetricsAccess = .loopback
    /// How long a dashboard session lasts.
    public var sessionHours: Double = 12
    /// How long a `cosmosctl web` login token may wait before it is used (once).
    public var loginSeconds: Int = 300

    public init() {}

    /// Whether the listener speaks HTTPS.
    public var usesTLS: Bool { tlsCertificate != nil }

    /// The URL a login token is appended to: `url`, else `http(s)://<listen>`.
    public var baseURL: String? {
        if let url { return url.hasSuffix("/") ? String(url.dropLast()) : url }
        guard let listen else { return nil }
        return (usesTLS ? "https://" : "http://") + listen.urlAuthority
    }
}

/// A listening address from `[web] listen`: a literal IP address and a port.
public struct WebAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    /// Parses `127.0.0.1:8780` or `[::1]:8780`; nil for anything else (names are refused: say which address).
    public init?(_ text: String) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard let port = Int(portText), (1...65535).contains(port), Self.isLiteral(String(host)) else { return nil }
        self.host = String(host)
        self.port = port
    }

    /// Whether only this machine can reach it (127.0.0.0/8 or ::1).
    public var isLoopback: Bool { host == "::1" || host.hasPrefix("127.") }

    /// `host:port`, with brackets around an IPv6 address.
    public var urlAuthority: String {
        let shown = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "[::1]" : host.contains(":") ? "[\(host)]" : host
        return "\(shown):\(port)"
    }

    /// Whether `text` is a literal IPv4 or IPv6 address.
    static func isLiteral(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
