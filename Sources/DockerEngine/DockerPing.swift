/// What `GET /_ping` told about the engine, and the API version the client settled on.
public struct DockerPing: Sendable, Equatable {
    /// The engine's own (maximum) API version from the `Api-Version` header.
    public var serverAPIVersion: DockerAPIVersion
    /// The version used in request paths: `min(serverAPIVersion, DockerClient.maximumAPIVersion)`.
    public var negotiatedAPIVersion: DockerAPIVersion
    /// The engine's OS from the `OSType` header, e.g. `linux`.
    public var osType: String?
    /// Whether the engine runs with experimental features.
    public var experimental: Bool
    /// The `Server` header, e.g. `Docker/20.10.24+dfsg1 (linux)`.
    public var server: String?

    /// Creates a ping result; the client creates these.
    public init(
        serverAPIVersion: DockerAPIVersion,
        negotiatedAPIVersion: DockerAPIVersion,
        osType: String?,
        experimental: Bool,
        server: String?
    ) {
        self.serverAPIVersion = serverAPIVersion
        self.negotiatedAPIVersion = negotiatedAPIVersion
        self.osType = osType
        self.experimental = experimental
        self.server = server
    }
}
