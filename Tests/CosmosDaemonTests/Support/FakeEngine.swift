import DockerEngine
import Foundation
import Synchronization
import TarArchive

@testable import CosmosDaemon

/// A scriptable container engine for tests of the runner and reconciliation, with no Docker behind it.
///
/// A started container "runs" its script at once: it prints its log lines, writes its outputs into
/// `/cosmos/out` and exits with its exit code. Every call is recorded in ``calls``.
final class FakeEngine: ContainerEngine {
    /// What a container does when started.
    struct Script: Sendable {
        var exitCode = 0
        var oomKilled = false
        var logLines: [String] = []
        /// Files in `/cosmos/out` after the run, by path relative to it.
        var outputs: [String: String] = [:]
        /// The container is removed behind the daemon's back as it exits (as `docker rm -f` does).
        var vanishesOnExit = false
        /// The first wait fails as if the connection to the engine broke.
        var firstWaitFails = false
        /// The engine recorded a `kill` of the container that the daemon did not send (`docker kill`).
        var killedOutside = false
    }

    /// An engine call the test wants to never return (until the calling task is cancelled).
    enum Call: String, Sendable {
        case create, start, inspect, wait, list, ping
    }

    /// A container the fake holds.
    struct Container: Sendable {
        var id: String
        var name: String
        var labels: [String: String]
        var status: EngineContainer.Status = .created
        var exitCode = 0
        var oomKilled = false
        /// The host folder bind-mounted at `/cosmos`, if any: a started container writes its outputs there.
        var cosmosFolder: String?
    }

    /// Thrown where a real engine's connection would break.
    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "connection refused (fake engine)" }
    }

    private struct State {
        var containers: [String: Container] = [:]
        var script = Script()
        var hanging: Set<Call> = []
        var unreachable = false
        var calls: [String] = []
        var uploads: [[UInt8]] = []
        var waitsFailed = 0
        var nextID = 1
        var sharesFiles = false
        var seesDaemonFiles = true
    }

    private let state = Mutex(State())

    /// Sets what the next started containers do.
    func setScript(_ script: Script) { state.withLock { $0.script = script } }

    /// Makes `call` hang until cancelled.
    func hang(_ call: Call) { state.withLock { _ = $0.hanging.insert(call) } }

    /// Makes the engine say it sees the daemon's files (as a local Docker engine does), so `/cosmos` is bound.
    func setSharesFiles(_ shares: Bool) { state.withLock { $0.sharesFiles = shares } }

    /// Makes the engine refuse every bind mount as Docker refuses a source it cannot see (a daemon in a container
    /// of its own, say), while ``sharesDaemonFiles()`` still answers what ``setSharesFiles(_:)`` set.
    func setSeesDaemonFiles(_ sees: Bool) { state.withLock { $0.seesDaemonFiles = sees } }

    /// Makes every call fail as an unreachable engine's would.
    func setUnreachable(_ unreachable: Bool) { state.withLock { $0.unreachable = unreachable } }

    /// Puts a container in place, as if made earlier (by a create whose answer was lost, say).
    func insert(_ container: Container) { state.withLock { $0.containers[container.id] = container } }

    /// Every call made, in order, as `verb name-or-id`.
    var calls: [String] { state.withLock { $0.calls } }

    /// Every archive uploaded, in order.
    var uploads: [[UInt8]] { state.withLock { $0.uploads } }

    /// The containers held now.
    var containers: [Container] { state.withLock { Array($0.containers.values) } }

    /// Removes a container behind the daemon's back.
    func deleteBehindTheDaemon(_ name: String) {
        state.withLock { state in
            if let id = Self.find(name, in: state.containers) { state.containers[id] = nil }
        }
    }

    // MARK: ContainerEngine

    func create(name: String, config: ContainerConfig) async throws -> String {
        try await enter(.create, "create \(name)")
        return try state.withLock { state in
            if Self.find(name, in: state.containers) != nil { throw EngineError.conflict("name \(name) in use") }
            if !state.seesDaemonFiles, let bind = config.hostConfig.mounts?.first(where: { $0.type == "bind" }) {
                throw EngineError.rejected(
                    "invalid mount config for type \"bind\": bind source path does not exist: \(bind.source ?? "")"
                )
            }
            let id = String(format: "fake%060d", state.nextID)
            state.nextID += 1
            let folder = config.hostConfig.mounts?.first { $0.target == "/cosmos" }?.source
            state.containers[id] = Container(id: id, name: name, labels: config.labels ?? [:], cosmosFolder: folder)
            return id
        }
    }

    func putArchive(_ id: String, at path: String, archive: ArchiveUpload) async throws {
        try await enter(nil, "put \(id)")
        var bytes: [UInt8] = []
        switch archive {
        case .bytes(let data): bytes = data
        case .chunks(let chunks): for try await chunk in chunks { bytes += chunk }
        }
        try state.withLock { state in
            guard Self.find(id, in: state.containers) != nil else { throw EngineError.notFound("no \(id)") }
            state.uploads.append(bytes)
        }
    }

    func start(_ id: String) async throws {
        try await enter(.start, "start \(id)")
        try state.withLock { state in
            guard let key = Self.find(id, in: state.containers) else { throw EngineError.notFound("no \(id)") }
            let script = state.script
            state.containers[key]?.status = .exited
            state.containers[key]?.exitCode = script.exitCode
            state.containers[key]?.oomKilled = script.oomKilled
            if let folder = state.containers[key]?.cosmosFolder {
                for (file, text) in script.outputs {
                    let url = URL(fileURLWithPath: folder + "/out/" + file)
                    try FileManager.default.createDirectory(
                        at: url.deletingLastPathComponent(),
                        withIntermediateDirectories: true
                    )
                    try Data(text.utf8).write(to: url)
                }
            }
            if script.vanishesOnExit { state.containers[key] = nil }
        }
    }

    func registerWait(_ id: String, condition: WaitCondition) async throws -> EngineWait {
        try await enter(nil, "wait \(id)")
        let fails = state.withLock { state in
            defer { if state.script.firstWaitFails { state.waitsFailed += 1 } }
            return state.script.firstWaitFails && state.waitsFailed == 0
        }
        let hangs = state.withLock { $0.hanging.contains(.wait) }
        return EngineWait {
            if hangs { try await Task.sleep(for: .seconds(3600)) }
            if fails { throw Unreachable() }
        }
    }

    func inspect(_ id: String) async throws -> EngineContainer {
        try await enter(.inspect, "inspect \(id)")
        return try state.withLock { state in
            guard let key = Self.find(id, in: state.containers), let container = state.containers[key] else {
                throw EngineError.notFound("No such container: \(id)")
            }
            return EngineContainer(
                id: container.id,
                name: container.name,
                labels: container.labels,
                status: container.status,
                exitCode: container.exitCode,
                oomKilled: container.oomKilled,
                error: ""
            )
        }
    }

    func logs(_ id: String, since: Date?) async throws -> AsyncThrowingStream<LogChunk, any Error> {
        try await enter(nil, "logs \(id)")
        let lines = state.withLock { $0.script.logLines }
        return AsyncThrowingStream { continuation in
            for (index, line) in lines.enumerated() {
                let stamp = String(format: "2026-12-01T10:00:%02d.000000000Z ", index % 60)
                continuation.yield(LogChunk(stream: .stdout, bytes: Array((stamp + line + "\n").utf8)))
            }
            continuation.finish()
        }
    }

    func getArchive(_ id: String, path: String) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        try await enter(nil, "archive \(id) \(path)")
        let outputs = state.withLock { $0.script.outputs }
        var entries: [TarEntry] = [.directory(path: "out")]
        for (file, text) in outputs.sorted(by: { $0.key < $1.key }) {
            entries.append(.file(path: "out/" + file, contents: Array(text.utf8)))
        }
        let archive = TarWriter.archive(entries)
        return AsyncThrowingStream { continuation in
            continuation.yield(archive)
            continuation.finish()
        }
    }

    func statPath(_ id: String, path: String) async throws -> ContainerPathStat {
        try await enter(nil, "stat \(id) \(path)")
        let outputs = state.withLock { $0.script.outputs }
        let mtime = outputs.isEmpty ? #""1970-01-01T00:00:00Z""# : #""2026-12-01T10:00:00.5Z""#
        let json = #"{"name":"out","size":4096,"mode":2147484159,"mtime":"# + mtime + #","linkTarget":""}"#
        return try JSONDecoder().decode(ContainerPathStat.self, from: Data(json.utf8))
    }

    func list(labels: [String]) async throws -> [EngineContainerSummary] {
        try await enter(.list, "list")
        return state.withLock { state in
            state.containers.values.filter { container in
                labels.allSatisfy { label in
                    let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
                    return parts.count == 2 && container.labels[parts[0]] == parts[1]
                }
            }.map { EngineContainerSummary(id: $0.id, name: $0.name, labels: $0.labels) }
        }
    }

    func stop(_ id: String, timeout: Int) async throws {
        try await enter(nil, "stop \(id)")
        state.withLock { state in
            if let key = Self.find(id, in: state.containers), state.containers[key]?.status == .running {
                state.containers[key]?.status = .exited
                state.containers[key]?.exitCode = 143
            }
        }
    }

    func remove(_ id: String) async throws {
        try await enter(nil, "remove \(id)")
        try state.withLock { state in
            guard let key = Self.find(id, in: state.containers) else { throw EngineError.notFound("no \(id)") }
            state.containers[key] = nil
        }
    }

    func ping() async throws { try await enter(.ping, "ping") }

    func runtimes() async throws -> [String] { ["runc"] }

    func sharesDaemonFiles() async throws -> Bool { state.withLock { $0.sharesFiles } }

    func events(since: Date?, labels: [String]) async throws -> AsyncThrowingStream<EngineEvent, any Error> {
        AsyncThrowingStream { _ in }
    }

    func stopEvents(_ id: String, since: Date, until: Date) async throws -> [EngineEvent] {
        try await enter(nil, "stopEvents \(id)")
        return state.withLock { state in
            state.script.killedOutside ? [EngineEvent(time: 0, action: "kill", containerID: id, signal: "9")] : []
        }
    }

    func shutdown() async {}

    // MARK: Helpers

    /// Records the call, fails it when the engine is unreachable, and hangs it when asked to.
    private func enter(_ call: Call?, _ text: String) async throws {
        let (unreachable, hangs) = state.withLock { state in
            state.calls.append(text)
            return (state.unreachable, call.map { state.hanging.contains($0) } ?? false)
        }
        if unreachable { throw Unreachable() }
        if hangs { try await Task.sleep(for: .seconds(3600)) }
    }

    /// The key of the container with id or name `reference`.
    private static func find(_ reference: String, in containers: [String: Container]) -> String? {
        if containers[reference] != nil { return reference }
        return containers.first { $0.value.name == reference }?.key
    }
}
