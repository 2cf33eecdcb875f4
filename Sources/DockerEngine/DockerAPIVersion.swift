/// A Docker Engine API version such as `1.41`.
public struct DockerAPIVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The major version; `1` for every engine so far.
    public var major: Int
    /// The minor version, e.g. `41`.
    public var minor: Int

    /// Creates a version from its parts.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `"1.41"`; returns `nil` for anything else.
    public init?(_ string: some StringProtocol) {
        let parts = string.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0 else {
            return nil
        }
        self.init(major: major, minor: minor)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let version = DockerAPIVersion(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not an API version"
            )
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }

    public static func < (lhs: DockerAPIVersion, rhs: DockerAPIVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "\(self.major).\(self.minor)" }
}
