import CosmosDomain
import CosmosStore
import Foundation
import Testing

@Suite("The typed event log")
struct EventLogTests {
    let hosts = [HostCapacity(name: "local", devices: ["0", "1"])]

    /// The types of the entries of `job`, oldest first.
    func types(_ db: TestDatabase, job: String) async throws -> [EventType] {
        try await db.database.events(after: 0, filter: EventFilter(jobs: [job])).map(\.type)
    }

    @Test("a job that succeeds: submitted, claimed, started, succeeded, with their payloads")
    func success() async throws {
        let db = try TestDatabase()
        let id = try await db.submit(1)[0]
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        #expect(try await db.database.markRunning(id, attempt: 1, containerID: "c0ffee"))
        _ = try await db.database.finishAttempt(
            id,
            attempt: 1,
            outcome: .exited(code: 0, oomKilled: false, outputs: ["a.mp4"], error: nil),
            policy: RetryPolicy()
        )
        let events = try await db.database.events(after: 0, filter: EventFilter(jobs: [id]))
        #expect(events.map(\.type) == [.jobSubmitted, .jobClaimed, .jobStarted, .jobSucceeded])
        #expect(events.allSatisfy { $0.jobId == id && $0.batchId == nil })
        #expect(events[0].payload["owner_uid"] == .number(1000) && events[0].payload["image"] == .string("img"))
        #expect(events[0].payload["kind"] == .string("inference"))
        #expect(events[1].payload["host"] == .string("local") && events[1].payload["attempt"] == .number(1))
        #expect(events[2].payload["container_id"] == .string("c0ffee"))
        #expect(
            events[3].payload["exit_code"] == .number(0) && events[3].payload["outputs"] == .array([.string("a.mp4")])
        )
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.seq < $1.seq })
    }

    @Test("a command failure with a retry left is job.requeued, then job.failed when out of retries")
    func failureWithRetry() async throws {
        let db = try TestDatabase()
        let id = try await db.database.submit([JobSpec(image: "img", retries: 1)], ownerUID: 1).map(\.job.id)[0]
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: 0.001, maxDelay: 0.001)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        let first = try await db.database.finishAttempt(
            id,
            attempt: 1,
            outcome: .exited(code: 3, oomKilled: false, outputs: [], error: nil),
            policy: policy
        )
        guard case .requeued = first.verdict else {
            Issue.record("expected a requeue, got \(first.verdict)")
            return
        }
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill, now: Date().addingTimeInterval(1))
        _ = try await db.database.finishAttempt(
            id,
            attempt: 2,
            outcome: .exited(code: 3, oomKilled: false, outputs: [], error: nil),
            policy: policy
        )
        let events = try await db.database.events(after: 0, filter: EventFilter(jobs: [id]))
        #expect(events.map(\.type) == [.jobSubmitted, .jobClaimed, .jobRequeued, .jobClaimed, .jobFailed])
        let requeued = events[2].payload
        #expect(requeued["reason"] == .string("exit code 3") && requeued["attempt"] == .number(1))
        guard case .string(let notBefore) = requeued["not_before"] else {
            Issue.record("job.requeued has no not_before: \(requeued)")
            return
        }
        #expect(notBefore.hasSuffix("Z"))
        let failed = events[4].payload
        #expect(failed["reason"] == .string("exit code 3") && failed["exit_code"] == .number(3))
        #expect(failed["attempt"] == .number(2))
    }

    @Test("cancels: queued is job.cancelled; running is job.cancelled, then job.stopped when its container ends")
    func cancels() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(2)
        _ = try await db.database.claimNext(hosts: [HostCapacity(name: "local", devices: ["0"])], policy: .strict)
        _ = try await db.database.cancel(ids[1], byUID: 7)
        _ = try await db.database.cancel(ids[0], byUID: 8)
        _ = try await db.database.finishAttempt(
            ids[0],
            attempt: 1,
            outcome: .exited(code: 143, oomKilled: false, outputs: [], error: nil),
            policy: RetryPolicy()
        )
        let queued = try await db.database.events(after: 0, filter: EventFilter(jobs: [ids[1]]))
        #expect(queued.map(\.type) == [.jobSubmitted, .jobCancelled])
        #expect(queued[1].payload["uid"] == .number(7) && queued[1].payload["was_active"] == .bool(false))
        let running = try await db.database.events(after: 0, filter: EventFilter(jobs: [ids[0]]))
        #expect(running.map(\.type) == [.jobSubmitted, .jobClaimed, .jobCancelled, .jobStopped])
        #expect(running[2].payload["was_active"] == .bool(true))
        #expect(running[3].payload["exit_code"] == .number(143))
        #expect(running[3].payload["reason"] == .string("cancelled by uid 8"))
    }

    @Test("hold, release, move, priority and retry each write their entry")
    func queueOperations() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(2)
        _ = try await db.database.hold(ids[1])
        _ = try await db.database.release(ids[1])
        _ = try await db.database.move(ids[1], to: .top)
        _ = try await db.database.move(ids[1], to: .after(ids[0]))
        _ = try await db.database.setPriority(ids[1], to: 5)
        _ = try await db.database.cancel(ids[1], byUID: 1)
        _ = try await db.database.retry(ids[1])
        let events = try await db.database.events(after: 0, filter: EventFilter(jobs: [ids[1]]))
        #expect(
            events.map(\.type) == [
                .jobSubmitted, .jobHeld, .jobReleased, .jobMoved, .jobMoved, .jobPriorityChanged, .jobCancelled,
                .jobRetried,
            ]
        )
        #expect(events[1].payload["by"] == .string("user") && events[2].payload["by"] == .string("user"))
        #expect(events[3].payload == ["to": .string("top")])
        #expect(events[4].payload == ["to": .string("after"), "anchor": .string(ids[0])])
        #expect(events[5].payload == ["from": .number(0), "to": .number(5)])
    }

    @Test("queue pause and resume, host drain and resume are entries without a job")
    func queueAndHosts() async throws {
        let db = try TestDatabase()
        try await db.database.setPaused(true, byUID: 3)
        try await db.database.setPaused(false, byUID: 4)
        try await db.database.setDraining("gpu1", true, byUID: 5)
        try await db.database.setDraining("gpu1", false, byUID: 5)
        let events = try await db.database.events(after: 0)
        #expect(events.map(\.type) == [.queuePaused, .queueResumed, .hostDrained, .hostResumed])
        #expect(events.allSatisfy { $0.jobId == nil && $0.batchId == nil })
        #expect(events[0].payload == ["uid": .number(3)] && events[1].payload == ["uid": .number(4)])
        #expect(events[2].payload == ["host": .string("gpu1"), "uid": .number(5)])
    }

    @Test("a batch's entries carry its id: created, its jobs, paused with their holds, cancelled")
    func batchEntries() async throws {
        let db = try TestDatabase()
        let specs = (0..<2).map { JobSpec(name: "item \($0)", image: "img") }
        let (batch, jobs) = try await db.database.createBatch(name: "b", specs: specs, ownerUID: 9)
        _ = try await db.submit(1)  // outside the batch
        _ = try await db.database.pauseBatch(batch.id, byUID: 9)
        _ = try await db.database.cancelBatch(batch.id, running: false, byUID: 9)
        let events = try await db.database.events(after: 0, filter: EventFilter(batches: [batch.id]))
        #expect(
            events.map(\.type) == [
                .jobSubmitted, .jobSubmitted, .batchCreated, .jobHeld, .jobHeld, .batchPaused, .jobCancelled,
                .jobCancelled, .batchCancelled,
            ]
        )
        #expect(events.allSatisfy { $0.batchId == batch.id })
        #expect(events[0].payload["batch_id"] == .string(batch.id) && events[0].payload["index"] == .number(0))
        #expect(events[2].payload["jobs"] == .number(2) && events[2].jobId == nil)
        #expect(events[3].payload["by"] == .string("batch"))
        #expect(events[8].payload["running"] == .bool(false) && events[8].payload["uid"] == .number(9))
        let paused = try await db.database.events(
            after: 0,
            filter: EventFilter(batches: [batch.id], types: [.batchPaused, .jobHeld])
        )
        #expect(paused.map(\.type) == [.jobHeld, .jobHeld, .batchPaused])
        let oneJob = try await db.database.events(
            after: 0,
            filter: EventFilter(jobs: [jobs[1].job.id], batches: [batch.id])
        )
        #expect(oneJob.map(\.type) == [.jobSubmitted, .jobHeld, .jobCancelled])
    }

    @Test("a batch run: items' progress and ends name their parent; the parent's end is batch_run.ended")
    func batchRunEntries() async throws {
        let db = try TestDatabase()
        let specs = (0..<2).map { JobSpec(name: "item \($0)", image: "img") }
        let parentSpec = try BatchRun.parentSpec(for: specs, limits: .init())
        let (ranked, children) = try await db.database.submitBatchRun(parent: parentSpec, children: specs, ownerUID: 1)
        let parent = ranked.job.id
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        _ = try await db.database.markRunning(parent, attempt: 1, containerID: "c")
        _ = try await db.database.noteItemProgress(parent, attempt: 1, progress: .init(index: 0, state: .running))
        _ = try await db.database.finishBatchRun(
            parent,
            attempt: 1,
            outcome: .finished(
                exitCode: 0,
                verdicts: [0: .succeeded(outputs: []), 1: .failed(error: "bad")],
                error: nil
            ),
            policy: RetryPolicy()
        )
        let first = try await db.database.events(after: 0, filter: EventFilter(jobs: [children[0].id]))
        #expect(first.map(\.type) == [.jobSubmitted, .jobProgress, .jobSucceeded])
        #expect(first[0].payload["parent_id"] == .string(parent) && first[0].payload["index"] == .number(0))
        #expect(first[1].payload["state"] == .string("running") && first[1].payload["parent_id"] == .string(parent))
        let second = try await db.database.events(after: 0, filter: EventFilter(jobs: [children[1].id]))
        #expect(second.map(\.type) == [.jobSubmitted, .jobFailed])
        #expect(second[1].payload["error"] == .string("bad"))
        let ends = try await db.database.events(after: 0, filter: EventFilter(types: [.batchRunEnded]))
        #expect(ends.map(\.jobId) == [parent] && ends[0].payload["state"] == .string("succeeded"))
    }

    @Test("after is exclusive; pages of `limit` read the whole log once, in order")
    func paging() async throws {
        let db = try TestDatabase()
        #expect(try await db.database.latestEventSeq() == 0)
        #expect(try await db.database.oldestEventSeq() == nil)
        let ids = try await db.submit(5)
        for id in ids { _ = try await db.database.hold(id) }
        let all = try await db.database.events(after: 0)
        #expect(all.count == 10)
        #expect(try await db.database.latestEventSeq() == all.last?.seq)
        #expect(try await db.database.oldestEventSeq() == all.first?.seq)
        let afterThird = try await db.database.events(after: all[2].seq)
        #expect(afterThird.map(\.seq) == all.dropFirst(3).map(\.seq))
        var paged: [EventRecord] = []
        var cursor: Int64 = 0
        while true {
            let page = try await db.database.events(after: cursor, limit: 3)
            #expect(page.count <= 3)
            guard let last = page.last else { break }
            paged += page
            cursor = last.seq
        }
        #expect(paged == all)
        #expect(try await db.database.events(after: all.last!.seq).isEmpty)
    }

    @Test("filters combine: jobs and types; an empty set matches nothing")
    func filters() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(3)
        _ = try await db.database.hold(ids[0])
        _ = try await db.database.hold(ids[2])
        let two = try await db.database.events(after: 0, filter: EventFilter(jobs: [ids[0], ids[2]]))
        #expect(two.map(\.jobId) == [ids[0], ids[2], ids[0], ids[2]])
        let holds = try await db.database.events(after: 0, filter: EventFilter(types: [.jobHeld]))
        #expect(holds.map(\.jobId) == [ids[0], ids[2]])
        let one = try await db.database.events(after: 0, filter: EventFilter(jobs: [ids[2]], types: [.jobHeld]))
        #expect(one.map(\.jobId) == [ids[2]])
        #expect(try await db.database.events(after: 0, filter: EventFilter(jobs: [])).isEmpty)
        #expect(try await db.database.events(after: 0, filter: EventFilter(types: [.batchCreated])).isEmpty)
    }
}
