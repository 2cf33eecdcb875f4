import CosmosDomain
import CosmosStore
import Foundation
import Testing

@Suite("Job life cycle in the store")
struct LifecycleTests {
    let hosts = [HostCapacity(name: "local", devices: ["0", "1"])]

    @Test("claims follow queue order, record GPUs exclusively and count attempts")
    func claims() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(3)
        _ = try await db.database.move(ids[2], to: .top)
        let (claimed, pending) = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        #expect(claimed.map(\.id) == [ids[2], ids[0]])
        #expect(claimed.allSatisfy { $0.state == .starting && $0.attempts == 1 })
        #expect(Set(claimed.flatMap(\.devices)) == ["0", "1"])
        #expect(pending[ids[1]] == "waiting for 1 GPU (most free on one host: 0)")
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.isEmpty)
    }

    @Test("a paused queue claims nothing")
    func paused() async throws {
        let db = try TestDatabase()
        _ = try await db.submit(1)
        try await db.database.setPaused(true, byUID: 0)
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.isEmpty)
        try await db.database.setPaused(false, byUID: 0)
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.count == 1)
    }

    @Test("exit 0 succeeds; a non-zero exit fails with its reason; oom is its own reason")
    func outcomes() async throws {
        let db = try TestDatabase()
        _ = try await db.submit(3)
        let claimed = try await db.database.claimNext(
            hosts: [HostCapacity(name: "local", devices: ["0", "1", "2"])],
            policy: .backfill
        ).claimed
        let policy = RetryPolicy()
        let ok = try await db.database.finishAttempt(
            claimed[0].id,
            attempt: 1,
            outcome: .exited(code: 0, oomKilled: false, outputs: ["a.mp4"], error: nil),
            policy: policy
        )
        #expect(ok.verdict == .succeeded && ok.job.outputs == ["a.mp4"] && ok.job.finishedAt != nil)
        let bad = try await db.database.finishAttempt(
            claimed[1].id,
            attempt: 1,
            outcome: .exited(code: 3, oomKilled: false, outputs: [], error: nil),
            policy: policy
        )
        #expect(bad.verdict == .failed && bad.job.reason == "exit code 3" && bad.job.exitCode == 3)
        let oom = try await db.database.finishAttempt(
            claimed[2].id,
            attempt: 1,
            outcome: .exited(code: 137, oomKilled: true, outputs: [], error: nil),
            policy: policy
        )
        #expect(oom.verdict == .failed && oom.job.reason == "oom")
    }

    @Test("an infrastructure failure requeues at the original place with backoff, then fails when out of attempts")
    func infrastructureRetry() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(2)
        let host = [HostCapacity(name: "local", devices: ["0"])]
        let policy = RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxDelay: 0.01)
        var now = Date()
        let first = try await db.database.claimNext(hosts: host, policy: .backfill, now: now).claimed[0]
        #expect(first.id == ids[0])
        let requeued = try await db.database.finishAttempt(
            first.id,
            attempt: 1,
            outcome: .infrastructureFailure(reason: Reason.containerLost, error: "gone"),
            policy: policy,
            now: now
        )
        guard case .requeued(let notBefore) = requeued.verdict else {
            Issue.record("expected a requeue, got \(requeued.verdict)")
            return
        }
        #expect(requeued.job.reason == "container lost" && requeued.job.state == .queued)
        #expect(try await db.database.job(ids[0]).position == 1)
        now = notBefore.addingTimeInterval(0.001)
        let second = try await db.database.claimNext(hosts: host, policy: .backfill, now: now).claimed[0]
        #expect(second.id == ids[0] && second.attempts == 2)
        #expect(second.containerName.hasSuffix("_2"))
        let failed = try await db.database.finishAttempt(
            second.id,
            attempt: 2,
            outcome: .infrastructureFailure(reason: Reason.containerLost, error: "gone"),
            policy: policy,
            now: now
        )
        #expect(failed.verdict == .failed && failed.job.reason == "container lost")
    }

    @Test("cancel while running: needs a stop, and the exit keeps the cancel reason")
    func cancelRunning() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(1)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        #expect(try await db.database.markRunning(ids[0], attempt: 1, containerID: "c1"))
        let cancel = try await db.database.cancel(ids[0], byUID: 1000)
        #expect(cancel.needsStop)
        let markedAfterCancel = try await db.database.markRunning(ids[0], attempt: 1, containerID: "c1")
        #expect(!markedAfterCancel)
        let end = try await db.database.finishAttempt(
            ids[0],
            attempt: 1,
            outcome: .exited(code: 143, oomKilled: false, outputs: [], error: nil),
            policy: RetryPolicy()
        )
        #expect(end.verdict == .stayedCancelled && end.job.state == .cancelled)
        #expect(end.job.reason == "cancelled by uid 1000" && end.job.exitCode == 143)
    }

    @Test("cancelled between container create and start: stays cancelled with no exit code")
    func cancelBeforeStart() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(1)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        let cancel = try await db.database.cancel(ids[0], byUID: 1000)
        #expect(cancel.needsStop)
        let end = try await db.database.finishAttempt(
            ids[0],
            attempt: 1,
            outcome: .cancelledBeforeStart,
            policy: RetryPolicy()
        )
        #expect(end.verdict == .stayedCancelled && end.job.state == .cancelled)
        #expect(end.job.reason == "cancelled by uid 1000" && end.job.exitCode == nil)
    }

    @Test("a job that finished before the cancel arrived stays succeeded")
    func cancelAfterSuccess() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(1)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        _ = try await db.database.finishAttempt(
            ids[0],
            attempt: 1,
            outcome: .exited(code: 0, oomKilled: false, outputs: [], error: nil),
            policy: RetryPolicy()
        )
        await #expect(throws: StoreError.self) { try await db.database.cancel(ids[0], byUID: 1) }
        #expect(try await db.database.job(ids[0]).job.state == .succeeded)
    }

    @Test("a stale runner's outcome changes nothing")
    func staleOutcome() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(1)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        let stale = try await db.database.finishAttempt(
            ids[0],
            attempt: 7,
            outcome: .exited(code: 0, oomKilled: false, outputs: [], error: nil),
            policy: RetryPolicy()
        )
        #expect(stale.verdict == .stale && stale.job.state == .starting)
    }
}
