import CosmosDomain
import CosmosStore
import Foundation
import Testing

@testable import CosmosDaemon

/// The attempt runner against a scripted fake engine: every path without Docker, in seconds.
@Suite("Attempt runner on a fake engine")
struct FakeEngineRunnerTests {
    @Test("exit 0: staged before start, logs and outputs collected, recorded succeeded, then removed")
    func succeeds() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(.init(exitCode: 0, logLines: ["loading", "done"], outputs: ["video.mp4": "v"]))
        let job = try await harness.claimed()
        await harness.runner(job).run(adopting: false)

        let stored = try await harness.stored(job.id)
        #expect(stored.state == .succeeded)
        #expect(stored.exitCode == 0)
        #expect(stored.outputs == ["video.mp4"])
        let verbs = harness.engine.calls.map { $0.split(separator: " ")[0] }
        #expect(verbs.filter { $0 == "create" }.count == 1)
        let put = try #require(verbs.firstIndex(of: "put"))
        let start = try #require(verbs.firstIndex(of: "start"))
        let wait = try #require(verbs.firstIndex(of: "wait"))
        #expect(put < start && wait < start, "staged and waiting before the start: \(verbs)")
        #expect(verbs.last == "remove")
        #expect(harness.engine.containers.isEmpty)
        let staged = String(decoding: try #require(harness.engine.uploads.first), as: UTF8.self)
        #expect(staged.contains("cosmos/job.json") && staged.contains("\"job_id\":\"\(job.id)\""))
        let log = try String(
            contentsOfFile: JobLogFile.path(for: job.id, in: harness.configuration.logsDirectory),
            encoding: .utf8
        )
        #expect(log.contains("loading") && log.contains("done"))
        let output = harness.configuration.outputsDirectory + "/\(job.id)/video.mp4"
        #expect(FileManager.default.fileExists(atPath: output))
    }

    @Test("a job that wrote nothing to /cosmos/out costs a stat, not an archive")
    func nothingWritten() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(.init(exitCode: 0, logLines: ["done"], outputs: [:]))
        let job = try await harness.claimed()
        await harness.runner(job).run(adopting: false)

        let stored = try await harness.stored(job.id)
        #expect(stored.state == .succeeded && stored.outputs.isEmpty)
        let verbs = harness.engine.calls.map { $0.split(separator: " ")[0] }
        #expect(verbs.contains("stat") && !verbs.contains("archive"), "\(verbs)")
        let staged = try #require(harness.engine.uploads.first)
        #expect(try Self.directoryTime("cosmos/out/", in: staged) == 0, "staged with the epoch as its time")
    }

    /// The modification time (seconds) of the directory entry `name` in a tar archive.
    static func directoryTime(_ name: String, in archive: [UInt8]) throws -> Int? {
        var offset = 0
        while offset + 512 <= archive.count {
            let header = archive[offset..<offset + 512]
            let entry = String(decoding: header.prefix(100).prefix { $0 != 0 }, as: UTF8.self)
            if entry.isEmpty { return nil }
            let size = Int(String(decoding: header.dropFirst(124).prefix(11), as: UTF8.self), radix: 8) ?? 0
            if entry == name {
                return Int(String(decoding: header.dropFirst(136).prefix(11), as: UTF8.self), radix: 8)
            }
            offset += 512 + (size + 511) / 512 * 512
        }
        return nil
    }

    @Test("a single job's progress lines set its progress, one entry per window, the last line winning")
    func progress() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(
            .init(
                exitCode: 0,
                logLines: ["##cosmos progress step=1 total=4", "working", "##cosmos progress fraction=0.75 almost"]
            )
        )
        let job = try await harness.claimed()
        await harness.runner(job).run(adopting: false)
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .succeeded)
        #expect(stored.progress == 0.75)
        let entries = try await harness.database.events(after: 0, filter: EventFilter(types: [.jobProgress]))
        #expect(entries.count == 1, "the lines arrived in one window")
        #expect(entries.first?.payload["fraction"] == .number(0.75))
        #expect(entries.first?.payload["message"] == .string("almost"))
        #expect(harness.statistics.writes.progressTransactions == 1 && harness.statistics.writes.progressLines == 2)
    }

    @Test("a non-zero exit fails the job with its exit code")
    func exitCode() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(.init(exitCode: 3))
        let job = try await harness.claimed()
        await harness.runner(job).run(adopting: false)
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .failed)
        #expect(stored.exitCode == 3)
        #expect(stored.reason == Reason.exitCode(3))
    }

    @Test("a container killed through the engine by someone else is an interruption: back in the queue")
    func killedOutside() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(.init(exitCode: 137, killedOutside: true))
        let job = try await harness.claimed()
        await harness.runner(job).run(adopting: false)
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .queued && stored.attempts == 1)
        #expect(stored.reason == Reason.stoppedOutside)
        #expect(harness.engine.calls.contains { $0.hasPrefix("stopEvents") })
    }

    @Test("exit 137 with no kill through the engine (the job killed itself) still fails")
    func killedItself() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(.init(exitCode: 137))
        let job = try await harness.claimed()
        await harness.runner(job).run(adopting: false)
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .failed && stored.reason == Reason.exitCode(137))
    }

    @Test("an OOM kill fails the job with reason oom")
    func oom() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(.init(exitCode: 137, oomKilled: true))
        let job = try await harness.claimed(JobSpec(image: "img", command: ["run"], memoryBytes: 64 << 20))
        await harness.runner(job).run(adopting: false)
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .failed)
        #expect(stored.oomKilled)
        #expect(stored.reason == Reason.oom)
    }

    @Test("a 409 on create adopts our own container and never makes a second")
    func conflictAdopted() async throws {
        let harness = try RunnerHarness()
        let job = try await harness.claimed()
        harness.engine.insert(
            .init(
                id: "earlier",
                name: job.containerName,
                labels: [
                    ContainerLabel.job: job.id, ContainerLabel.attempt: String(job.attempts),
                    ContainerLabel.instance: "test-instance",
                ]
            )
        )
        await harness.runner(job).run(adopting: false)
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .succeeded)
        #expect(stored.containerId == "earlier")
        #expect(harness.engine.calls.contains("start earlier"))
        #expect(harness.engine.calls.filter { $0.hasPrefix("create") }.count == 1)
    }

    @Test("a 409 on someone else's container fails the attempt and leaves that container alone")
    func conflictForeign() async throws {
        let harness = try RunnerHarness()
        let job = try await harness.claimed()
        harness.engine.insert(.init(id: "theirs", name: job.containerName, labels: ["owner": "someone"]))
        await harness.runner(job).run(adopting: false)
        let stored = try await harness.stored(job.id)
        #expect(stored.reason?.hasPrefix("engine error: a container named \(job.containerName) exists") == true)
        #expect(harness.engine.containers.map(\.id) == ["theirs"])
    }

    @Test("a container deleted behind the daemon's back is 'container lost' and goes back to the queue")
    func containerLost() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(.init(exitCode: 137, vanishesOnExit: true))
        let job = try await harness.claimed()
        await harness.runner(job).run(adopting: false)
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .queued)
        #expect(stored.reason == Reason.containerLost)
        #expect(stored.exitCode == nil)
    }

    @Test("a wait that fails (the engine connection broke) is looked at again, not failed")
    func waitFails() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(.init(exitCode: 0, logLines: ["one line"], firstWaitFails: true))
        let job = try await harness.claimed()
        await harness.runner(job).run(adopting: false)
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .succeeded)
        // No inspect before the first start (the runner just created the container); after the broken wait it
        // looks again, and once more when the container has ended.
        #expect(harness.engine.calls.filter { $0.hasPrefix("inspect") }.count >= 2)
        let log = try String(
            contentsOfFile: JobLogFile.path(for: job.id, in: harness.configuration.logsDirectory),
            encoding: .utf8
        )
        #expect(log.components(separatedBy: "one line").count == 2, "the line is in the log once:\n\(log)")
    }

    @Test("an engine that hangs on start: cancelling the runner records nothing and leaves the job to adoption")
    func engineHangs() async throws {
        let harness = try RunnerHarness()
        harness.engine.hang(.start)
        let job = try await harness.claimed()
        let runner = harness.runner(job)
        let task = Task { await runner.run(adopting: false) }
        try await waitUntil { harness.engine.calls.contains { $0.hasPrefix("start") } }
        task.cancel()
        try await withTimeout(.seconds(5)) { await task.value }
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .starting)
        #expect(stored.attempts == 1)
        #expect(harness.engine.containers.count == 1, "the container is left for the next start to adopt")
    }

    @Test("adopting a running job whose container exited meanwhile records its exit, with no new container")
    func adoptExited() async throws {
        let harness = try RunnerHarness()
        let job = try await harness.claimed()
        harness.engine.insert(
            .init(
                id: "left",
                name: job.containerName,
                labels: [
                    ContainerLabel.job: job.id, ContainerLabel.attempt: String(job.attempts),
                    ContainerLabel.instance: "test-instance",
                ],
                status: .exited,
                exitCode: 0
            )
        )
        _ = try await harness.database.markRunning(job.id, attempt: job.attempts, containerID: "left")
        await harness.runner(try await harness.stored(job.id)).run(adopting: true)
        let stored = try await harness.stored(job.id)
        #expect(stored.state == .succeeded)
        #expect(!harness.engine.calls.contains { $0.hasPrefix("create") || $0.hasPrefix("start") })
    }

    @Test("adopting a running job whose container is gone records 'container lost'")
    func adoptGone() async throws {
        let harness = try RunnerHarness()
        let job = try await harness.claimed()
        _ = try await harness.database.markRunning(job.id, attempt: job.attempts, containerID: "gone")
        await harness.runner(try await harness.stored(job.id)).run(adopting: true)
        let stored = try await harness.stored(job.id)
        #expect(stored.reason == Reason.containerLost)
        #expect(stored.state == .queued)
    }
}

/// Waits until `condition` holds, polling every 10 ms; fails the test after `timeout`.
func waitUntil(
    timeout: Duration = .seconds(5),
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Runs `body`; fails the test if it has not returned within `timeout`.
func withTimeout(_ timeout: Duration, _ body: @escaping @Sendable () async -> Void) async throws {
    let finished = await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            await body()
            return true
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
    #expect(finished, "did not return within \(timeout)")
}
