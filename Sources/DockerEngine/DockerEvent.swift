/// One entry of `GET /events`: something happened to a container, image, network, volume, ...
public struct DockerEvent: Sendable, Equatable, Decodable {
    /// The object kind: `container`, `image`, `network`, `volume`, `daemon`, ...
    public var type: String
    /// What happened, e.g. `create`, `start`, `die`, `oom`, `destroy`; some carry a suffix (`exec_start: sh`).
    public var action: String
    /// The object the event is about.
    public var actor: Actor
    /// `local` or `swarm`.
    public var scope: String?
    /// Seconds since 1970.
    public var time: Int64
    /// Nanoseconds since 1970.
    public var timeNano: Int64

    /// The object an event is about.
    public struct Actor: Sendable, Equatable, Decodable {
        /// The object's id, e.g. the container id.
        public var id: String
        /// Details such as `name`, `image`, the container's labels and, for `die`, `exitCode`.
        public var attributes: [String: String]

        enum CodingKeys: String, CodingKey {
            case id = "ID"
            case attributes = "Attributes"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
            self.attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        }
    }

    enum CodingKeys: String, CodingKey {
        case type = "Type"
        case action = "Action"
        case actor = "Actor"
        case scope
        case time
        case timeNano
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.type = try container.decodeIfPresent(String.self, forKey: .type) ?? ""
        self.action = try container.decodeIfPresent(String.self, forKey: .action) ?? ""
        self.actor = try container.decode(Actor.self, forKey: .actor)
        self.scope = try container.decodeIfPresent(String.self, forKey: .scope)
        self.time = try container.decodeIfPresent(Int64.self, forKey: .time) ?? 0
        self.timeNano = try container.decodeIfPresent(Int64.self, forKey: .timeNano) ?? self.time * 1_000_000_000
    }
}
