/// `GET /images/{name}/json`: an image's identity and default configuration (a selection of the engine's keys).
public struct ImageDetails: Sendable, Equatable, Decodable {
    /// The image id, `sha256:...`.
    public var id: String
    /// Tags pointing at the image, e.g. `["busybox:latest"]`.
    public var repoTags: [String]
    /// Digests, e.g. `["busybox@sha256:..."]`; empty for images never pushed or pulled.
    public var repoDigests: [String]
    /// When the image was built or imported.
    public var created: DockerTimestamp?
    /// Size in bytes.
    public var size: Int64
    /// `amd64`, `arm64`, ...
    public var architecture: String?
    /// `linux`, ...
    public var os: String?
    /// The defaults a container inherits.
    public var config: Config?

    /// The `Config` section of an image: defaults for containers created from it.
    public struct Config: Sendable, Equatable, Decodable {
        /// Default command.
        public var cmd: [String]?
        /// Default entrypoint.
        public var entrypoint: [String]?
        /// Default environment, `KEY=value`.
        public var env: [String]?
        /// Default working directory.
        public var workingDir: String?
        /// Default user.
        public var user: String?
        /// Labels set at build time.
        public var labels: [String: String]?

        enum CodingKeys: String, CodingKey {
            case cmd = "Cmd"
            case entrypoint = "Entrypoint"
            case env = "Env"
            case workingDir = "WorkingDir"
            case user = "User"
            case labels = "Labels"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case repoTags = "RepoTags"
        case repoDigests = "RepoDigests"
        case created = "Created"
        case size = "Size"
        case architecture = "Architecture"
        case os = "Os"
        case config = "Config"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.repoTags = try container.decodeIfPresent([String].self, forKey: .repoTags) ?? []
        self.repoDigests = try container.decodeIfPresent([String].self, forKey: .repoDigests) ?? []
        self.created = try container.decodeTimestampIfPresent(forKey: .created)
        self.size = try container.decodeIfPresent(Int64.self, forKey: .size) ?? 0
        self.architecture = try container.decodeIfPresent(String.self, forKey: .architecture)
        self.os = try container.decodeIfPresent(String.self, forKey: .os)
        self.config = try container.decodeIfPresent(Config.self, forKey: .config)
    }
}
