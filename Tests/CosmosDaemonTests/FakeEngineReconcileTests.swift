import CosmosDomain
import CosmosStore
import Foundation
import Testing

@testable import CosmosDaemon

/// Reconciliation against a fake engine: which containers are kept, and which are removed when.
@Suite("Reconciliation on a fake engine")
struct FakeEngineReconcileTests {
    func labels(job: String, attempt: Int) -> [String: String] {
        [ContainerLabel.job: job, ContainerLabel.attempt: String(attempt), ContainerLabel.instance: "test-instance"]
    }

    @Test("finds only this instance's containers, with their job and attempt")
    func finds() async throws {
        let harness = try RunnerHarness()
        harness.engine.insert(.init(id: "ours", name: "cosmos_x", labels: labels(job: "abcdefghjk", attempt: 2)))
        harness.engine.insert(
            .init(id: "other", name: "cosmos_y", labels: [ContainerLabel.instance: "another-instance"])
        )
        let findings = await harness.scheduler().findContainers()
        #expect(
            findings == [
                .init(host: "local", containerID: "ours", name: "cosmos_x", jobID: "abcdefghjk", attempt: 2)
            ]
        )
    }

    @Test("an unknown container is removed only after the grace period; the current attempt's is kept")
    func orphanGrace() async throws {
        let harness = try RunnerHarness()
        let job = try await harness.claimed()
        harness.engine.insert(.init(id: "current", name: job.containerName, labels: labels(job: job.id, attempt: 1)))
        harness.engine.insert(.init(id: "stray", name: "cosmos_stray", labels: labels(job: "zzzzzzzzzz", attempt: 1)))
        let scheduler = harness.scheduler()
        let start = ContinuousClock.now
        await scheduler.removeOrphans(await scheduler.findContainers(), now: start)
        #expect(Set(harness.engine.containers.map(\.id)) == ["current", "stray"], "inside the grace period")
        let grace = Duration.seconds(harness.configuration.orphanGraceSeconds)
        await scheduler.removeOrphans(await scheduler.findContainers(), now: start + grace)
        #expect(harness.engine.containers.map(\.id) == ["current"])
    }

    @Test("a superseded attempt's container goes at once")
    func superseded() async throws {
        let harness = try RunnerHarness()
        let job = try await harness.claimed()
        harness.engine.insert(.init(id: "old", name: "cosmos_old", labels: labels(job: job.id, attempt: 0)))
        let scheduler = harness.scheduler()
        await scheduler.removeOrphans(await scheduler.findContainers())
        #expect(harness.engine.containers.isEmpty)
    }

    @Test("an unreachable engine is skipped, and nothing is removed")
    func unreachable() async throws {
        let harness = try RunnerHarness()
        harness.engine.insert(.init(id: "stray", name: "cosmos_stray", labels: labels(job: "zzzzzzzzzz", attempt: 1)))
        harness.engine.setUnreachable(true)
        let scheduler = harness.scheduler()
        #expect(await scheduler.findContainers().isEmpty)
        harness.engine.setUnreachable(false)
        #expect(harness.engine.containers.count == 1)
    }
}
