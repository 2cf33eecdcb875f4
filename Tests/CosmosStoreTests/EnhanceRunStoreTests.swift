import CosmosDomain
import CosmosStore
import Foundation
import Testing

/// Enhance runs in the store: the run's place, the holds of `--update`, and what its end does to the sources.
@Suite("Enhance runs in the store")
struct EnhanceRunStoreTests {
    let hosts = [HostCapacity(name: "local", devices: ["0", "1"])]

    func source(_ db: TestDatabase, _ prompt: String, after: [String] = []) async throws -> String {
        let spec = JobSpec(name: prompt, image: "img", prompt: prompt, after: after)
        return try await db.database.submit([spec], ownerUID: 1000)[0].job.id
    }

    func startRun(_ db: TestDatabase, _ sources: [String], mode: EnhanceSettings.Mode) async throws
        -> (parent: String, items: [JobRecord])
    {
        let spec = JobSpec(name: "enhance", kind: .enhance, image: "upsampler", enhance: EnhanceSettings(mode: mode))
        let (parent, items) = try await db.database.submitEnhanceRun(parent: spec, sources: sources, ownerUID: 1000)
        return (parent.job.id, items)
    }

    func finish(_ db: TestDatabase, _ parent: String, _ outcome: BatchRunOutcome) async throws {
        _ = try await db.database.finishBatchRun(parent, attempt: 1, outcome: outcome, policy: RetryPolicy())
    }

    @Test("the run goes just before its first source; --update holds the queued sources, not the held ones")
    func placeAndHolds() async throws {
        let db = try TestDatabase()
        let other = try await source(db, "other")
        let a = try await source(db, "a")
        let b = try await source(db, "b")
        _ = try await db.database.hold(b)
        let (parent, items) = try await startRun(db, [b, a], mode: .update)
        #expect(try await db.order() == [other, parent, a, b])
        #expect(items.map(\.sourceJobId) == [b, a])
        #expect(items.map(\.spec.prompt) == ["b", "a"])
        #expect(items.allSatisfy { $0.shape == .batchItem && $0.kind == .enhance && $0.parentId == parent })
        let heldA = try await db.database.job(a).job
        #expect(heldA.state == .held && heldA.heldByRun == parent)
        #expect(heldA.reason == EnhanceRun.holdReason(parentID: parent))
        #expect(try await db.database.job(b).job.heldByRun == nil, "b was held by its user")

        // A source in a run that has not ended cannot join another.
        await #expect(
            throws: StoreError.enhanceSourceRefused(
                jobID: a,
                reason: "is already in enhance run \(parent), which has not ended"
            )
        ) {
            _ = try await startRun(db, [a], mode: .createNew)
        }
    }

    @Test("--update rewrites the prompts in the run's transaction, with the old and new prompt, and releases")
    func updateAtEnd() async throws {
        let db = try TestDatabase()
        let a = try await source(db, "a")
        let b = try await source(db, "b")
        let c = try await source(db, "c")
        let (parent, _) = try await startRun(db, [a, b, c], mode: .update)
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.map(\.id) == [parent])
        _ = try await db.database.cancel(c, byUID: 1000)
        let before = try await db.database.events(after: 0).last?.seq ?? 0
        try await finish(
            db,
            parent,
            .finished(
                exitCode: 0,
                verdicts: [
                    0: .enhanced(prompt: "a, better", outputs: []), 1: .failed(error: "no luck"),
                    2: .enhanced(prompt: "c, better", outputs: []),
                ],
                error: nil
            )
        )
        let jobs = try await [a, b, c].asyncMap { try await db.database.job($0).job }
        #expect(jobs.map(\.state) == [.queued, .queued, .cancelled])
        #expect(jobs.map(\.spec.prompt) == ["a, better", "b", "c"])
        #expect(jobs.allSatisfy { $0.heldByRun == nil })
        let items = try await db.database.children(of: parent)
        #expect(items.map(\.state) == [.succeeded, .failed, .succeeded])
        #expect(items.map(\.enhancedPrompt) == ["a, better", nil, "c, better"])
        #expect(items[0].reason == "updated the prompt of \(a)")
        #expect(items[2].reason == "the source was cancelled meanwhile; not revived")
        let events = try await db.database.events(after: before)
        let update = try #require(events.first { $0.type == .jobPromptUpdated })
        #expect(update.jobId == a)
        #expect(update.payload["old_prompt"] == .string("a") && update.payload["new_prompt"] == .string("a, better"))
        #expect(events.filter { $0.type == .jobReleased }.map(\.jobId) == [a, b])
        // The trigger's release entries take SQLite's clock; every entry the run's end wrote takes its time.
        #expect(Set(events.filter { $0.type != .jobReleased }.map(\.at)).count == 1, "one transaction")
    }

    @Test("--create-new queues each copy right after its original, with its dependencies; nothing is held")
    func createNewCopies() async throws {
        let db = try TestDatabase()
        let blocker = try await source(db, "blocker")
        let a = try await source(db, "a", after: [blocker])
        let b = try await source(db, "b", after: [blocker])
        let tail = try await source(db, "tail")
        let (parent, _) = try await startRun(db, [a, b], mode: .createNew)
        #expect(try await db.database.job(a).job.state == .queued)
        let claimed = try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.map(\.id)
        #expect(claimed == [blocker, parent])
        try await finish(
            db,
            parent,
            .finished(
                exitCode: 0,
                verdicts: [0: .enhanced(prompt: "a+", outputs: []), 1: .enhanced(prompt: "b+", outputs: [])],
                error: nil
            )
        )
        let order = try await db.order()
        #expect(order.count == 5)
        #expect([order[0], order[2], order[4]] == [a, b, tail])
        let copies = try await [order[1], order[3]].asyncMap { try await db.database.job($0).job }
        #expect(copies.map(\.name) == ["a (enhanced)", "b (enhanced)"])
        #expect(copies.map(\.spec.prompt) == ["a+", "b+"])
        #expect(copies.map(\.spec.after) == [[blocker], [blocker]])
        #expect(try await db.database.job(a).job.spec.prompt == "a")
    }

    @Test("a run that fails as a whole fails its items, changes no prompt and releases the sources")
    func wholeFailure() async throws {
        let db = try TestDatabase()
        let a = try await source(db, "a")
        let (parent, _) = try await startRun(db, [a], mode: .update)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        try await finish(db, parent, .failedWhole(reason: "exit code 3", error: "boom"))
        let job = try await db.database.job(a).job
        #expect(job.state == .queued && job.spec.prompt == "a" && job.heldByRun == nil && job.reason == nil)
        let items = try await db.database.children(of: parent)
        #expect(items.map(\.state) == [.failed])
        #expect(items[0].reason == "enhance run failed: exit code 3; the source was left unchanged")
        #expect(try await db.database.job(parent).job.state == .failed)
    }

    @Test("cancelling the run releases its sources with their prompts unchanged")
    func cancelReleases() async throws {
        let db = try TestDatabase()
        let a = try await source(db, "a")
        let (parent, _) = try await startRun(db, [a], mode: .update)
        _ = try await db.database.cancel(parent, byUID: 1000)
        let job = try await db.database.job(a).job
        #expect(job.state == .queued && job.heldByRun == nil && job.spec.prompt == "a")
        #expect(try await db.database.children(of: parent).map(\.state) == [.cancelled])
    }
}

extension Array {
    /// `map` with an async transform, in order.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
