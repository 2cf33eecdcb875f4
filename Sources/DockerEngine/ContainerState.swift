/// The `State` section of an inspected container.
public struct ContainerState: Sendable, Equatable, Decodable {
    /// `created`, `running`, `exited`, ...
    public var status: ContainerStatus
    /// Whether the container's process runs (also `true` while paused).
    public var running: Bool
    /// Whether the container is paused.
    public var paused: Bool
    /// Whether a restart policy is restarting it.
    public var restarting: Bool
    /// Whether the kernel's OOM killer killed a process of the container.
    public var oomKilled: Bool
    /// Whether the container is dead (failed removal).
    public var dead: Bool
    /// The main process's host PID while running, else 0.
    public var pid: Int
    /// The exit code of the last run (137 after SIGKILL, 143 after SIGTERM).
    public var exitCode: Int
    /// Why the engine failed to start the container, e.g. a missing executable; empty if none.
    public var error: String
    /// When the last run started; `nil` if never started.
    public var startedAt: DockerTimestamp?
    /// When the last run finished; `nil` if it has not finished.
    public var finishedAt: DockerTimestamp?

    enum CodingKeys: String, CodingKey {
        case status = "Status"
        case running = "Running"
        case paused = "Paused"
        case restarting = "Restarting"
        case oomKilled = "OOMKilled"
        case dead = "Dead"
        case pid = "Pid"
        case exitCode = "ExitCode"
        case error = "Error"
        case startedAt = "StartedAt"
        case finishedAt = "FinishedAt"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.status = try container.decode(ContainerStatus.self, forKey: .status)
        self.running = try container.decodeIfPresent(Bool.self, forKey: .running) ?? false
        self.paused = try container.decodeIfPresent(Bool.self, forKey: .paused) ?? false
        self.restarting = try container.decodeIfPresent(Bool.self, forKey: .restarting) ?? false
        self.oomKilled = try container.decodeIfPresent(Bool.self, forKey: .oomKilled) ?? false
        self.dead = try container.decodeIfPresent(Bool.self, forKey: .dead) ?? false
        self.pid = try container.decodeIfPresent(Int.self, forKey: .pid) ?? 0
        self.exitCode = try container.decodeIfPresent(Int.self, forKey: .exitCode) ?? 0
        self.error = try container.decodeIfPresent(String.self, forKey: .error) ?? ""
        self.startedAt = try container.decodeTimestampIfPresent(forKey: .startedAt)
        self.finishedAt = try container.decodeTimestampIfPresent(forKey: .finishedAt)
    }
}
