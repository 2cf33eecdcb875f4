import DockerEngine
import Foundation
import TarArchive

/// Every call the daemon makes to a container engine, in one place.
///
/// The daemon's runner, scheduler, reconciler, host monitor and event follower use this protocol only, so a
/// fake engine drives them in tests and another executor can be added without touching them. The real engine is
/// ``DockerContainerEngine``, an adapter over the generic `DockerClient`.
///
/// Errors: ``EngineError/notFound(_:)`` and ``EngineError/conflict(_:)`` for a missing or already-existing
/// container, ``EngineError/rejected(_:)`` for any other refusal by the engine. Anything else thrown (a refused
/// connection, a reset stream) means the engine could not be reached: callers may look again later.
protocol ContainerEngine: Sendable {
    /// Creates a container named `name`; returns its id.
    func create(name: String, config: ContainerConfig) async throws -> String
    /// Uploads a tar archive and unpacks it at `path` (an existing directory) in the container.
    func putArchive(_ id: String, at path: String, archive: ArchiveUpload) async throws
    /// Starts a created container.
    func start(_ id: String) async throws
    /// Registers a wait for `condition` before anything else happens, so an exit right after a start is not missed.
    func registerWait(_ id: String, condition: WaitCondition) async throws -> EngineWait
    /// The container's identity, labels and state.
    func inspect(_ id: String) async throws -> EngineContainer
    /// The container's stdout and stderr, each chunk prefixed with the engine's timestamp, following until it exits.
    func logs(_ id: String, since: Date?) async throws -> AsyncThrowingStream<LogChunk, any Error>
    /// The tar archive of `path` in the container (its single top-level entry is the base name of `path`).
    func getArchive(_ id: String, path: String) async throws -> AsyncThrowingStream<[UInt8], any Error>
    /// The metadata of `path` in the container (no archive is made).
    func statPath(_ id: String, path: String) async throws -> ContainerPathStat
    /// Every container, running or not, that carries all of `labels` (`key=value`).
    func list(labels: [String]) async throws -> [EngineContainerSummary]
    /// Stops the container (SIGTERM, then SIGKILL after `timeout` seconds); stopping a stopped one is no error.
    func stop(_ id: String, timeout: Int) async throws
    /// Removes the container, killing it first if it runs.
    func remove(_ id: String) async throws
    /// Answers when the engine is reachable.
    func ping() async throws
    /// The names of the engine's container runtimes (`nvidia` when the NVIDIA runtime is installed).
    func runtimes() async throws -> [String]
    /// Whether the engine can bind-mount the daemon's folders as they are: it is on this machine (a Unix
    /// socket), maps no users (neither rootless nor `userns-remap`) and does not label for SELinux.
    func sharesDaemonFiles() async throws -> Bool
    /// Container `die`, `oom` and `destroy` events of containers carrying `labels`, from `since` on.
    func events(since: Date?, labels: [String]) async throws -> AsyncThrowingStream<EngineEvent, any Error>
    /// The `kill` and `stop` events the engine recorded for one container between two times, oldest first.
    func stopEvents(_ id: String, since: Date, until: Date) async throws -> [EngineEvent]
    /// Closes the connections.
    func shutdown() async
}

/// A registered wait: ``result()`` returns when the condition is met.
struct EngineWait: Sendable {
    /// Waits for the condition; throws when the connection to the engine breaks or the task is cancelled.
    let result: @Sendable () async throws -> Void
}

/// A tar archive to upload into a container.
enum ArchiveUpload: Sendable {
    /// An archive held in memory.
    case bytes([UInt8])
    /// An archive streamed from files, in chunks.
    case chunks(TarChunkSequence)
}

/// One container as the daemon sees it.
struct EngineContainer: Sendable, Equatable {
    /// The container's state, reduced to what the runner decides on.
    enum Status: Sendable, Equatable {
        /// Created, never started.
        case created
        /// Its main process runs (or is paused or restarting).
        case running
        /// It ran and ended (exited, or dead).
        case exited
    }

    var id: String
    var name: String
    var labels: [String: String]
    var status: Status
    var exitCode: Int
    var oomKilled: Bool
    /// The engine's error when the container could not run (empty when none).
    var error: String
}

/// One container of a listing.
struct EngineContainerSummary: Sendable, Equatable {
    var id: String
    /// The name without Docker's leading `/`.
    var name: String
    var labels: [String: String]
    /// When the engine created it, in seconds since the epoch (nil when the engine did not say).
    var created: Int64? = nil
}

/// Something that happened to a container.
struct EngineEvent: Sendable, Equatable {
    /// Seconds since the epoch.
    var time: Int64
    /// `die`, `oom` or `destroy`; `kill` or `stop` from ``ContainerEngine/stopEvents(_:since:until:)``.
    var action: String
    var containerID: String
    /// The signal of a `kill` event (`15`, `9`, ...).
    var signal: String? = nil
}

/// How an engine refused a request.
enum EngineError: Error, CustomStringConvertible, Equatable {
    /// No such container (or path in it).
    case notFound(String)
    /// The name is taken, or the container is busy being removed.
    case conflict(String)
    /// Any other refusal: a bad request, a missing image, an engine fault.
    case rejected(String)

    var description: String {
        switch self {
        case .notFound(let text), .conflict(let text), .rejected(let text): text
        }
    }

    /// Whether the error says that the container does not exist.
    static func isNotFound(_ error: any Error) -> Bool {
        if case .notFound? = error as? EngineError { return true }
        return false
    }
}
