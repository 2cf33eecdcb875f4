import CosmosDomain
import CosmosStore
import Foundation
import Testing

@Suite("Batch runs in the store")
struct BatchRunStoreTests {
    let hosts = [HostCapacity(name: "local", devices: ["0", "1"])]

    func submitRun(_ db: TestDatabase, items: Int = 3) async throws -> (parent: String, children: [String]) {
        let specs = (0..<items).map { JobSpec(name: "item \($0)", image: "img", controls: ["edge": 0.5]) }
        let parent = try BatchRun.parentSpec(for: specs, limits: .init())
        let (ranked, children) = try await db.database.submitBatchRun(parent: parent, children: specs, ownerUID: 1)
        return (ranked.job.id, children.map(\.id))
    }

    @Test("the parent holds the queue place; children have none and are never claimed alone")
    func placement() async throws {
        let db = try TestDatabase()
        let (parent, children) = try await submitRun(db)
        #expect(try await db.order() == [parent])
        let claimed = try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed
        #expect(claimed.map(\.id) == [parent])
        let rows = try await db.database.children(of: parent)
        #expect(rows.map(\.id) == children && rows.allSatisfy { $0.state == .queued && $0.attempts == 1 })
        #expect(rows.map(\.batchIndex) == [0, 1, 2])
        #expect(try await db.database.activeJobs().map(\.id) == [parent])
    }

    @Test("progress moves children; the manifest settles them in one transaction; the parent succeeds")
    func finished() async throws {
        let db = try TestDatabase()
        let (parent, _) = try await submitRun(db)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        _ = try await db.database.markRunning(parent, attempt: 1, containerID: "c")
        let running = try await db.database.noteItemProgress(
            parent,
            attempt: 1,
            progress: .init(index: 0, state: .running)
        )
        #expect(running?.state == .running)
        let done = try await db.database.noteItemProgress(
            parent,
            attempt: 1,
            progress: .init(index: 0, state: .succeeded)
        )
        #expect(done?.state == .running && done?.reason?.hasPrefix("done in the run (succeeded)") == true)
        let failed = try await db.database.noteItemProgress(
            parent,
            attempt: 1,
            progress: .init(index: 1, state: .failed, message: "bad")
        )
        #expect(failed?.state == .running)
        let result = try await db.database.finishBatchRun(
            parent,
            attempt: 1,
            outcome: .finished(
                exitCode: 0,
                verdicts: [
                    0: .succeeded(outputs: ["video.mp4"]), 1: .failed(error: "bad"), 2: .succeeded(outputs: []),
                ],
                error: nil
            ),
            policy: RetryPolicy()
        )
        #expect(result?.parent.state == .succeeded)
        #expect(result?.children.map(\.state) == [.succeeded, .failed, .succeeded])
        #expect(result?.children[0].outputs == ["video.mp4"] && result?.children[1].error == "bad")
        #expect(result?.children[0].reason == nil && result?.children[1].reason == "item failed")
    }

    @Test("a run that fails as a whole puts its children back alone, in order, at the parent's place")
    func failedWhole() async throws {
        let db = try TestDatabase()
        let before = try await db.submit(1)
        let (parent, children) = try await submitRun(db)
        let after = try await db.submit(1)
        _ = try await db.database.claimNext(hosts: [HostCapacity(name: "local", devices: ["0"])], policy: .strict)
        _ = try await db.database.claimNext(hosts: [HostCapacity(name: "local", devices: ["0", "1"])], policy: .strict)
        let (_, _) = try await db.database.finishAttempt(
            parent,
            attempt: 1,
            outcome: .exited(code: 3, oomKilled: false, outputs: [], error: nil),
            policy: RetryPolicy()
        )
        #expect(try await db.database.job(parent).job.state == .failed)
        let order = try await db.order()
        #expect(order == children + after, "\(order) before \(before)")
        let singles = try await db.database.list().filter { children.contains($0.job.id) }.map(\.job)
        #expect(
            singles.allSatisfy {
                $0.parentId == nil && $0.attempts == 1 && $0.reason == "batch run failed: exit code 3"
            }
        )
    }

    @Test("children out of attempts fail instead of going back")
    func outOfAttempts() async throws {
        let db = try TestDatabase()
        let (parent, children) = try await submitRun(db, items: 2)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        _ = try await db.database.finishBatchRun(
            parent,
            attempt: 1,
            outcome: .failedWhole(reason: "oom", error: "x"),
            policy: RetryPolicy(maxAttempts: 1)
        )
        for id in children { #expect(try await db.database.job(id).job.state == .failed) }
    }

    @Test("cancelling the parent cancels the children that have not ended")
    func cancelParent() async throws {
        let db = try TestDatabase()
        let (parent, children) = try await submitRun(db)
        _ = try await db.database.cancel(parent, byUID: 1)
        for id in children { #expect(try await db.database.job(id).job.state == .cancelled) }
    }
}
