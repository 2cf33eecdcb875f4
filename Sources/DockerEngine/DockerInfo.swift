/// `GET /info`: engine-wide facts (a selection of the engine's many keys).
public struct DockerInfo: Sendable, Equatable, Decodable {
    /// The engine host's name.
    public var name: String
    /// The engine version, e.g. `20.10.24+dfsg1`.
    public var serverVersion: String
    /// The names of the OCI runtimes the engine knows, sorted, e.g. `["nvidia", "runc"]`.
    public var runtimes: [String]
    /// The runtime used when a container names none, e.g. `runc`.
    public var defaultRuntime: String?
    /// Logical CPUs available to the engine.
    public var ncpu: Int
    /// Memory available to the engine, in bytes.
    public var memTotal: Int64
    /// Number of containers in any state.
    public var containers: Int?
    /// Number of running containers.
    public var containersRunning: Int?
    /// Number of images.
    public var images: Int?
    /// The host OS description, e.g. `Debian GNU/Linux 12 (bookworm)`.
    public var operatingSystem: String?
    /// The host kernel version.
    public var kernelVersion: String?
    /// `1` or `2`.
    public var cgroupVersion: String?
    /// `cgroupfs` or `systemd`.
    public var cgroupDriver: String?
    /// The storage driver, e.g. `overlay2`.
    public var driver: String?
    /// The engine's security options, e.g. `name=seccomp,profile=default`, `name=rootless`, `name=userns`.
    public var securityOptions: [String]

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case serverVersion = "ServerVersion"
        case runtimes = "Runtimes"
        case defaultRuntime = "DefaultRuntime"
        case ncpu = "NCPU"
        case memTotal = "MemTotal"
        case containers = "Containers"
        case containersRunning = "ContainersRunning"
        case images = "Images"
        case operatingSystem = "OperatingSystem"
        case kernelVersion = "KernelVersion"
        case cgroupVersion = "CgroupVersion"
        case cgroupDriver = "CgroupDriver"
        case driver = "Driver"
        case securityOptions = "SecurityOptions"
    }

    /// Decodes the engine's JSON; `Runtimes` (an object keyed by runtime name) becomes its sorted keys.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decode(String.self, forKey: .name)
        self.serverVersion = try container.decode(String.self, forKey: .serverVersion)
        let runtimes = try container.decodeIfPresent([String: IgnoredValue].self, forKey: .runtimes) ?? [:]
        self.runtimes = runtimes.keys.sorted()
        self.defaultRuntime = try container.decodeIfPresent(String.self, forKey: .defaultRuntime)
        self.ncpu = try container.decode(Int.self, forKey: .ncpu)
        self.memTotal = try container.decode(Int64.self, forKey: .memTotal)
        self.containers = try container.decodeIfPresent(Int.self, forKey: .containers)
        self.containersRunning = try container.decodeIfPresent(Int.self, forKey: .containersRunning)
        self.images = try container.decodeIfPresent(Int.self, forKey: .images)
        self.operatingSystem = try container.decodeIfPresent(String.self, forKey: .operatingSystem)
        self.kernelVersion = try container.decodeIfPresent(String.self, forKey: .kernelVersion)
        self.cgroupVersion = try container.decodeIfPresent(String.self, forKey: .cgroupVersion)
        self.cgroupDriver = try container.decodeIfPresent(String.self, forKey: .cgroupDriver)
        self.driver = try container.decodeIfPresent(String.self, forKey: .driver)
        self.securityOptions = try container.decodeIfPresent([String].self, forKey: .securityOptions) ?? []
    }

    /// Whether the engine maps container users to other host users (rootless, or `userns-remap`).
    public var mapsUsers: Bool {
        securityOptions.contains { option in
            option.split(separator: ",").contains { $0 == "name=rootless" || $0 == "name=userns" }
        }
    }

    /// Whether the engine labels containers for SELinux (`--selinux-enabled`): a bind mount of a folder that was
    /// not relabelled is then refused to the container.
    public var labelsForSELinux: Bool {
        securityOptions.contains { option in option.split(separator: ",").contains { $0 == "name=selinux" } }
    }
}

/// Decodes any JSON value and keeps nothing.
struct IgnoredValue: Decodable, Sendable {
    init(from decoder: any Decoder) throws {}
}
