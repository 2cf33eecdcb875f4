/// `GET /containers/{id}/json`: a container's identity, state and configuration (a selection of the engine's keys).
public struct ContainerDetails: Sendable, Equatable, Decodable {
    /// The full 64-hex-digit id.
    public var id: String
    /// The name without the engine's leading `/`.
    public var name: String
    /// When the container was created.
    public var created: DockerTimestamp?
    /// The id of the image the container was created from (`sha256:...`).
    public var imageID: String
    /// The runtime state.
    public var state: ContainerState
    /// The configuration the container was created with.
    public var config: Config
    /// How often a restart policy restarted the container.
    public var restartCount: Int

    /// The `Config` section of an inspected container.
    public struct Config: Sendable, Equatable, Decodable {
        /// The image reference as given at create, e.g. `busybox:latest`.
        public var image: String
        /// The container's labels (including those inherited from the image).
        public var labels: [String: String]
        /// The environment as `KEY=value` strings (including those from the image).
        public var env: [String]
        /// The command.
        public var cmd: [String]?
        /// The entrypoint.
        public var entrypoint: [String]?
        /// The working directory.
        public var workingDir: String?
        /// The user.
        public var user: String?

        enum CodingKeys: String, CodingKey {
            case image = "Image"
            case labels = "Labels"
            case env = "Env"
            case cmd = "Cmd"
            case entrypoint = "Entrypoint"
            case workingDir = "WorkingDir"
            case user = "User"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.image = try container.decodeIfPresent(String.self, forKey: .image) ?? ""
            self.labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
            self.env = try container.decodeIfPresent([String].self, forKey: .env) ?? []
            self.cmd = try container.decodeIfPresent([String].self, forKey: .cmd)
            self.entrypoint = try container.decodeIfPresent([String].self, forKey: .entrypoint)
            self.workingDir = try container.decodeIfPresent(String.self, forKey: .workingDir)
            self.user = try container.decodeIfPresent(String.self, forKey: .user)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case name = "Name"
        case created = "Created"
        case imageID = "Image"
        case state = "State"
        case config = "Config"
        case restartCount = "RestartCount"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        let name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        self.name = name.hasPrefix("/") ? String(name.dropFirst()) : name
        self.created = try container.decodeTimestampIfPresent(forKey: .created)
        self.imageID = try container.decodeIfPresent(String.self, forKey: .imageID) ?? ""
        self.state = try container.decode(ContainerState.self, forKey: .state)
        self.config = try container.decode(Config.self, forKey: .config)
        self.restartCount = try container.decodeIfPresent(Int.self, forKey: .restartCount) ?? 0
    }
}
