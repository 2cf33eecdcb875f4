import DockerEngine
import Foundation
import Logging
import Testing

/// Shared setup of the integration tests: the engine, the image, names, labels and cleanup.
enum DockerTestSupport {
    /// The engine the integration tests use: `unix:///var/run/docker.sock`, or `DOCKERENGINE_TEST_HOST` if set.
    static let endpoint: DockerEndpoint = {
        guard let text = ProcessInfo.processInfo.environment["DOCKERENGINE_TEST_HOST"] else {
            return .defaultUnixSocket
        }
        do {
            return try DockerEndpoint(parsing: text)
        } catch {
            fatalError("DOCKERENGINE_TEST_HOST: \(error)")
        }
    }()
    /// The image `scripts/test-env.sh` builds with `docker import` (static busybox, no registry needed).
    static let image = "cosmos-test/busybox:latest"
    /// Label on every test container, for finding leftovers: `docker ps -a --filter label=dockerengine.test=1`.
    static let labelKey = "dockerengine.test"
    static let labels = [labelKey: "1"]

    static let setupHint = "Run scripts/test-env.sh (as root) to start a Docker engine and build the test images."

    /// Runs `body` with a client whose engine answered a ping and has the test image; shuts the client down after.
    ///
    /// Fails with a message naming `scripts/test-env.sh` if the engine or the image is missing.
    static func withClient<Result: Sendable>(
        requestTimeout: Duration = .seconds(30),
        _ body: (DockerClient) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "DockerEngineTests")
        logger.logLevel = ProcessInfo.processInfo.environment["DOCKER_ENGINE_TEST_DEBUG"] == nil ? .info : .debug
        return try await DockerClient.withClient(endpoint: endpoint, logger: logger, requestTimeout: requestTimeout) {
            client in
            do {
                try await client.ping()
            } catch {
                throw TestFailure("No Docker engine answers at \(endpoint) (\(error)). \(setupHint)")
            }
            guard try await client.imageExists(image) else {
                throw TestFailure("Test image \(image) is missing. \(setupHint)")
            }
            return try await body(client)
        }
    }

    /// A container name no other test (or test run) uses.
    static func uniqueName(_ purpose: String) -> String {
        "dockerengine-test-\(purpose)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A test container configuration: the test image, `sh -c script`, the test label, no network.
    static func shell(_ script: String, labels extra: [String: String] = [:], hostConfig: HostConfig = HostConfig())
        -> ContainerConfig
    {
        var hostConfig = hostConfig
        hostConfig.networkMode = hostConfig.networkMode ?? "none"
        return ContainerConfig(
            image: image,
            cmd: ["sh", "-c", script],
            labels: labels.merging(extra) { _, new in new },
            hostConfig: hostConfig
        )
    }

    /// Creates a container, runs `body` with its id and force-removes the container whether `body` succeeds or not.
    static func withContainer<Result: Sendable>(
        _ client: DockerClient,
        name: String,
        _ config: ContainerConfig,
        _ body: (String) async throws -> Result
    ) async throws -> Result {
        let id = try await client.createContainer(name: name, config)
        let result: Result
        do {
            result = try await body(id)
        } catch {
            await remove(client, id)
            throw error
        }
        await remove(client, id)
        return result
    }

    /// Force-removes a container, ignoring "not found"; records other failures.
    static func remove(_ client: DockerClient, _ id: String) async {
        do {
            try await client.removeContainer(id: id, force: true)
        } catch let error as DockerError where error.isNotFound {
        } catch {
            Issue.record("could not remove test container \(id): \(error)")
        }
    }

    /// Follows the container's stdout until it contains `text`; fails after `limit`.
    static func waitForOutput(
        _ client: DockerClient,
        id: String,
        _ text: String,
        within limit: Duration = .seconds(20)
    ) async throws {
        let stream = try await client.logs(id: id, follow: true, stderr: false)
        try await withDeadline(limit, "output \(text.debugDescription) from \(id)") {
            var seen: [UInt8] = []
            for try await chunk in stream {
                seen += chunk.bytes
                if String(decoding: seen, as: UTF8.self).contains(text) {
                    return
                }
            }
            let got = String(decoding: seen, as: UTF8.self)
            throw TestFailure("log stream ended before \(text.debugDescription); got \(got.debugDescription)")
        }
    }

    /// Reads a whole (non-follow) log stream into stdout and stderr text.
    static func collectLogs(_ stream: DockerLogStream) async throws -> (stdout: String, stderr: String) {
        var out: [UInt8] = []
        var err: [UInt8] = []
        for try await chunk in stream {
            switch chunk.stream {
            case .stdout, .stdin:
                out += chunk.bytes
            case .stderr:
                err += chunk.bytes
            }
        }
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}

/// A failure message as an error.
struct TestFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Runs `operation`, failing with ``TestFailure`` if it takes longer than `limit`.
func withDeadline<Result: Sendable>(
    _ limit: Duration,
    _ what: String,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            try await operation()
        }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
            throw TestFailure("\(what) did not finish within \(limit)")
        }
        return result
    }
}

/// Polls `condition` until it holds or `limit` passes.
func eventually(
    _ limit: Duration,
    _ what: String,
    every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while true {
        if try await condition() {
            return
        }
        guard ContinuousClock.now < deadline else {
            throw TestFailure("\(what) did not happen within \(limit)")
        }
        try await Task.sleep(for: interval)
    }
}
