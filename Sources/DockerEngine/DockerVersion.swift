/// `GET /version`: the engine's build and API range.
public struct DockerVersion: Sendable, Equatable, Codable {
    /// The engine version, e.g. `20.10.24+dfsg1`.
    public var version: String
    /// The newest API version the engine speaks, e.g. `1.41`.
    public var apiVersion: String
    /// The oldest API version the engine speaks, e.g. `1.12`.
    public var minAPIVersion: String?
    /// The engine's OS, e.g. `linux`.
    public var os: String?
    /// The engine's CPU architecture, e.g. `amd64`.
    public var arch: String?
    /// The host kernel version.
    public var kernelVersion: String?
    /// The git commit the engine was built from.
    public var gitCommit: String?
    /// The Go version the engine was built with.
    public var goVersion: String?

    enum CodingKeys: String, CodingKey {
        case version = "Version"
        case apiVersion = "ApiVersion"
        case minAPIVersion = "MinAPIVersion"
        case os = "Os"
        case arch = "Arch"
        case kernelVersion = "KernelVersion"
        case gitCommit = "GitCommit"
        case goVersion = "GoVersion"
    }
}
