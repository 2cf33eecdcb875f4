import DockerEngine
import Foundation
import Testing

/// Integration tests against the engine at /var/run/docker.sock (see `scripts/test-env.sh`).
@Suite("Engine: system and container lifecycle", .timeLimit(.minutes(2)))
struct ContainerLifecycleTests {
    typealias Support = DockerTestSupport

    @Test("ping negotiates min(engine, 1.45) and version/info decode")
    func pingAndVersion() async throws {
        try await Support.withClient { client in
            let ping = try await client.ping()
            #expect(ping.negotiatedAPIVersion == min(ping.serverAPIVersion, DockerClient.maximumAPIVersion))
            #expect(ping.negotiatedAPIVersion >= DockerClient.minimumAPIVersion)
            #expect(ping.osType == "linux")
            #expect(try await client.apiVersion() == ping.negotiatedAPIVersion)

            let version = try await client.version()
            #expect(DockerAPIVersion(version.apiVersion) == ping.serverAPIVersion)
            #expect(!version.version.isEmpty)

            let info = try await client.info()
            #expect(!info.name.isEmpty)
            #expect(info.serverVersion == version.version)
            #expect(info.runtimes.contains("runc"))
            #expect(info.ncpu > 0)
            #expect(info.memTotal > 0)
        }
    }

    @Test("the first versioned call negotiates lazily")
    func lazyNegotiation() async throws {
        try await Support.withClient { _ in }  // fails with the setup hint if there is no engine
        try await DockerClient.withClient(endpoint: Support.endpoint) { client in
            let details = try await client.inspectImage(Support.image)
            #expect(details.repoTags.contains(Support.image))
            #expect(try await client.apiVersion() >= DockerClient.minimumAPIVersion)
        }
    }

    @Test("create, start, wait, inspect, remove")
    func lifecycle() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("lifecycle")
            var config = Support.shell("echo hi; exit 3")
            config.env = ["DOCKERENGINE_TEST=yes"]
            try await Support.withContainer(client, name: name, config) { id in
                let created = try await client.inspectContainer(id: name)
                #expect(created.id == id)
                #expect(created.name == name)
                #expect(created.state.status == .created)
                #expect(created.state.startedAt == nil)
                #expect(created.config.image == Support.image)
                #expect(created.config.labels[Support.labelKey] == "1")
                #expect(created.config.env.contains("DOCKERENGINE_TEST=yes"))

                #expect(try await client.startContainer(id: id))
                let result = try await client.waitContainer(id: id, condition: .notRunning)
                #expect(result == WaitResult(statusCode: 3))

                let exited = try await client.inspectContainer(id: id)
                #expect(exited.state.status == .exited)
                #expect(!exited.state.running)
                #expect(exited.state.exitCode == 3)
                #expect(!exited.state.oomKilled)
                #expect(exited.state.pid == 0)
                // Both are set; for a process this short the engine may record StartedAt after FinishedAt.
                #expect(exited.state.startedAt != nil)
                #expect(exited.state.finishedAt != nil)

                try await client.removeContainer(id: id)
                let afterRemove = await #expect(throws: DockerError.self) {
                    try await client.inspectContainer(id: id)
                }
                #expect(afterRemove?.isNotFound == true)
                let secondRemove = await #expect(throws: DockerError.self) {
                    try await client.removeContainer(id: id)
                }
                #expect(secondRemove?.isNotFound == true)
            }
        }
    }

    @Test("missing containers and images are typed not-found")
    func notFound() async throws {
        try await Support.withClient { client in
            let missing = Support.uniqueName("missing")
            for operation in [
                { _ = try await client.startContainer(id: missing) },
                { _ = try await client.stopContainer(id: missing, timeout: 1) },
                { _ = try await client.inspectContainer(id: missing) },
                { _ = try await client.registerWait(id: missing, condition: .nextExit) },
                { _ = try await client.logs(id: missing) },
            ] as [@Sendable () async throws -> Void] {
                let error = await #expect(throws: DockerError.self) {
                    try await operation()
                }
                #expect(error?.isNotFound == true, "\(String(describing: error))")
            }
            let imageError = await #expect(throws: DockerError.self) {
                _ = try await client.createContainer(name: nil, ContainerConfig(image: "dockerengine-test/none:never"))
            }
            #expect(imageError?.isNotFound == true)
            let missingImageExists = try await client.imageExists("dockerengine-test/none:never")
            let testImageExists = try await client.imageExists(Support.image)
            #expect(!missingImageExists)
            #expect(testImageExists)
        }
    }

    @Test("a duplicate name is a typed conflict and the existing container can be inspected by name")
    func duplicateName() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("dup")
            try await Support.withContainer(client, name: name, Support.shell("true")) { id in
                let error = await #expect(throws: DockerError.self) {
                    _ = try await client.createContainer(name: name, Support.shell("true"))
                }
                #expect(error?.isConflict == true)
                #expect(error?.status == 409)
                #expect(error?.message.contains(name) == true)
                let existing = try await client.inspectContainer(id: name)
                #expect(existing.id == id)
            }
        }
    }

    @Test("a wait registered before start catches a container that exits immediately")
    func waitBeforeStart() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("waitfirst")
            try await Support.withContainer(client, name: name, Support.shell("exit 7")) { id in
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                let result = try await withDeadline(.seconds(20), "next-exit wait") { try await wait.result() }
                #expect(result.statusCode == 7)
                #expect(result.errorMessage == nil)
                #expect(try await wait.result().statusCode == 7, "result() can be read again")

                // The exit already happened, so a next-exit wait registered now must still be pending: the result
                // above came from the registration made before start, not from a lucky late registration.
                let late = try await client.registerWait(id: id, condition: .nextExit)
                let stillPending = try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        _ = try? await late.result()
                        return false
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(1))
                        return true
                    }
                    let first = try await group.next() ?? false
                    group.cancelAll()  // cancels late.result(), which closes the late wait request
                    return first
                }
                #expect(stillPending)
                await #expect(throws: (any Error).self) {
                    try await late.result()
                }
            }
        }
    }

    @Test("start and stop report 304 as false")
    func idempotentStartStop() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("idem")
            let script = "trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; done"
            try await Support.withContainer(client, name: name, Support.shell(script)) { id in
                #expect(try await client.startContainer(id: id))
                try await Support.waitForOutput(client, id: id, "ready\n")
                #expect(try await client.startContainer(id: id) == false)
                #expect(try await client.stopContainer(id: id, timeout: 10))
                #expect(try await client.stopContainer(id: id, timeout: 10) == false)
                let state = try await client.inspectContainer(id: id).state
                #expect(state.status == .exited)
                #expect(state.exitCode == 0, "the shell's TERM trap ran")
            }
        }
    }

    @Test("stop with a timeout kills a container that ignores SIGTERM within the timeout")
    func stopTimeout() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("stop")
            // `sleep` as PID 1 has no SIGTERM handler, so the kernel ignores SIGTERM and only SIGKILL ends it.
            var config = Support.shell("")
            config.cmd = ["sleep", "100"]
            try await Support.withContainer(client, name: name, config) { id in
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                let started = ContinuousClock.now
                let stopped = try await client.stopContainer(id: id, timeout: 2)
                let elapsed = ContinuousClock.now - started
                #expect(stopped)
                #expect(elapsed >= .milliseconds(1500), "the engine waited for the stop timeout: \(elapsed)")
                #expect(elapsed < .seconds(8), "stop returned soon after the 2 s timeout: \(elapsed)")
                let result = try await withDeadline(.seconds(10), "wait after stop") { try await wait.result() }
                #expect(result.statusCode == 137)
            }
        }
    }

    @Test("kill sends the given signal")
    func kill() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("kill")
            // Short foreground sleeps: the shell runs the trap after each one, so a signal that lands
            // before any wait started is still acted on (a `sleep 100 & wait` misses it under load).
            let script = "trap 'exit 42' USR1; echo ready; while :; do sleep 0.1; done"
            try await Support.withContainer(client, name: name, Support.shell(script)) { id in
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                try await Support.waitForOutput(client, id: id, "ready\n")
                try await client.killContainer(id: id, signal: "SIGUSR1")
                #expect(try await wait.result().statusCode == 42)
                let notRunning = await #expect(throws: DockerError.self) {
                    try await client.killContainer(id: id)
                }
                #expect(notRunning?.isConflict == true)
            }
        }
    }

    @Test("list by label filters: key=value, several labels, all")
    func listByLabel() async throws {
        try await Support.withClient { client in
            let run = UUID().uuidString
            let runLabel = "dockerengine.test.run"
            let nameA = Support.uniqueName("list-a")
            let nameB = Support.uniqueName("list-b")
            try await Support.withContainer(
                client,
                name: nameA,
                Support.shell("true", labels: [runLabel: run, "role": "a"])
            ) { idA in
                try await Support.withContainer(
                    client,
                    name: nameB,
                    Support.shell("sleep 100", labels: [runLabel: run, "role": "b"])
                ) { idB in
                    try await client.startContainer(id: idB)

                    let all = try await client.listContainers(all: true, labels: ["\(runLabel)=\(run)"])
                    #expect(Set(all.map(\.id)) == [idA, idB])
                    let summaryA = try #require(all.first { $0.id == idA })
                    #expect(summaryA.names == [nameA])
                    #expect(summaryA.image == Support.image)
                    #expect(summaryA.labels["role"] == "a")
                    #expect(summaryA.state == .created)
                    #expect(summaryA.created > 0)

                    let onlyA = try await client.listContainers(all: true, labels: ["\(runLabel)=\(run)", "role=a"])
                    #expect(onlyA.map(\.id) == [idA])

                    let running = try await client.listContainers(labels: ["\(runLabel)=\(run)"])
                    #expect(running.map(\.id) == [idB])
                    #expect(running.first?.state == .running)

                    let byKey = try await client.listContainers(
                        all: true,
                        labels: [runLabel],
                        filters: ["name": [nameB]]
                    )
                    #expect(byKey.map(\.id) == [idB])
                }
            }
        }
    }

    @Test("a container over its memory limit is OOM-killed and inspect says so")
    func oomKilled() async throws {
        try await Support.withClient { client in
            let hostConfig = HostConfig(memory: 8 << 20, memorySwap: 8 << 20)
            // Doubling a shell variable reaches the 8 MiB limit within a few iterations.
            let config = Support.shell("s=0123456789abcdef; while true; do s=\"$s$s\"; done", hostConfig: hostConfig)
            // The engine learns of the OOM kill from a cgroup event that can arrive after the exit (the flag is then
            // set late) or, with containerd 1.6 on cgroup v1 under load, not at all (about 1 in 8 with 8 parallel
            // OOMs here; `docker run` shows the same). So poll for the flag, and allow a second container.
            var reported: [Bool] = []
            for attempt in 1...3 {
                let name = Support.uniqueName("oom\(attempt)")
                let oomKilled = try await Support.withContainer(client, name: name, config) { id in
                    let wait = try await client.registerWait(id: id, condition: .nextExit)
                    try await client.startContainer(id: id)
                    let result = try await withDeadline(.seconds(60), "OOM kill") { try await wait.result() }
                    #expect(result.statusCode == 137, "killed by SIGKILL")
                    var state = try await client.inspectContainer(id: id).state
                    #expect(state.exitCode == 137)
                    let deadline = ContinuousClock.now + .seconds(5)
                    while !state.oomKilled, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(100))
                        state = try await client.inspectContainer(id: id).state
                    }
                    return state.oomKilled
                }
                reported.append(oomKilled)
                if oomKilled {
                    break
                }
            }
            // If this fails while the exits are 137: containerd could not watch the container's memory cgroup, e.g.
            // dockerd's log says "loading cgroup for <pid>: cannot find cgroup mount destination" (a cgroup v1
            // hierarchy exists that is not mounted on the host, as after a container ran systemd with the host's
            // /sys/fs/cgroup).
            #expect(reported.last == true, "engine never reported OOMKilled, though each attempt exited 137")
        }
    }

    @Test("read-only bind mounts, dropped capabilities and init are accepted by the engine")
    func hostConfigHardening() async throws {
        try await Support.withClient { client in
            let hostDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("dockerengine-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: hostDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: hostDirectory) }
            try Data("from host\n".utf8).write(to: hostDirectory.appendingPathComponent("input.txt"))

            let hostConfig = HostConfig(
                mounts: [.bind(source: hostDirectory.path, target: "/in")],
                capDrop: ["ALL"],
                securityOpt: ["no-new-privileges"],
                pidsLimit: 64,
                initProcess: true
            )
            let script =
                "pwd; cat /in/input.txt; if touch /in/x 2>/dev/null; then echo writable; else echo read-only; fi"
            let name = Support.uniqueName("hardening")
            var config = Support.shell(script, hostConfig: hostConfig)
            config.workingDir = "/tmp"
            try await Support.withContainer(client, name: name, config) { id in
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                #expect(try await withDeadline(.seconds(20), "wait") { try await wait.result() }.statusCode == 0)
                let logs = try await Support.collectLogs(try await client.logs(id: id))
                #expect(logs.stdout == "/tmp\nfrom host\nread-only\n")
                #expect(logs.stderr == "")
            }
        }
    }
}
