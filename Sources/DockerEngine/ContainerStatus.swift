/// A container's lifecycle state as the engine names it (`created`, `running`, `exited`, ...).
///
/// A struct rather than an enum so that states added by newer engines decode instead of failing.
public struct ContainerStatus: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The engine's name for the state.
    public var rawValue: String

    /// Wraps an engine state name.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Created but never started.
    public static let created = ContainerStatus(rawValue: "created")
    /// Running (possibly paused: see ``ContainerState/paused``).
    public static let running = ContainerStatus(rawValue: "running")
    /// Paused (cgroup freezer).
    public static let paused = ContainerStatus(rawValue: "paused")
    /// Being restarted by a restart policy.
    public static let restarting = ContainerStatus(rawValue: "restarting")
    /// Being removed.
    public static let removing = ContainerStatus(rawValue: "removing")
    /// Stopped; the exit code is in ``ContainerState/exitCode``.
    public static let exited = ContainerStatus(rawValue: "exited")
    /// Failed to stop or be removed; needs manual cleanup.
    public static let dead = ContainerStatus(rawValue: "dead")

    public var description: String { self.rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}
