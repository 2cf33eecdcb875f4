import CosmosDomain
import CosmosStore
import Foundation
import Testing

/// `batch.completed` is written in the transaction that ends a batch's last job.
@Suite("batch.completed in the event log")
struct BatchCompletedEventTests {
    let hosts = [HostCapacity(name: "local", devices: ["0", "1"])]

    /// Claims, starts and ends every queued job of the store, with `exitCodes` in claim order.
    func runAll(_ db: TestDatabase, exitCodes: [Int]) async throws {
        var codes = exitCodes[...]
        while let code = codes.first {
            let (claimed, _) = try await db.database.claimNext(hosts: hosts, policy: .backfill)
            for job in claimed {
                _ = try await db.database.markRunning(job.id, attempt: job.attempts, containerID: "c")
                _ = try await db.database.finishAttempt(
                    job.id,
                    attempt: job.attempts,
                    outcome: .exited(code: codes.popFirst() ?? code, oomKilled: false, outputs: [], error: nil),
                    policy: RetryPolicy()
                )
            }
        }
    }

    func completions(_ db: TestDatabase) async throws -> [EventRecord] {
        try await db.database.events(after: 0, filter: EventFilter(types: [.batchCompleted]))
    }

    @Test("once, when the last job ends, with the counts; `failed` when a job failed")
    func completes() async throws {
        let db = try TestDatabase()
        let specs = (0..<3).map { JobSpec(name: "item \($0)", image: "img") }
        let (batch, _) = try await db.database.createBatch(name: "three", specs: specs, ownerUID: 1000)
        try await runAll(db, exitCodes: [0, 0])
        #expect(try await completions(db).isEmpty, "one job still waits")
        try await runAll(db, exitCodes: [1])
        let events = try await completions(db)
        #expect(events.count == 1)
        #expect(events.first?.batchId == batch.id)
        #expect(events.first?.payload["status"] == .string("failed"))
        #expect(events.first?.payload["completed"] == .number(2) && events.first?.payload["total"] == .number(3))
    }

    @Test("a batch the user cancels gets batch.cancelled, not batch.completed")
    func cancelled() async throws {
        let db = try TestDatabase()
        let (batch, _) = try await db.database.createBatch(
            name: "two",
            specs: [JobSpec(image: "img"), JobSpec(image: "img")],
            ownerUID: 1000
        )
        _ = try await db.database.cancelBatch(batch.id, running: true, byUID: 1000)
        #expect(try await completions(db).isEmpty)
    }
}
