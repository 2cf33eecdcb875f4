/// TLS settings for a ``DockerEndpoint/tcp(host:port:)`` engine, as PEM file paths.
///
/// This mirrors the engine's `--tlsverify --tlscacert --tlscert --tlskey` client flags: `caCertificatePath` replaces
/// the system trust roots, `certificatePath` and `keyPath` (both or neither) authenticate the client.
/// Files are read once, when the ``DockerClient`` is created.
public struct DockerTLS: Sendable, Equatable, Hashable {
    /// PEM file with the certificate authorities the engine's certificate must chain to; `nil` uses the system roots.
    public var caCertificatePath: String?
    /// PEM file with the client certificate chain; requires ``keyPath``.
    public var certificatePath: String?
    /// PEM file with the client private key; requires ``certificatePath``.
    public var keyPath: String?
    /// Whether the engine's certificate must name the endpoint's host (default `true`).
    public var verifiesHostname: Bool

    /// Creates TLS settings from PEM file paths.
    public init(
        caCertificatePath: String? = nil,
        certificatePath: String? = nil,
        keyPath: String? = nil,
        verifiesHostname: Bool = true
    ) {
        self.caCertificatePath = caCertificatePath
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.verifiesHostname = verifiesHostname
    }
}
