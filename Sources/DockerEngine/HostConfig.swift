/// `HostConfig` of a container: resources, mounts, devices and security settings.
public struct HostConfig: Sendable, Equatable, Codable {
    /// `bridge` (default), `none`, `host`, or a network name.
    public var networkMode: String?
    /// Memory limit in bytes.
    public var memory: Int64?
    /// Memory plus swap limit in bytes; equal to ``memory`` means no swap, `-1` means unlimited swap.
    public var memorySwap: Int64?
    /// CPU quota in units of 1e-9 CPUs (`1_500_000_000` = 1.5 CPUs).
    public var nanoCpus: Int64?
    /// Size of `/dev/shm` in bytes.
    public var shmSize: Int64?
    /// Bind mounts in the short form `host-path:container-path[:ro]`.
    public var binds: [String]?
    /// Mounts in the long form; see ``Mount/bind(source:target:readOnly:)``.
    public var mounts: [Mount]?
    /// tmpfs mounts: container path to mount options (e.g. `"size=64m"`).
    public var tmpfs: [String: String]?
    /// Device requests, e.g. GPUs; see ``DeviceRequest/gpus(deviceIDs:)``.
    public var deviceRequests: [DeviceRequest]?
    /// OCI runtime, e.g. `nvidia`; `nil` uses the engine's default.
    public var runtime: String?
    /// Capabilities to add, e.g. `["SYS_PTRACE"]`.
    public var capAdd: [String]?
    /// Capabilities to drop, e.g. `["ALL"]`.
    public var capDrop: [String]?
    /// Security options, e.g. `["no-new-privileges"]`.
    public var securityOpt: [String]?
    /// Maximum number of processes; `-1` or `0` is unlimited.
    public var pidsLimit: Int64?
    /// Removes the container when it exits (its logs and exit code are then gone too).
    public var autoRemove: Bool?
    /// Runs an init process (tini) as PID 1 that reaps zombies and forwards signals.
    public var initProcess: Bool?
    /// Mounts the root filesystem read-only.
    public var readonlyRootfs: Bool?
    /// `private`, `shareable`, `host`, ...
    public var ipcMode: String?
    /// Resource limits such as `nofile`.
    public var ulimits: [Ulimit]?

    /// Creates host settings; everything is optional.
    public init(
        networkMode: String? = nil,
        memory: Int64? = nil,
        memorySwap: Int64? = nil,
        nanoCpus: Int64? = nil,
        shmSize: Int64? = nil,
        binds: [String]? = nil,
        mounts: [Mount]? = nil,
        tmpfs: [String: String]? = nil,
        deviceRequests: [DeviceRequest]? = nil,
        runtime: String? = nil,
        capAdd: [String]? = nil,
        capDrop: [String]? = nil,
        securityOpt: [String]? = nil,
        pidsLimit: Int64? = nil,
        autoRemove: Bool? = nil,
        initProcess: Bool? = nil,
        readonlyRootfs: Bool? = nil,
        ipcMode: String? = nil,
        ulimits: [Ulimit]? = nil
    ) {
        self.networkMode = networkMode
        self.memory = memory
        self.memorySwap = memorySwap
        self.nanoCpus = nanoCpus
        self.shmSize = shmSize
        self.binds = binds
        self.mounts = mounts
        self.tmpfs = tmpfs
        self.deviceRequests = deviceRequests
        self.runtime = runtime
        self.capAdd = capAdd
        self.capDrop = capDrop
        self.securityOpt = securityOpt
        self.pidsLimit = pidsLimit
        self.autoRemove = autoRemove
        self.initProcess = initProcess
        self.readonlyRootfs = readonlyRootfs
        self.ipcMode = ipcMode
        self.ulimits = ulimits
    }

    enum CodingKeys: String, CodingKey {
        case networkMode = "NetworkMode"
        case memory = "Memory"
        case memorySwap = "MemorySwap"
        case nanoCpus = "NanoCpus"
        case shmSize = "ShmSize"
        case binds = "Binds"
        case mounts = "Mounts"
        case tmpfs = "Tmpfs"
        case deviceRequests = "DeviceRequests"
        case runtime = "Runtime"
        case capAdd = "CapAdd"
        case capDrop = "CapDrop"
        case securityOpt = "SecurityOpt"
        case pidsLimit = "PidsLimit"
        case autoRemove = "AutoRemove"
        case initProcess = "Init"
        case readonlyRootfs = "ReadonlyRootfs"
        case ipcMode = "IpcMode"
        case ulimits = "Ulimits"
    }
}

/// One entry of `HostConfig.Ulimits`.
public struct Ulimit: Sendable, Equatable, Codable {
    /// The limit's name, e.g. `nofile`.
    public var name: String
    /// Soft limit.
    public var soft: Int64
    /// Hard limit.
    public var hard: Int64

    /// Creates a resource limit.
    public init(name: String, soft: Int64, hard: Int64) {
        self.name = name
        self.soft = soft
        self.hard = hard
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case soft = "Soft"
        case hard = "Hard"
    }
}
