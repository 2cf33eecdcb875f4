import CosmosDomain
import CosmosStore
import Foundation
import Testing

/// GPU accounting, the per-state counters and the dashboard's queue pages, on a real SQLite file.
@Suite("GPU usage, state counters and job pages in the store")
struct UsageStoreTests {
    let hosts = [HostCapacity(name: "local", devices: ["0", "1", "2", "3"])]

    @Test("each attempt that ran records its GPUs times its run time; one that never started records nothing")
    func singleJob() async throws {
        let db = try TestDatabase()
        let id = try await db.database.submit([JobSpec(image: "img", gpus: 2)], ownerUID: 1000)[0].job.id
        let start = Date()
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill, now: start)
        _ = try await db.database.markRunning(id, attempt: 1, containerID: "c1", now: start)
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: 0.001, maxDelay: 0.001)
        _ = try await db.database.finishAttempt(
            id,
            attempt: 1,
            outcome: .infrastructureFailure(reason: Reason.containerLost, error: "gone"),
            policy: policy,
            now: start.addingTimeInterval(5)
        )
        // The second attempt is claimed but its start fails before it runs: no GPU time.
        let later = start.addingTimeInterval(6)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill, now: later)
        _ = try await db.database.finishAttempt(
            id,
            attempt: 2,
            outcome: .infrastructureFailure(reason: "start failed", error: "no"),
            policy: policy,
            now: later
        )
        let third = start.addingTimeInterval(10)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill, now: third)
        _ = try await db.database.markRunning(id, attempt: 3, containerID: "c3", now: third)
        let done = try await db.database.finishAttempt(
            id,
            attempt: 3,
            outcome: .exited(code: 0, oomKilled: false, outputs: [], error: nil),
            policy: policy,
            now: third.addingTimeInterval(10)
        )
        #expect(done.verdict == .succeeded)
        #expect(abs(done.job.gpuSeconds - 30) < 0.01)  // 2 GPUs × (5 s + 10 s)
        let usage = try await db.database.usage(since: nil, by: .owner)
        #expect(usage.count == 1 && usage[0].key == "1000" && usage[0].jobs == 1 && usage[0].attempts == 2)
        #expect(abs(usage[0].gpuSeconds - 30) < 0.01)
        // Since the third attempt's end only that attempt counts; after it, nothing.
        let recent = try await db.database.usage(since: third.addingTimeInterval(9), by: .image)
        #expect(recent.map(\.key) == ["img"] && abs(recent[0].gpuSeconds - 20) < 0.01)
        #expect(try await db.database.usage(since: third.addingTimeInterval(11), by: .owner).isEmpty)
    }

    @Test("a batch run's GPU time is shared evenly among its items, so sums count it once")
    func batchRunShares() async throws {
        let db = try TestDatabase()
        let specs = (0..<4).map { JobSpec(name: "item \($0)", image: "img", controls: ["edge": 0.5]) }
        let parent = try BatchRun.parentSpec(for: specs, limits: .init())
        let (ranked, children) = try await db.database.submitBatchRun(parent: parent, children: specs, ownerUID: 7)
        let start = Date()
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill, now: start)
        _ = try await db.database.markRunning(ranked.job.id, attempt: 1, containerID: "c", now: start)
        let result = try await db.database.finishBatchRun(
            ranked.job.id,
            attempt: 1,
            outcome: .finished(
                exitCode: 0,
                verdicts: Dictionary(uniqueKeysWithValues: (0..<4).map { ($0, .succeeded(outputs: [])) }),
                error: nil
            ),
            policy: RetryPolicy(),
            now: start.addingTimeInterval(40)
        )
        let gpus = Double(ranked.job.gpus)
        #expect(gpus > 0)
        #expect(abs((result?.parent.gpuSeconds ?? 0) - 40 * gpus) < 0.01)
        for child in children {
            #expect(abs(try await db.database.job(child.id).job.gpuSeconds - 10 * gpus) < 0.01)
        }
        let usage = try await db.database.usage(since: nil, by: .owner)
        #expect(usage.count == 1 && usage[0].jobs == 4 && abs(usage[0].gpuSeconds - 40 * gpus) < 0.01)
    }

    @Test("the per-state counters agree with counting the rows after submits, claims, finishes and cancels")
    func stateCounters() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(6)
        _ = try await db.database.hold(ids[5])
        _ = try await db.database.claimNext(
            hosts: [HostCapacity(name: "local", devices: ["0", "1"])],
            policy: .backfill
        )
        _ = try await db.database.markRunning(ids[0], attempt: 1, containerID: "c")
        _ = try await db.database.finishAttempt(
            ids[0],
            attempt: 1,
            outcome: .exited(code: 0, oomKilled: false, outputs: [], error: nil),
            policy: RetryPolicy()
        )
        _ = try await db.database.cancel(ids[2], byUID: 0)
        let counted = try await db.database.countedStates()
        #expect(try await db.database.counts() == counted)
        #expect(counted[.succeeded] == 1 && counted[.starting] == 1 && counted[.cancelled] == 1)
        #expect(counted[.queued] == 2 && counted[.held] == 1)
        #expect(try await db.database.queuedCount() == 2)
    }

    @Test("a filtered page keeps each job's position in the whole queue")
    func filteredPositions() async throws {
        let db = try TestDatabase()
        var specs: [JobSpec] = []
        for index in 0..<20 { specs.append(JobSpec(name: "j\(index)", image: "img", priority: index % 3 == 0 ? 5 : 0)) }
        let mine = try await db.database.submit(Array(specs.prefix(10)), ownerUID: 1)
        _ = try await db.database.submit(Array(specs.suffix(10)), ownerUID: 2)
        let all = try await db.database.jobPage(filter: JobListFilter(), offset: 0, limit: 100)
        #expect(all.total == 20 && all.jobs.map(\.position) == (1...20).map { $0 })
        let positions = Dictionary(uniqueKeysWithValues: all.jobs.map { ($0.job.id, $0.position) })
        let owned = try await db.database.jobPage(filter: JobListFilter(owner: 1), offset: 0, limit: 100)
        #expect(owned.total == 10 && Set(owned.jobs.map(\.job.id)) == Set(mine.map(\.job.id)))
        for job in owned.jobs { #expect(job.position == positions[job.job.id], "\(job.job.name ?? "")") }
        let second = try await db.database.jobPage(filter: JobListFilter(owner: 1), offset: 4, limit: 3)
        #expect(second.jobs.map(\.job.id) == owned.jobs[4..<7].map(\.job.id))
        #expect(second.jobs.map(\.position) == owned.jobs[4..<7].map(\.position))
        let page = try await db.database.jobPage(filter: JobListFilter(), offset: 18, limit: 5)
        #expect(page.jobs.map(\.position) == [19, 20])
    }
}
