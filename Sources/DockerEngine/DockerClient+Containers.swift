import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

extension DockerClient {
    /// `POST /containers/create`: creates a container and returns its id.
    ///
    /// - Parameters:
    ///   - name: The container name (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`); `nil` lets the engine pick one.
    ///   - config: What to run and with which resources.
    /// - Throws: ``DockerError`` with ``DockerError/isConflict`` if the name is in use (inspect the existing container
    ///   by name to decide what to do), ``DockerError/isNotFound`` if the image is missing.
    public func createContainer(name: String?, _ config: ContainerConfig) async throws -> String {
        struct Created: Decodable {
            var id: String
            var warnings: [String]?

            enum CodingKeys: String, CodingKey {
                case id = "Id"
                case warnings = "Warnings"
            }
        }
        var query: [(name: String, value: String)] = []
        if let name {
            query.append(("name", name))
        }
        let request = try Self.withJSONBody(Request(.POST, "/containers/create", query: query), config)
        let created = try await self.decode(Created.self, request)
        for warning in created.warnings ?? [] where !warning.isEmpty {
            self.logger.notice("docker create warning", metadata: ["id": "\(created.id)", "warning": "\(warning)"])
        }
        return created.id
    }

    /// `POST /containers/{id}/start`.
    ///
    /// - Returns: `true` if this call started it, `false` if it was already running (the engine's 304).
    @discardableResult
    public func startContainer(id: String) async throws -> Bool {
        do {
            try await self.discardingBody(Request(.POST, "/containers/\(Self.percentEncode(id))/start"))
            return true
        } catch let error as DockerError where error.isNotModified {
            return false
        }
    }

    /// `POST /containers/{id}/stop`: sends the stop signal, then SIGKILL after `timeout` seconds.
    ///
    /// The engine answers when the container has stopped, so this may take `timeout` seconds plus the kill.
    /// - Parameter timeout: Seconds before SIGKILL; `nil` uses the container's `StopTimeout` or the engine's 10.
    /// - Returns: `true` if this call stopped it, `false` if it was not running (the engine's 304).
    @discardableResult
    public func stopContainer(id: String, timeout: Int? = nil) async throws -> Bool {
        var query: [(name: String, value: String)] = []
        if let timeout {
            query.append(("t", String(timeout)))
        }
        let request = Request(.POST, "/containers/\(Self.percentEncode(id))/stop", query: query)
        let allowed = Duration.seconds(max(timeout ?? 10, 0)) + self.requestTimeout
        do {
            try await self.discardingBody(request, lane: .long(headDeadline: allowed))
            return true
        } catch let error as DockerError where error.isNotModified {
            return false
        }
    }

    /// `POST /containers/{id}/kill`: sends a signal (`SIGKILL` unless told otherwise).
    ///
    /// - Throws: ``DockerError`` with ``DockerError/isConflict`` if the container is not running.
    public func killContainer(id: String, signal: String = "SIGKILL") async throws {
        let request = Request(.POST, "/containers/\(Self.percentEncode(id))/kill", query: [("signal", signal)])
        try await self.discardingBody(request)
    }

    /// `DELETE /containers/{id}`.
    ///
    /// - Parameters:
    ///   - force: Kills a running container first.
    ///   - removeVolumes: Also removes anonymous volumes.
    /// - Throws: ``DockerError`` with ``DockerError/isNotFound`` if there is no such container, or
    ///   ``DockerError/isConflict`` if it is running (without `force`) or already being removed.
    public func removeContainer(id: String, force: Bool = false, removeVolumes: Bool = false) async throws {
        let request = Request(
            .DELETE,
            "/containers/\(Self.percentEncode(id))",
            query: [("force", String(force)), ("v", String(removeVolumes))]
        )
        try await self.discardingBody(request, lane: .long(headDeadline: self.requestTimeout * 2))
    }

    /// `GET /containers/{id}/json`: state and configuration of a container, by id or name.
    ///
    /// - Throws: ``DockerError`` with ``DockerError/isNotFound`` if there is no such container.
    public func inspectContainer(id: String) async throws -> ContainerDetails {
        try await self.decode(ContainerDetails.self, Request(.GET, "/containers/\(Self.percentEncode(id))/json"))
    }

    /// `GET /containers/json`: containers matching all given label filters.
    ///
    /// - Parameters:
    ///   - all: Includes stopped containers; by default only running ones.
    ///   - labels: Label filters, each `key` (label present) or `key=value`; all must match.
    ///   - filters: Further engine filters, e.g. `["status": ["exited"]]`, `["name": ["job-"]]`.
    public func listContainers(
        all: Bool = false,
        labels: [String] = [],
        filters: [String: [String]] = [:]
    ) async throws -> [ContainerSummary] {
        var merged = filters
        if !labels.isEmpty {
            merged["label", default: []].append(contentsOf: labels)
        }
        var query: [(name: String, value: String)] = [("all", String(all))]
        if !merged.isEmpty {
            query.append(("filters", try Self.encodeFilters(merged)))
        }
        return try await self.decode([ContainerSummary].self, Request(.GET, "/containers/json", query: query))
    }

    /// `POST /containers/{id}/wait`: registers a wait and returns as soon as the engine has registered it.
    ///
    /// Register with ``WaitCondition/nextExit`` *before* ``startContainer(id:)`` to be sure to see the exit of a
    /// container that exits immediately, as `docker run` does. The wait has no timeout; cancel or drop the handle to
    /// stop waiting.
    /// - Throws: ``DockerError`` with ``DockerError/isNotFound`` if there is no such container.
    public func registerWait(id: String, condition: WaitCondition = .notRunning) async throws -> WaitHandle {
        let request = Request(
            .POST,
            "/containers/\(Self.percentEncode(id))/wait",
            query: [("condition", condition.rawValue)]
        )
        let response = try await self.execute(request, lane: .long(headDeadline: self.requestTimeout))
        let path = request.path
        let task = Task<WaitResult, any Error> {
            let body = try await response.body.collect(upTo: 1 << 20)
            do {
                return try JSONDecoder().decode(WaitResult.self, from: body)
            } catch {
                throw DockerClientError.invalidResponse(path: path, reason: "\(error): \(String(buffer: body))")
            }
        }
        return WaitHandle(task: task)
    }

    /// Waits until the container meets `condition` and returns its exit code; ``registerWait(id:condition:)`` and
    /// ``WaitHandle/result()`` in one call.
    public func waitContainer(id: String, condition: WaitCondition = .notRunning) async throws -> WaitResult {
        try await self.registerWait(id: id, condition: condition).result()
    }

    /// Encodes engine filters as the JSON the `filters` query parameter expects, e.g. `{"label":["a=b"]}`.
    static func encodeFilters(_ filters: [String: [String]]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(filters), as: UTF8.self)
    }
}
