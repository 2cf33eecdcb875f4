/// The body of `POST /containers/create`: what to run and with which host resources.
///
/// Properties are camelCase; they encode to the engine's PascalCase keys (`Image`, `Cmd`, `HostConfig`, ...).
/// Only properties that are set are encoded, so the engine's defaults apply to everything else.
public struct ContainerConfig: Sendable, Equatable, Codable {
    /// The image reference, e.g. `busybox:latest`.
    public var image: String
    /// The command; with ``entrypoint`` unset it replaces the image's `CMD`.
    public var cmd: [String]?
    /// Replaces the image's `ENTRYPOINT`; `[]` clears it.
    public var entrypoint: [String]?
    /// Environment as `KEY=value` strings.
    public var env: [String]?
    /// Labels attached to the container, e.g. for ``DockerClient/listContainers(all:labels:filters:)``.
    public var labels: [String: String]?
    /// Working directory inside the container.
    public var workingDir: String?
    /// `user`, `uid`, `user:group` or `uid:gid`.
    public var user: String?
    /// The container's hostname.
    public var hostname: String?
    /// Allocates a TTY; its logs are then raw rather than multiplexed stdout/stderr frames.
    public var tty: Bool?
    /// Keeps stdin open; rarely useful without attach.
    public var openStdin: Bool?
    /// Signal sent by stop, e.g. `SIGTERM`.
    public var stopSignal: String?
    /// Default seconds between the stop signal and SIGKILL.
    public var stopTimeout: Int?
    /// Disables networking entirely.
    public var networkDisabled: Bool?
    /// Host-level settings: resources, mounts, devices, security.
    public var hostConfig: HostConfig

    /// Creates a configuration; everything but the image is optional.
    public init(
        image: String,
        cmd: [String]? = nil,
        entrypoint: [String]? = nil,
        env: [String]? = nil,
        labels: [String: String]? = nil,
        workingDir: String? = nil,
        user: String? = nil,
        hostname: String? = nil,
        tty: Bool? = nil,
        openStdin: Bool? = nil,
        stopSignal: String? = nil,
        stopTimeout: Int? = nil,
        networkDisabled: Bool? = nil,
        hostConfig: HostConfig = HostConfig()
    ) {
        self.image = image
        self.cmd = cmd
        self.entrypoint = entrypoint
        self.env = env
        self.labels = labels
        self.workingDir = workingDir
        self.user = user
        self.hostname = hostname
        self.tty = tty
        self.openStdin = openStdin
        self.stopSignal = stopSignal
        self.stopTimeout = stopTimeout
        self.networkDisabled = networkDisabled
        self.hostConfig = hostConfig
    }

    enum CodingKeys: String, CodingKey {
        case image = "Image"
        case cmd = "Cmd"
        case entrypoint = "Entrypoint"
        case env = "Env"
        case labels = "Labels"
        case workingDir = "WorkingDir"
        case user = "User"
        case hostname = "Hostname"
        case tty = "Tty"
        case openStdin = "OpenStdin"
        case stopSignal = "StopSignal"
        case stopTimeout = "StopTimeout"
        case networkDisabled = "NetworkDisabled"
        case hostConfig = "HostConfig"
    }
}
