import CosmosAPI
import CosmosDomain
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The running core against the real Docker engine: queue order, failures, logs, cancel, pause,
/// allowlist, restarts and outputs. Each test runs its own daemon with its own state.
@Suite("Core queue against the real Docker engine", .serialized)
struct CoreQueueIntegrationTests {
    static let busybox = "cosmos-test/busybox:latest"
    static let fakeModel = "cosmos-test/fake-model:latest"

    @Test("with 1 slot, 5 jobs run in queue order; move --top of the last makes it run first")
    func queueOrder() throws {
        try withDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            var ids: [String] = []
            for index in 0..<5 {
                ids.append(try daemon.submit(["--image", Self.busybox, "--name", "j\(index)", "--", "sleep", "0.2"]))
            }
            let moved = try daemon.ctlJSON(JobView.self, ["move", ids[4], "--top"])
            #expect(moved.position == 1)
            #expect(daemon.ctl(["resume"]).status == 0)
            let finished = try daemon.waitFinished(ids)
            #expect(finished.allSatisfy { $0.state == .succeeded })
            let byStart = finished.sorted { ($0.startedAt ?? "") < ($1.startedAt ?? "") }.map(\.id)
            #expect(byStart == [ids[4], ids[0], ids[1], ids[2], ids[3]])
            // One slot: no two runs overlapped.
            let spans = finished.compactMap { job in job.startedAt.flatMap { s in job.finishedAt.map { (s, $0) } } }
                .sorted { $0.0 < $1.0 }
            for (earlier, later) in zip(spans, spans.dropFirst()) { #expect(earlier.1 <= later.0) }
        }
    }

    @Test("a failing command ends failed with its exit code")
    func failingCommand() throws {
        try withDaemon { daemon in
            let id = try daemon.submit(["--image", Self.busybox, "--", "sh", "-c", "exit 3"])
            let job = try daemon.waitFinished([id])[0]
            #expect(job.state == .failed)
            #expect(job.exitCode == 3)
            #expect(job.reason == "exit code 3")
            #expect(job.attempts == 1)
        }
    }

    @Test("logs shows both stdout and stderr")
    func logsBothStreams() throws {
        try withDaemon { daemon in
            let id = try daemon.submit([
                "--image", Self.busybox, "--", "sh", "-c", "echo to-stdout; echo to-stderr >&2; echo done",
            ])
            _ = try daemon.waitFinished([id])
            let logs = daemon.ctl(["logs", id])
            #expect(logs.status == 0)
            #expect(logs.stdout.contains("to-stdout\n"))
            #expect(logs.stdout.contains("to-stderr\n"))
            #expect(logs.stdout.contains("done\n"))
        }
    }

    @Test("logs --follow streams until the job ends")
    func logsFollow() throws {
        try withDaemon { daemon in
            let id = try daemon.submit([
                "--image", Self.busybox, "--", "sh", "-c", "for i in 1 2 3; do echo line-$i; sleep 0.3; done",
            ])
            let follow = daemon.ctl(["logs", id, "--follow"])
            #expect(follow.status == 0)
            #expect(follow.stdout.contains("line-1\nline-2\nline-3\n"))
            #expect(try daemon.show(id).state == .succeeded)
        }
    }

    @Test("cancelling a running sleep removes its container within the stop timeout and ends cancelled")
    func cancelRunning() throws {
        try withDaemon { daemon in
            let id = try daemon.submit(["--image", Self.busybox, "--", "sleep", "300"])
            try waitUntil("the job runs", timeout: 60) { try daemon.show(id).state == .running }
            let running = try daemon.show(id)
            let container = try #require(running.containerId)
            let start = ContinuousClock.now
            #expect(daemon.ctl(["cancel", id]).status == 0)
            try waitUntil("the container is gone", timeout: 15) {
                DaemonHarness.docker(["inspect", container]).status != 0
            }
            // stop_timeout_seconds = 2 in the test config; allow engine and polling overhead.
            #expect(ContinuousClock.now - start < .seconds(8))
            let job = try daemon.waitFinished([id], timeout: 30)[0]
            #expect(job.state == .cancelled)
            #expect(job.reason == "cancelled by uid \(getuid())")
        }
    }

    @Test("with a 30 s stop timeout, a job that honours SIGTERM is gone within 2 s of cancel (init is PID 1)")
    func cancelReachesTheCommand() throws {
        try withDaemon(stopTimeout: 30) { daemon in
            // Without an init, `sleep` would be PID 1 and ignore SIGTERM, so the stop would wait for SIGKILL.
            let id = try daemon.submit(["--image", Self.busybox, "--", "sleep", "300"])
            try waitUntil("the job runs", timeout: 60) { try daemon.show(id).state == .running }
            let container = try #require(try daemon.show(id).containerId)
            let pid1 = DaemonHarness.docker(["exec", container, "cat", "/proc/1/cmdline"])
            #expect(pid1.stdout.hasPrefix("/sbin/docker-init"), "PID 1 is \(pid1.stdout)")
            let start = ContinuousClock.now
            #expect(daemon.ctl(["cancel", id]).status == 0)
            let job = try daemon.waitFinished([id], timeout: 30)[0]
            #expect(job.state == .cancelled)
            #expect(ContinuousClock.now - start < .seconds(2), "took \(ContinuousClock.now - start)")
        }
    }

    @Test("pause means nothing starts; resume lets it start")
    func pauseResume() throws {
        try withDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let status = try daemon.ctlJSON(StatusView.self, ["status"])
            #expect(status.paused)
            let id = try daemon.submit(["--image", Self.busybox, "--", "true"])
            // The scheduler runs a round at least every second and right after a submit: watch a few rounds.
            let deadline = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < deadline {
                #expect(try daemon.show(id).state == .queued)
                Thread.sleep(forTimeInterval: 0.25)
            }
            #expect(daemon.ctl(["resume"]).status == 0)
            #expect(try daemon.waitFinished([id])[0].state == .succeeded)
        }
    }

    @Test("an image outside the allowlist is refused and nothing is queued")
    func allowlist() throws {
        try withDaemon { daemon in
            let result = daemon.ctl(["submit", "--image", "busybox:latest", "--", "true"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("image"))
            #expect(result.stderr.contains("not in the allowlist"))
            let jobs = try daemon.ctlJSON([JobView].self, ["list"])
            #expect(jobs.isEmpty)
        }
    }

    @Test("after a restart, queued jobs are in the same order and the pause is kept")
    func restartKeepsOrder() throws {
        try withDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            var ids: [String] = []
            for _ in 0..<6 { ids.append(try daemon.submit(["--image", Self.busybox, "--", "true"])) }
            _ = try daemon.ctlJSON(JobView.self, ["move", ids[5], "--top"])
            _ = try daemon.ctlJSON(JobView.self, ["move", ids[0], "--after", ids[3]])
            let before = try daemon.ctlJSON([JobView].self, ["list"]).map(\.id)
            let stopped = try daemon.stop()
            #expect(stopped < .seconds(10))
            try daemon.start()
            let after = try daemon.ctlJSON([JobView].self, ["list"])
            #expect(after.map(\.id) == before)
            #expect(after.map(\.position) == Array(1...6))
            #expect(try daemon.ctlJSON(StatusView.self, ["status"]).paused)
        }
    }

    @Test("after kill -9 of the daemon, no queued job is lost")
    func killNineLosesNothing() throws {
        try withDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let specs = (0..<50).map { #"{"image": "cosmos-test/busybox:latest", "name": "bulk-\#($0)"}"# }
            let file = daemon.directory.path + "/bulk.jsonl"
            try specs.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let accepted = try daemon.ctlJSON([JobView].self, ["submit", "--file", file]).map(\.id)
            let single = try daemon.submit(["--image", Self.busybox, "--", "true"])
            try daemon.stop(signal: SIGKILL)
            try daemon.start()
            let listed = try daemon.ctlJSON([JobView].self, ["list"]).map(\.id)
            #expect(listed == accepted + [single])
        }
    }

    @Test("outputs written to /cosmos/out appear under the job's outputs")
    func outputs() throws {
        try withDaemon { daemon in
            let id = try daemon.submit([
                "--image", Self.fakeModel, "--control", "edge=0.5", "--prompt", "a robot", "--env",
                "FAKE_LOAD_SECONDS=0.2",
            ])
            let job = try daemon.waitFinished([id])[0]
            #expect(job.state == .succeeded)
            #expect(job.outputs == ["meta/info.txt", "video.mp4"])
            let video = try String(contentsOfFile: daemon.stateDirectory + "/outputs/\(id)/video.mp4", encoding: .utf8)
            #expect(video.contains(id))
            let logs = daemon.ctl(["logs", id]).stdout
            #expect(logs.contains("fake-model: model loaded"))
            #expect(logs.contains("NVIDIA_VISIBLE_DEVICES=0"))
            // The container is removed once its result is recorded.
            let container = try #require(job.containerId)
            try waitUntil("the container is removed", timeout: 15) {
                DaemonHarness.docker(["inspect", container]).status != 0
            }
        }
    }

    @Test("on the local engine /cosmos is the attempt's staging folder, bound; it goes with the attempt")
    func boundStaging() throws {
        try withDaemon { daemon in
            let id = try daemon.submit([
                "--image", Self.busybox, "--",
                "sh", "-c", "grep -c ' /cosmos ' /proc/self/mountinfo; cat /cosmos/job.json; echo hi > /cosmos/out/x",
            ])
            let job = try daemon.waitFinished([id])[0]
            #expect(job.state == .succeeded && job.outputs == ["x"], "\(job.error ?? "")")
            let logs = daemon.ctl(["logs", id]).stdout
            #expect(logs.contains("1\n") && logs.contains(#""job_id":"\#(id)""#), "\(logs)")
            let staging = daemon.stateDirectory + "/staging"
            try waitUntil("the staging folder is removed", timeout: 15) {
                (try? FileManager.default.contentsOfDirectory(atPath: staging))?.isEmpty == true
            }
            var info = stat()
            #expect(stat(staging, &info) == 0 && info.st_mode & 0o777 == 0o700)
        }
    }

    @Test(
        "a daemon of its own user binds /cosmos with CAP_DAC_OVERRIDE and CAP_FOWNER, reads back and removes what root wrote there; without them it keeps the archive",
        arguments: [true, false]
    )
    func boundStagingAsUser(capabilities: Bool) throws {
        let docker = try #require(getgrnam("docker")?.pointee.gr_gid, "the engine's group docker")
        let harness = try DaemonHarness()
        harness.user = DaemonHarness.DaemonUser(
            uid: 64_123,
            groups: [docker],
            capabilities: capabilities ? ["dac_override", "fowner"] : []
        )
        try run(harness) { daemon in
            // Root in the container leaves a private folder, a sticky one and an unreadable work folder.
            let id = try daemon.submit([
                "--image", Self.busybox, "--", "sh", "-c",
                "grep -c ' /cosmos ' /proc/self/mountinfo; cd /cosmos/out && mkdir -m 700 private"
                    + " && echo secret > private/f && chmod 600 private/f && mkdir -m 1777 sticky && touch sticky/s"
                    + " && mkdir -p /cosmos/work/deep && chmod 000 /cosmos/work",
            ])
            let job = try daemon.waitFinished([id])[0]
            #expect(job.state == .succeeded && job.outputs == ["private/f", "sticky/s"], "\(job.error ?? "")")
            let collected = daemon.stateDirectory + "/outputs/" + id + "/private/f"
            #expect(try String(contentsOfFile: collected, encoding: .utf8) == "secret\n")
            let logs = daemon.ctl(["logs", id]).stdout
            let mounted = logs.split(separator: "\n").first { !$0.hasPrefix("===") }
            #expect(mounted == (capabilities ? "1" : "0"), "bound only with the capabilities: \(logs)")
            #expect(daemon.daemonLog().contains("staging=\(capabilities ? "bind" : "archive")"))
            let staging = daemon.stateDirectory + "/staging"
            try waitUntil("the staging folder is emptied", timeout: 15) {
                (try? FileManager.default.contentsOfDirectory(atPath: staging))?.isEmpty ?? true
            }
        }
    }
}
