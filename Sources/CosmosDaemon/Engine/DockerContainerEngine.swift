import DockerEngine
import Foundation

/// The real engine: ``ContainerEngine`` over the generic `DockerClient`.
///
/// It maps the engine's error answers to ``EngineError`` (404 not found, 409 conflict, anything else rejected)
/// and lets transport failures through unchanged.
struct DockerContainerEngine: ContainerEngine {
    let client: DockerClient

    func create(name: String, config: ContainerConfig) async throws -> String {
        try await mapped { try await client.createContainer(name: name, config) }
    }

    func putArchive(_ id: String, at path: String, archive: ArchiveUpload) async throws {
        let body: ArchiveBody =
            switch archive {
            case .bytes(let bytes): .bytes(bytes)
            case .chunks(let chunks): .stream(chunks, length: Int(chunks.byteCount))
            }
        try await mapped { try await client.putArchive(id: id, path: path, body: body) }
    }

    func start(_ id: String) async throws {
        _ = try await mapped { try await client.startContainer(id: id) }
    }

    func registerWait(_ id: String, condition: WaitCondition) async throws -> EngineWait {
        let handle = try await mapped { try await client.registerWait(id: id, condition: condition) }
        return EngineWait { _ = try await mapped { try await handle.result() } }
    }

    func inspect(_ id: String) async throws -> EngineContainer {
        let details = try await mapped { try await client.inspectContainer(id: id) }
        let status: EngineContainer.Status =
            if details.state.status == .created { .created } else if details.state.running { .running } else { .exited }
        return EngineContainer(
            id: details.id,
            name: details.name,
            labels: details.config.labels,
            status: status,
            exitCode: details.state.exitCode,
            oomKilled: details.state.oomKilled,
            error: details.state.error
        )
    }

    func logs(_ id: String, since: Date?) async throws -> AsyncThrowingStream<LogChunk, any Error> {
        let stream = try await mapped { try await client.logs(id: id, follow: true, since: since, timestamps: true) }
        return AsyncThrowingStream(wrapping: stream)
    }

    func getArchive(_ id: String, path: String) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        AsyncThrowingStream(wrapping: try await mapped { try await client.getArchive(id: id, path: path) })
    }

    func statPath(_ id: String, path: String) async throws -> ContainerPathStat {
        try await mapped { try await client.statPath(id: id, path: path) }
    }

    func list(labels: [String]) async throws -> [EngineContainerSummary] {
        try await mapped { try await client.listContainers(all: true, labels: labels) }.map {
            EngineContainerSummary(
                id: $0.id,
                name: $0.names.first.map { String($0.drop { $0 == "/" }) } ?? $0.id,
                labels: $0.labels,
                created: $0.created
            )
        }
    }

    func stop(_ id: String, timeout: Int) async throws {
        _ = try await mapped { try await client.stopContainer(id: id, timeout: timeout) }
    }

    func remove(_ id: String) async throws {
        try await mapped { try await client.removeContainer(id: id, force: true) }
    }

    func ping() async throws {
        _ = try await mapped { try await client.ping() }
    }

    func runtimes() async throws -> [String] {
        Array(try await mapped { try await client.info() }.runtimes)
    }

    func sharesDaemonFiles() async throws -> Bool {
        guard case .unix = client.endpoint else { return false }
        let info = try await mapped { try await client.info() }
        return !info.mapsUsers && !info.labelsForSELinux
    }

    func events(since: Date?, labels: [String]) async throws -> AsyncThrowingStream<EngineEvent, any Error> {
        let stream = try await mapped {
            try await client.events(
                since: since,
                filters: ["type": ["container"], "label": labels, "event": ["die", "oom", "destroy"]]
            )
        }
        return AsyncThrowingStream(
            wrapping: stream.map { EngineEvent(time: $0.time, action: $0.action, containerID: $0.actor.id) }
        )
    }

    func stopEvents(_ id: String, since: Date, until: Date) async throws -> [EngineEvent] {
        let stream = try await mapped {
            try await client.events(
                since: since,
                until: until,
                filters: ["type": ["container"], "container": [id], "event": ["kill", "stop"]]
            )
        }
        var events: [EngineEvent] = []
        for try await event in stream {
            events.append(
                EngineEvent(
                    time: event.time,
                    action: event.action,
                    containerID: event.actor.id,
                    signal: event.actor.attributes["signal"]
                )
            )
        }
        return events
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// Runs `body`, turning the engine's error answers into ``EngineError``.
    private func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DockerError {
            if error.isNotFound { throw EngineError.notFound(error.description) }
            if error.isConflict { throw EngineError.conflict(error.description) }
            throw EngineError.rejected(error.description)
        }
    }
}
