import CosmosDomain
import Foundation

/// Everything the daemon is configured with; built from a TOML file or the embedded default.
public struct DaemonConfiguration: Sendable, Equatable {
    /// The control socket's path.
    public var socketPath: String
    /// Where the database (`cosmos.db`), job logs and outputs live.
    public var stateDirectory: String
    /// What happens behind a job that cannot be placed.
    public var policy: SchedulingPolicy
    /// Seconds a cancelled job's container gets between SIGTERM and SIGKILL.
    public var stopTimeoutSeconds: Int
    /// Retries of infrastructure failures.
    public var retry: RetryPolicy
    /// Which images jobs may use (nil: all, with a warning at start).
    public var images: ImageAllowlist
    /// The Docker engines jobs run on.
    public var hosts: [HostConfiguration]
    /// `synchronous = FULL` for the database (a commit survives power loss).
    public var durableCommits: Bool
    /// The log level (`trace` ... `critical`).
    public var logLevel: String
    /// What a graceful stop does with running containers.
    public var onStop: OnStop = .leave
    /// The bound on a graceful stop.
    public var shutdownTimeoutSeconds: Int = 5
    /// How often a full reconciliation with the engines runs (engine events trigger more).
    public var reconcileIntervalSeconds: Int = 60
    /// How long a container of this instance with no current job may live before it is removed.
    public var orphanGraceSeconds: Int = 60

    /// What a graceful stop does with running containers.
    public enum OnStop: String, Sendable, Equatable, CaseIterable {
        /// Leave them running; the next start adopts them (the default).
        case leave
        /// Stop them (their jobs are retried on the next start).
        case stop
    }

    /// The database file.
    public var databasePath: String { stateDirectory + "/cosmos.db" }
    /// Per-job log files.
    public var logsDirectory: String { stateDirectory + "/logs" }
    /// Per-job outputs.
    public var outputsDirectory: String { stateDirectory + "/outputs" }

    public init(
        socketPath: String,
        stateDirectory: String,
        policy: SchedulingPolicy = .backfill,
        stopTimeoutSeconds: Int = 10,
        retry: RetryPolicy = RetryPolicy(),
        images: ImageAllowlist = ImageAllowlist(patterns: nil),
        hosts: [HostConfiguration],
        durableCommits: Bool = true,
        logLevel: String = "info"
    ) {
        self.socketPath = socketPath
        self.stateDirectory = stateDirectory
        self.policy = policy
        self.stopTimeoutSeconds = stopTimeoutSeconds
        self.retry = retry
        self.images = images
        self.hosts = hosts
        self.durableCommits = durableCommits
        self.logLevel = logLevel
    }

    /// The embedded default: needs no set-up.
    ///
    /// State in `./cosmos-state` (or `$STATE_DIRECTORY` under systemd), the socket in the state
    /// directory (or `$RUNTIME_DIRECTORY`), the local engine at `/var/run/docker.sock`, one GPU slot.
    public static func embeddedDefault(environment: [String: String] = ProcessInfo.processInfo.environment) -> Self {
        let state = Self.firstPath(environment["STATE_DIRECTORY"]) ?? "./cosmos-state"
        let runtime = Self.firstPath(environment["RUNTIME_DIRECTORY"]) ?? state
        return DaemonConfiguration(
            socketPath: runtime + "/cosmos.sock",
            stateDirectory: state,
            hosts: [HostConfiguration(name: "local", docker: "unix:///var/run/docker.sock", devices: ["0"])]
        )
    }

    /// systemd passes colon-separated lists in `STATE_DIRECTORY` and `RUNTIME_DIRECTORY`.
    static func firstPath(_ value: String?) -> String? {
        guard let first = value?.split(separator: ":").first, !first.isEmpty else { return nil }
        return String(first)
    }
}

/// One Docker engine and its GPUs.
public struct HostConfiguration: Sendable, Equatable {
    /// How containers are given their GPUs.
    public enum GPUMode: String, Sendable, Equatable, CaseIterable {
        /// `nvidia` if the engine lists the nvidia runtime, else `env`.
        case auto
        /// NVIDIA device requests with the allocated device ids.
        case nvidia
        /// No device request; `NVIDIA_VISIBLE_DEVICES` and `CUDA_VISIBLE_DEVICES` only.
        case env
    }

    public var name: String
    /// `unix:///path/to/docker.sock` or `tcp://host:port`.
    public var docker: String
    /// GPU device ids (a count `n` in the file means `"0"` ... `"n-1"`).
    public var devices: [String]
    public var gpuMode: GPUMode
    /// The containers' network mode; `none` unless the operator says otherwise.
    public var network: String

    public init(name: String, docker: String, devices: [String], gpuMode: GPUMode = .auto, network: String = "none") {
        self.name = name
        self.docker = docker
        self.devices = devices
        self.gpuMode = gpuMode
        self.network = network
    }
}

/// A configuration the daemon refuses to start with: names the key and the reason.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible, Sendable {
    public var key: String
    public var reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String {
        key.isEmpty ? "invalid configuration: \(reason)" : "invalid configuration: \(key): \(reason)"
    }
}
