/// One entry of `HostConfig.Mounts`.
public struct Mount: Sendable, Equatable, Codable {
    /// `bind`, `volume` or `tmpfs`.
    public var type: String
    /// Host path (bind) or volume name (volume); unused for tmpfs.
    public var source: String?
    /// Path inside the container.
    public var target: String
    /// Mounts read-only.
    public var readOnly: Bool?

    /// Creates a mount of any type.
    public init(type: String, source: String?, target: String, readOnly: Bool? = nil) {
        self.type = type
        self.source = source
        self.target = target
        self.readOnly = readOnly
    }

    /// A bind mount of host path `source` at `target`, read-only unless told otherwise.
    public static func bind(source: String, target: String, readOnly: Bool = true) -> Mount {
        Mount(type: "bind", source: source, target: target, readOnly: readOnly)
    }

    enum CodingKeys: String, CodingKey {
        case type = "Type"
        case source = "Source"
        case target = "Target"
        case readOnly = "ReadOnly"
    }
}
