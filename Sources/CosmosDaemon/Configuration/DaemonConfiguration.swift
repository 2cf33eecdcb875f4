import CosmosDomain
import DockerEngine
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
    /// How each host is probed, and when it counts as down.
    public var health = HostHealthSettings()
    /// Which input files jobs may stage, and how large they may be.
    public var inputs = InputSettings()
    /// How many items one batch run may hold (`[batch_runs]`).
    public var batchRunLimits = BatchRun.Limits()
    /// How event streams gather entries into windows (`[events]`).
    public var events = EventWindowSettings()
    /// The cost model's defaults before it has learned (`[smart_batch]`).
    public var smartBatch = SmartBatchSettings()
    /// Who may do what (`[access]`).
    public var access = AccessSettings()
    /// What `cosmosctl maintenance run` does without flags (`[maintenance]`).
    public var maintenance = MaintenanceSettings()
    /// The defaults of `cosmosctl upscale` (`[upscale]`).
    public var upscale = UpscaleConfiguration()
    /// The defaults of `cosmosctl enhance-batch` (`[enhance]`).
    public var enhance = EnhanceConfiguration()
    /// The dashboard and `/metrics` listener (`[web]`); off by default.
    public var web = WebSettings()
    /// Images that run through a shipped adapter (`[[runners]]`), first match wins.
    public var runners: [RunnerConfiguration] = []
    /// The group the control socket is given (mode 0660) when the daemon binds it itself; nil keeps its own.
    public var socketGroup: String?

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
    /// Bound attempts' `/cosmos` folders (mode 0700).
    public var stagingDirectory: String { stateDirectory + "/staging" }

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

/// How hosts are probed and when a host counts as down (`[daemon]` keys).
public struct HostHealthSettings: Sendable, Equatable {
    /// Seconds between two `/_ping` probes of a host (`probe_interval_seconds`).
    public var probeIntervalSeconds: Int = 5
    /// Failed probes in a row after which a host is `down` (`down_after_failures`).
    public var downAfterFailures: Int = 3
    /// Seconds a host stays down before its running jobs go back to the queue (`host_down_grace_seconds`).
    public var downGraceSeconds: Int = 60

    public init() {}
}

/// Which files on the daemon's machine jobs may name as `inputs` (`[inputs]`).
public struct InputSettings: Sendable, Equatable {
    /// Inputs must lie under one of these folders once links are resolved (`allow_roots`); none: no inputs.
    public var allowRoots: [String] = []
    /// The largest input file accepted (`max_size_gib`, default 10 GiB).
    public var maxBytes: Int64 = 10 << 30

    public init(allowRoots: [String] = [], maxBytes: Int64 = 10 << 30) {
        self.allowRoots = allowRoots
        self.maxBytes = maxBytes
    }
}

/// An operator's bind mount into every container of a host, such as a model checkpoint folder.
public struct HostMount: Sendable, Equatable {
    public var source: String
    public var target: String
    public var readOnly: Bool

    public init(source: String, target: String, readOnly: Bool = true) {
        self.source = source
        self.target = target
        self.readOnly = readOnly
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

    /// How `/cosmos` (the job document, inputs, adapter, outputs) gets into a container and back.
    public enum Staging: String, Sendable, Equatable, CaseIterable {
        /// `bind` for a daemon running as root and an engine on a Unix socket that maps no users (neither
        /// rootless nor `userns-remap`), else `archive`.
        case auto
        /// A per-attempt folder of the daemon's, bind-mounted at `/cosmos`: no archive round trips. The engine
        /// must see the daemon's file system, and the daemon must be able to read and remove what containers
        /// write there (as root).
        case bind
        /// An archive put into the container before start, and one fetched from `/cosmos/out` after the end.
        case archive
    }

    public var name: String
    /// `unix:///path/to/docker.sock` or `tcp://host:port`.
    public var docker: String
    /// GPU device ids (a count `n` in the file means `"0"` ... `"n-1"`).
    public var devices: [String]
    public var gpuMode: GPUMode
    /// The containers' network mode; `none` unless the operator says otherwise.
    public var network: String
    /// Client certificate, key and CA for a `tcp://` engine; nil for a Unix socket or a loopback TCP engine.
    public var tls: DockerTLS?
    /// Memory of each GPU, for jobs that ask for `min_gpu_memory_gib`.
    public var gpuMemoryGiB: Double?
    /// Labels that jobs' `selector` matches, such as `gpu = "a100"`.
    public var labels: [String: String]
    /// The operator's bind mounts into every container of this host.
    public var mounts: [HostMount]
    /// How `/cosmos` is staged.
    public var staging: Staging

    public init(
        name: String,
        docker: String,
        devices: [String],
        gpuMode: GPUMode = .auto,
        network: String = "none",
        tls: DockerTLS? = nil,
        gpuMemoryGiB: Double? = nil,
        labels: [String: String] = [:],
        mounts: [HostMount] = [],
        staging: Staging = .auto
    ) {
        self.name = name
        self.docker = docker
        self.devices = devices
        self.gpuMode = gpuMode
        self.network = network
        self.tls = tls
        self.gpuMemoryGiB = gpuMemoryGiB
        self.labels = labels
        self.mounts = mounts
        self.staging = staging
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

/// How event streams gather log entries into windows (`[events]`): a window closes after `windowMilliseconds`
/// or at `windowEvents` entries, whichever comes first.
public struct EventWindowSettings: Sendable, Equatable {
    public var windowMilliseconds: Int = 500
    public var windowEvents: Int = 10

    public init() {}
}

/// `[smart_batch]`: what the cost model assumes before it has measured enough runs.
public struct SmartBatchSettings: Sendable, Equatable {
    /// L: seconds to start a container and load the model.
    public var defaultSetupSeconds: Int = 60
    /// c: seconds per item.
    public var defaultItemSeconds: Int = 300

    public init() {}

    /// The defaults as an estimate.
    public var defaults: CostModel.Estimate {
        CostModel.Estimate(setupSeconds: Double(defaultSetupSeconds), itemSeconds: Double(defaultItemSeconds))
    }
}

/// `[access]`: who is an admin, and whether users see each other's work.
public struct AccessSettings: Sendable, Equatable {
    /// Members of this group are admins, as root always is.
    public var adminGroup: String = "cosmos-admin"
    /// Hide other users' jobs, batches, logs, outputs and events from non-admins (like Slurm's PrivateData).
    public var privateData: Bool = false

    public init() {}
}

/// `[maintenance]`: what a maintenance run does when it is given no flags (the timer's and cron's runs).
public struct MaintenanceSettings: Sendable, Equatable {
    /// How a run vacuums the database file.
    public enum Vacuum: String, Sendable, CaseIterable {
        case incremental, full, none
    }

    /// Finished jobs older than this many days are pruned, with their events and log files; 0 keeps them.
    public var pruneDays: Double = 30
    /// Pruning also removes the pruned jobs' output folders.
    public var pruneOutputs = false
    /// Event-log entries older than this many days are pruned; 0 keeps them.
    public var eventRetentionDays: Double = 30
    public var vacuum = Vacuum.incremental
    /// Where an online backup is written; nil: no backup.
    public var backupPath: String?
    /// Run the integrity and foreign-key checks.
    public var check = true
    /// Remove containers of this instance that no job owns, and output folders of jobs that are gone.
    public var sweep = true

    public init() {}
}

/// `[upscale]`: what `cosmosctl upscale` runs when the request does not say.
public struct UpscaleConfiguration: Sendable, Equatable {
    /// The image of upscale jobs; nil: the request must name one (`--image`).
    public var image: String?
    /// The command of upscale jobs; nil: the image's own.
    public var command: [String]?
    /// The control weight when the request gives none.
    public var weight: Double = UpscaleDefaults.weight

    public init() {}
}

/// `[enhance]`: what `cosmosctl enhance-batch` runs when the request does not say.
public struct EnhanceConfiguration: Sendable, Equatable {
    /// The image of enhance runs (a prompt upsampler); nil: the request must name one (`--image`).
    public var image: String?
    /// The command of enhance runs; nil: the image's own.
    public var command: [String]?
    /// The prompt-upsampling model named in the run's `job.json`; nil: the image's own choice.
    public var model: String?

    public init() {}
}
