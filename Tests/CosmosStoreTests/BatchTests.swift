import CosmosDomain
import CosmosStore
import Foundation
import GRDB
import Testing

@Suite("Batches in the store")
struct BatchTests {
    let hosts = [HostCapacity(name: "local", devices: ["0", "1", "2"])]

    func specs(_ count: Int) -> [JobSpec] {
        (0..<count).map { JobSpec(name: "item \($0)", image: "img") }
    }

    /// The counters recomputed from the job rows.
    func recount(_ db: TestDatabase, _ id: String) async throws -> BatchProgress {
        var progress = BatchProgress()
        for job in try await db.database.batchWithJobs(id).jobs.map(\.job) {
            progress.total += 1
            switch job.state {
            case .queued: progress.queued += 1
            case .held: progress.held += 1
            case .starting: progress.starting += 1
            case .running: progress.running += 1
            case .succeeded: progress.succeeded += 1
            case .failed: progress.failed += 1
            case .cancelled: progress.cancelled += 1
            }
        }
        let stored = try await db.database.batch(id).progress
        progress.paused = stored.paused
        progress.cancelledByUser = stored.cancelledByUser
        return progress
    }

    @Test("counters equal a recount after a random mix of operations (seeded, 400 steps)")
    func countersNeverDrift() async throws {
        let db = try TestDatabase()
        let (batch, _) = try await db.database.createBatch(name: "mix", specs: specs(12), ownerUID: 1000)
        _ = try await db.submit(3)  // jobs outside the batch must not count
        var random = SeededGenerator(seed: 42)
        let policy = RetryPolicy(maxAttempts: 2)
        var seen: Set<JobState> = []
        for step in 0..<400 {
            let jobs = try await db.database.batchWithJobs(batch.id).jobs.map(\.job)
            seen.formUnion(jobs.map(\.state))
            let job = jobs[Int(random.next() % UInt64(jobs.count))]
            switch random.next() % 10 {
            case 0: _ = try? await db.database.hold(job.id)
            case 1: _ = try? await db.database.release(job.id)
            case 2: _ = try? await db.database.cancel(job.id, byUID: 1)
            case 3: _ = try? await db.database.retry(job.id)
            case 4: _ = try? await db.database.claimNext(hosts: hosts, policy: .backfill)
            case 5:
                if job.state == .starting {
                    _ = try? await db.database.markRunning(job.id, attempt: job.attempts, containerID: "c")
                }
            case 6:
                if job.state.isActive {
                    let code = Int(random.next() % 2)
                    _ = try? await db.database.finishAttempt(
                        job.id,
                        attempt: job.attempts,
                        outcome: .exited(code: code, oomKilled: false, outputs: [], error: nil),
                        policy: policy
                    )
                }
            case 7:
                if job.state.isActive {
                    _ = try? await db.database.finishAttempt(
                        job.id,
                        attempt: job.attempts,
                        outcome: .infrastructureFailure(reason: Reason.hostDown, error: "x"),
                        policy: policy,
                        now: Date().addingTimeInterval(-3600)
                    )
                }
            case 8: _ = try? await db.database.pauseBatch(batch.id, byUID: 1)
            default: _ = try? await db.database.resumeBatch(batch.id, byUID: 1)
            }
            let stored = try await db.database.batch(batch.id).progress
            let counted = try await recount(db, batch.id)
            #expect(stored == counted, "after step \(step)")
            if stored != counted { return }
        }
        #expect(try await db.database.batch(batch.id).total == 12)
        // The mix must have driven jobs through every state, or the comparison proves little.
        #expect(seen == Set(JobState.allCases), "\(seen)")
    }

    @Test("create is all or nothing; jobs keep their file order as batch_index")
    func create() async throws {
        let db = try TestDatabase()
        let (batch, jobs) = try await db.database.createBatch(name: "shots", specs: specs(4), ownerUID: 1000)
        #expect(batch.total == 4 && batch.nQueued == 4 && batch.progress.status == .pending)
        #expect(jobs.map(\.job.batchIndex) == [0, 1, 2, 3])
        #expect(jobs.allSatisfy { $0.job.batchId == batch.id })
        #expect(try await db.order() == jobs.map(\.job.id))
    }

    @Test("pause holds queued jobs and the scheduler starts none; resume releases them")
    func pauseResume() async throws {
        let db = try TestDatabase()
        let (batch, _) = try await db.database.createBatch(name: "p", specs: specs(3), ownerUID: 1000)
        let paused = try await db.database.pauseBatch(batch.id, byUID: 1)
        #expect(paused.progress.status == .paused && paused.nHeld == 3)
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.isEmpty)
        // A job of a paused batch put back in the queue (say, a retry) still does not start.
        let first = try await db.database.batchWithJobs(batch.id).jobs[0].job
        _ = try await db.database.release(first.id)
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.isEmpty)
        let resumed = try await db.database.resumeBatch(batch.id, byUID: 1)
        #expect(resumed.nQueued == 3 && resumed.progress.status == .pending)
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.count == 3)
    }

    @Test("resume releases only what the pause held: a job its user held stays held")
    func resumeKeepsUserHolds() async throws {
        let db = try TestDatabase()
        let (batch, _) = try await db.database.createBatch(name: "h", specs: specs(3), ownerUID: 1000)
        let jobs = try await db.database.batchWithJobs(batch.id).jobs.map(\.job)
        _ = try await db.database.hold(jobs[1].id)
        _ = try await db.database.pauseBatch(batch.id, byUID: 1)
        let resumed = try await db.database.resumeBatch(batch.id, byUID: 1)
        #expect(resumed.nQueued == 2 && resumed.nHeld == 1)
        let states = try await db.database.batchWithJobs(batch.id).jobs.map(\.job.state)
        #expect(states == [.queued, .held, .queued])
        // Released by hand, it is an ordinary queued job again; a second pause and resume carry it along.
        _ = try await db.database.release(jobs[1].id)
        _ = try await db.database.pauseBatch(batch.id, byUID: 1)
        #expect(try await db.database.resumeBatch(batch.id, byUID: 1).nQueued == 3)
    }

    @Test("a batch paused before v4-batch-holds: after the upgrade its resume still releases its jobs")
    func upgradeKeepsPauseHolds() async throws {
        let db = try TestDatabase()
        let (batch, _) = try await db.database.createBatch(name: "old", specs: specs(2), ownerUID: 1000)
        _ = try await db.database.pauseBatch(batch.id, byUID: 1)
        // Back to the v3 schema, as a database paused by the previous version would be.
        try await db.database.writer.write { db in
            try db.execute(sql: "ALTER TABLE job DROP COLUMN held_by_batch")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v4-batch-holds'")
        }
        let upgraded = try AppDatabase(path: db.directory.appendingPathComponent("cosmos.db").path, durable: false)
        #expect(try await upgraded.resumeBatch(batch.id, byUID: 1).nQueued == 2)
    }

    @Test("cancel ends queued jobs; --running also returns the active ones to stop; delete only when finished")
    func cancelAndDelete() async throws {
        let db = try TestDatabase()
        let (batch, _) = try await db.database.createBatch(name: "c", specs: specs(4), ownerUID: 1000)
        let claimed = try await db.database.claimNext(
            hosts: [HostCapacity(name: "local", devices: ["0"])],
            policy: .backfill
        ).claimed
        #expect(claimed.count == 1)
        await #expect(throws: StoreError.self) { try await db.database.deleteBatch(batch.id) }
        let (cancelled, toStop) = try await db.database.cancelBatch(batch.id, running: false, byUID: 1)
        #expect(cancelled.nCancelled == 3 && cancelled.nStarting == 1 && toStop.isEmpty)
        #expect(cancelled.progress.status == .cancelled)
        await #expect(throws: StoreError.self) { try await db.database.deleteBatch(batch.id) }
        let (_, stop) = try await db.database.cancelBatch(batch.id, running: true, byUID: 1)
        #expect(stop.map(\.id) == claimed.map(\.id))
        _ = try await db.database.finishAttempt(
            claimed[0].id,
            attempt: 1,
            outcome: .exited(code: 137, oomKilled: false, outputs: [], error: nil),
            policy: RetryPolicy()
        )
        let deleted = try await db.database.deleteBatch(batch.id)
        #expect(deleted.count == 4)
        await #expect(throws: StoreError.self) { try await db.database.batch(batch.id) }
        #expect(try await db.database.list().isEmpty)
    }

    @Test("move takes all queued jobs of the batch together, in their order")
    func move() async throws {
        let db = try TestDatabase()
        let before = try await db.submit(3)
        let (batch, jobs) = try await db.database.createBatch(name: "m", specs: specs(3), ownerUID: 1000)
        let ids = jobs.map(\.job.id)
        _ = try await db.database.moveBatch(batch.id, to: .top)
        #expect(try await db.order() == ids + before)
        _ = try await db.database.moveBatch(batch.id, to: .after(before[0]))
        #expect(try await db.order() == [before[0]] + ids + [before[1], before[2]])
        _ = try await db.database.moveBatch(batch.id, to: .before(before[2]))
        #expect(try await db.order() == [before[0], before[1]] + ids + [before[2]])
        _ = try await db.database.moveBatch(batch.id, to: .bottom)
        #expect(try await db.order() == before + ids)
    }
}

/// A small deterministic generator (SplitMix64) so a failing mix can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
