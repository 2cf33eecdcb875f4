import CosmosStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SystemdKit

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's parts, wired and ready to run.
public struct Daemon: Sendable {
    /// Every long-running piece, under one group with graceful shutdown on SIGTERM and SIGINT.
    public let serviceGroup: ServiceGroup
    let executor: ContainerExecutor
    let lock: StateLock

    /// Runs until SIGTERM or SIGINT, then stops within the configured bound.
    public func run() async throws {
        defer { lock.release() }
        do {
            try await serviceGroup.run()
        } catch {
            await executor.shutdown()
            throw error
        }
        await executor.shutdown()
    }
}

/// Builds the daemon from `configuration`: state directories, database, executor, scheduler, control server.
///
/// - Parameter configurationPath: the file a SIGHUP reloads (nil for the embedded default).
public func buildDaemon(
    configuration: DaemonConfiguration,
    configurationPath: String? = nil,
    logger: Logger
) async throws -> Daemon {
    let live = LiveConfiguration(configuration, path: configurationPath)
    let fileManager = FileManager.default
    for directory in [configuration.stateDirectory, configuration.logsDirectory, configuration.outputsDirectory] {
        try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    // What containers write into bound `/cosmos` folders (setuid files included) stays out of others' reach.
    try fileManager.createDirectory(
        atPath: configuration.stagingDirectory,
        withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o700]
    )
    try fileManager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: configuration.stagingDirectory)
    let lock = try StateLock(directory: configuration.stateDirectory)
    let database = try AppDatabase(path: configuration.databasePath, durable: configuration.durableCommits)
    let instance = try await database.instanceID()
    var logger = logger
    logger[metadataKey: "instance"] = "\(instance)"
    if configuration.images.patterns == nil {
        logger.warning("no [images] section: every image is allowed; set [images] allow = [...] to restrict them")
    }
    let executor = try ContainerExecutor.docker(configuration: configuration, instance: instance, logger: logger)
    let registry = HostRegistry(hosts: configuration.hosts.map(\.name), drained: try await database.drainedHosts())
    let notifier = SystemdNotifier()
    let readyLogger = logger
    let readiness = Readiness {
        readyLogger.notice("ready: database migrated, engines reconciled, control socket bound")
        notifier.ready()
    }
    let statistics = DaemonStatistics()
    let scheduler = Scheduler(
        database: database,
        executor: executor,
        registry: registry,
        live: live,
        readiness: readiness,
        statistics: statistics,
        logger: logger,
        onLongReconcile: { notifier.extendTimeout(.seconds(15)) }
    )
    let events = EngineEventsService(executor: executor, scheduler: scheduler, logger: logger)
    let monitor = HostMonitor(executor: executor, registry: registry, scheduler: scheduler, live: live, logger: logger)
    var reload = ReloadService(live: live, scheduler: scheduler, logger: logger)
    reload.onReloading = { notifier.reloading() }
    reload.onReloaded = { notifier.ready() }
    let access = AccessPolicy(settings: { live.current.access })
    if access.groupID(configuration.access.adminGroup) == nil {
        logger.notice(
            "the admin group does not exist: only root is an admin (groupadd it, or set [access] admin_group)",
            metadata: ["group": "\(configuration.access.adminGroup)"]
        )
    }
    let queries = Queries(
        database: database,
        scheduler: scheduler,
        registry: registry,
        live: live,
        instance: instance,
        statistics: statistics,
        access: access
    )
    let commands = Commands(
        database: database,
        scheduler: scheduler,
        registry: registry,
        live: live,
        access: access,
        logger: logger
    )
    let systemd = SystemdService(
        notifier: notifier,
        watchdog: .fromEnvironment(),
        database: database,
        scheduler: scheduler,
        queries: queries,
        logger: logger
    )

    let router = Router(context: ControlRequestContext.self)
    let hub = EventHub(database: database, logger: logger)
    let api = ControlAPI(
        commands: commands,
        queries: queries,
        events: EventStreamer(
            database: database,
            hub: hub,
            settings: { EventStreamSettings(window: live.current.events) },
            statistics: statistics,
            batchProgress: { try await queries.batchProgress($0) }
        )
    )
    api.register(on: router)
    // Only the socket hands out dashboard logins: it knows the caller's uid from the kernel.
    WebLoginController(commands: commands).register(on: router)
    let metrics = DaemonMetrics()
    metrics.prime(hosts: configuration.hosts.map(\.name))
    let metricsService = MetricsService(
        database: database,
        hub: hub,
        metrics: metrics,
        statistics: statistics,
        logger: logger
    )
    var webServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
    if let address = configuration.web.listen {
        let webRouter = try WebServer.router(
            database: database,
            queries: queries,
            api: api,
            metrics: metrics,
            live: live
        )
        webServices.append(
            .init(
                service: try WebServer.service(
                    settings: configuration.web,
                    address: address,
                    router: webRouter,
                    logger: logger
                )
            )
        )
    }
    let socketPath = configuration.socketPath
    let serverLogger = logger
    let server: any Service
    if let inherited = ListenFDs.take().first {
        // Socket activation: systemd owns the socket file, its mode and its group.
        server = InheritedSocketServer(descriptor: inherited, responder: router.buildResponder(), logger: logger) {
            readiness.socketBound()
        }
    } else {
        let socketGID = try configuration.socketGroup.map { name in
            guard let gid = AccessPolicy.systemGroupID(name) else {
                throw ConfigurationError(key: "daemon.socket_group", reason: "there is no group \"\(name)\" here")
            }
            return gid
        }
        try ControlSocket.prepare(path: configuration.socketPath)
        server = Application(
            router: router,
            server: .http1(configuration: MalformedRequestCloser.channelConfiguration),
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "cosmos-worker"),
            onServerRunning: { _ in
                // Owner and group only; with [daemon] socket_group, that group's members reach it.
                if let socketGID, chown(socketPath, UInt32.max, socketGID) != 0 {
                    serverLogger.error(
                        "cannot give the control socket its group",
                        metadata: ["socket": "\(socketPath)", "error": "\(String(cString: strerror(errno)))"]
                    )
                }
                chmod(socketPath, 0o660)
                serverLogger.notice("control socket bound", metadata: ["socket": "\(socketPath)"])
                readiness.socketBound()
            },
            logger: logger
        )
    }
    var groupConfiguration = ServiceGroupConfiguration(
        services: [
            .init(service: scheduler), .init(service: events), .init(service: monitor), .init(service: reload),
            .init(service: metricsService), .init(service: server),
        ] + webServices + [
            // After the server, so it stops first: open event streams flush and close, and the server can quiesce.
            .init(service: hub),
            // Last: on SIGTERM services stop in reverse order, so STOPPING=1 goes out first.
            .init(service: systemd),
        ],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownTimeoutSeconds)
    groupConfiguration.maximumCancellationDuration = .seconds(2)
    logger.notice(
        "cosmos-worker starting",
        metadata: [
            "state_dir": "\(configuration.stateDirectory)", "socket": "\(socketPath)",
            "hosts": "\(configuration.hosts.map(\.name).joined(separator: ","))",
            "version": "\(CosmosWorkerVersion.current)",
        ]
    )
    return Daemon(serviceGroup: ServiceGroup(configuration: groupConfiguration), executor: executor, lock: lock)
}

/// An exclusive lock on the state directory, so two daemons never share one database.
final class StateLock: Sendable {
    private let descriptor: Int32

    init(directory: String) throws {
        let path = directory + "/cosmos.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw DaemonError.stateLock(path: path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw DaemonError.stateLock(path: path, reason: "another cosmos-worker is using this state directory")
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// The control socket's file: refuse to start over a live daemon's socket, remove a stale one.
enum ControlSocket {
    static func prepare(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        guard FileManager.default.fileExists(atPath: path) else { return }
        if isListening(path) {
            throw DaemonError.socketInUse(path)
        }
        unlink(path)
    }

    /// Whether something accepts connections on the Unix socket at `path`.
    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}

/// Why the daemon cannot start; each says what to do.
public enum DaemonError: Error, CustomStringConvertible {
    case stateLock(path: String, reason: String)
    case socketInUse(String)

    public var description: String {
        switch self {
        case .stateLock(let path, let reason):
            "cannot lock \(path): \(reason)"
        case .socketInUse(let path):
            "a daemon is already serving \(path); stop it first or set [daemon] socket to another path"
        }
    }
}
