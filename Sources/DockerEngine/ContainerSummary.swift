/// One entry of `GET /containers/json`.
public struct ContainerSummary: Sendable, Equatable, Decodable {
    /// The full id.
    public var id: String
    /// The names without the engine's leading `/`.
    public var names: [String]
    /// The image reference as given at create.
    public var image: String
    /// The image id.
    public var imageID: String?
    /// The command as one string.
    public var command: String?
    /// Creation time, in seconds since 1970.
    public var created: Int64
    /// `created`, `running`, `exited`, ...
    public var state: ContainerStatus
    /// A human-readable status such as `Up 5 seconds` or `Exited (0) 2 minutes ago`.
    public var status: String
    /// The container's labels.
    public var labels: [String: String]

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case names = "Names"
        case image = "Image"
        case imageID = "ImageID"
        case command = "Command"
        case created = "Created"
        case state = "State"
        case status = "Status"
        case labels = "Labels"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        let names = try container.decodeIfPresent([String].self, forKey: .names) ?? []
        self.names = names.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }
        self.image = try container.decodeIfPresent(String.self, forKey: .image) ?? ""
        self.imageID = try container.decodeIfPresent(String.self, forKey: .imageID)
        self.command = try container.decodeIfPresent(String.self, forKey: .command)
        self.created = try container.decodeIfPresent(Int64.self, forKey: .created) ?? 0
        self.state =
            try container.decodeIfPresent(ContainerStatus.self, forKey: .state) ?? ContainerStatus(rawValue: "")
        self.status = try container.decodeIfPresent(String.self, forKey: .status) ?? ""
        self.labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    }
}
