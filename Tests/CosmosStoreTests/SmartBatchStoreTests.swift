import CosmosDomain
import CosmosStore
import Foundation
import Testing

@Suite("Smart batching in the store")
struct SmartBatchStoreTests {
    let hosts = [HostCapacity(name: "local", devices: ["0"])]
    let defaults = CostModel.Estimate(setupSeconds: 60, itemSeconds: 300)

    func spec(_ name: String, _ controls: [String: Double] = ["edge": 0.5]) -> JobSpec {
        JobSpec(name: name, image: "img", command: ["run"], prompt: "prompt \(name)", controls: controls)
    }

    /// Submits the specs and pauses the queue; returns the ids in queue order.
    func pausedQueue(_ db: TestDatabase, _ specs: [JobSpec]) async throws -> [String] {
        let ids = try await db.database.submit(specs, ownerUID: 1000).map(\.job.id)
        try await db.database.setPaused(true, byUID: 0)
        return ids
    }

    func analyze(_ db: TestDatabase, _ mode: SmartBatchPlanner.Mode = .strict) async throws -> SmartBatchAnalysis {
        try await db.database.analyzeSmartBatch(mode: mode, limits: .init(), defaults: defaults)
    }

    @Test("analysis needs a paused queue, and changes nothing in the queue")
    func analysisOnlyWhenPaused() async throws {
        let db = try TestDatabase()
        let ids = try await db.database.submit([spec("a"), spec("b")], ownerUID: 1000).map(\.job.id)
        await #expect(throws: SmartBatchError.notPaused) { try await analyze(db) }
        try await db.database.setPaused(true, byUID: 0)
        let analysis = try await analyze(db)
        #expect(analysis.runs.map(\.group.jobIDs) == [ids])
        #expect(try await db.order() == ids)
        #expect(try await db.database.list().allSatisfy { $0.job.shape == .single && $0.job.parentId == nil })
    }

    @Test("execute regroups in one step: ids, owners, names and specs kept; the parent takes the first job's place")
    func execute() async throws {
        let db = try TestDatabase()
        let ids = try await pausedQueue(db, [spec("a"), spec("d", ["depth": 1]), spec("b"), spec("c")])
        let analysis = try await analyze(db)
        #expect(analysis.runs.map(\.group.jobIDs) == [[ids[0], ids[2], ids[3]]])
        let before = try await db.database.list().map(\.job)
        let executed = try await db.database.executeSmartBatch()
        #expect(executed.state == .executed)
        let parentID = try #require(executed.runs.first?.parentID)
        #expect(try await db.order() == [parentID, ids[1]], "the run stands where its first job stood")
        let children = try await db.database.children(of: parentID)
        #expect(children.map(\.id) == [ids[0], ids[2], ids[3]])
        #expect(children.map(\.batchIndex) == [0, 1, 2])
        for child in children {
            let old = try #require(before.first { $0.id == child.id })
            #expect(child.spec == old.spec && child.ownerUid == old.ownerUid && child.name == old.name)
            #expect(child.shape == .batchItem && child.state == .queued)
        }
        let parent = try await db.database.job(parentID).job
        #expect(parent.shape == .batchParent && parent.spec.command == ["run"] && parent.image == "img")
        let executedEvents = try await db.database.events(after: 0, filter: EventFilter(types: [.smartBatchExecuted]))
        #expect(executedEvents.count == 1 && executedEvents.first?.payload["plan_id"] == .string(analysis.id))
        await #expect(throws: SmartBatchError.noAnalysis) { try await db.database.executeSmartBatch() }
    }

    @Test("a change after the analysis makes execute refuse and leaves the queue as it was")
    func stale() async throws {
        let db = try TestDatabase()
        let ids = try await pausedQueue(db, [spec("a"), spec("b")])
        let analysis = try await analyze(db)
        let added = try await db.database.submit([spec("late")], ownerUID: 1000).map(\.job.id)
        let preview = try await db.database.smartBatchPreview()
        #expect(preview.changes == "1 job(s) joined the queue (\(added[0]))")
        await #expect(throws: SmartBatchError.stale(planID: analysis.id, changes: preview.changes ?? "")) {
            try await db.database.executeSmartBatch()
        }
        #expect(try await db.order() == ids + added)
        #expect(try await db.database.list().allSatisfy { $0.job.shape == .single })

        _ = try await analyze(db)
        _ = try await db.database.hold(ids[1])
        #expect(try await db.database.smartBatchPreview().changes == "a queued job's spec, hold or priority changed")
    }

    @Test("the analysis is in the database: a new connection to the file sees it")
    func survivesReopen() async throws {
        let db = try TestDatabase()
        _ = try await pausedQueue(db, [spec("a"), spec("b")])
        let analysis = try await analyze(db)
        let reopened = try AppDatabase(path: db.directory.appendingPathComponent("cosmos.db").path, durable: false)
        let preview = try await reopened.smartBatchPreview()
        #expect(preview.analysis == analysis && preview.changes == nil)
    }

    @Test("finished runs teach the cost model; the report compares predicted and measured")
    func costModelAndReport() async throws {
        let db = try TestDatabase()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        // Three single jobs of 10 s (L + c) and one run of 4 in 16 s (L + 4c): L = 8, c = 2.
        for index in 0..<3 {
            let id = try await db.database.submit([spec("s\(index)")], ownerUID: 1).map(\.job.id)[0]
            _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
            _ = try await db.database.markRunning(id, attempt: 1, containerID: "c", now: start)
            _ = try await db.database.finishAttempt(
                id,
                attempt: 1,
                outcome: .exited(code: 0, oomKilled: false, outputs: [], error: nil),
                policy: RetryPolicy(),
                now: start.addingTimeInterval(10)
            )
        }
        let ids = try await pausedQueue(db, (0..<4).map { spec("r\($0)") })
        let analysis = try await analyze(db)
        #expect(analysis.runs.first?.estimate.learned == false, "one size alone cannot split L from c")
        let parentID = try #require(try await db.database.executeSmartBatch().runs.first?.parentID)
        try await db.database.setPaused(false, byUID: 0)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        _ = try await db.database.markRunning(parentID, attempt: 1, containerID: "c", now: start)
        _ = try await db.database.finishBatchRun(
            parentID,
            attempt: 1,
            outcome: .finished(
                exitCode: 0,
                verdicts: [
                    0: .succeeded(outputs: []), 1: .failed(error: "bad"), 2: .succeeded(outputs: []),
                    3: .succeeded(outputs: []),
                ],
                error: nil
            ),
            policy: RetryPolicy(),
            now: start.addingTimeInterval(16)
        )
        let model = try await db.database.costModel(defaults: defaults)
        #expect(model.count == 1 && model[0].image == "img" && model[0].controls == ["edge"])
        let estimate = model[0].estimate
        #expect(estimate.learned && estimate.samples == 4)
        #expect(abs(estimate.setupSeconds - 8) < 0.01 && abs(estimate.itemSeconds - 2) < 0.01)

        let report = try await db.database.smartBatchReport(defaults: defaults)
        #expect(report.planID == analysis.id && report.runs.count == 1)
        let run = report.runs[0]
        #expect(run.parentID == parentID && run.size == 4 && run.measuredSeconds == 16)
        #expect(run.failedItems == [ids[1]] && report.failedItems == 1)
        #expect(abs(run.aloneSeconds - 40) < 0.01, "4 jobs alone at L + c = 10 s")
        #expect(abs((report.measuredSpeedup ?? 0) - 2.5) < 0.01)
    }

    @Test("an out-of-memory run puts its items back alone and halves the next analysis's limit, saying why")
    func outOfMemory() async throws {
        let db = try TestDatabase()
        let ids = try await pausedQueue(db, (0..<4).map { spec("j\($0)") })
        _ = try await analyze(db)
        let parentID = try #require(try await db.database.executeSmartBatch().runs.first?.parentID)
        try await db.database.setPaused(false, byUID: 0)
        _ = try await db.database.claimNext(hosts: hosts, policy: .backfill)
        _ = try await db.database.markRunning(parentID, attempt: 1, containerID: "c")
        _ = try await db.database.finishBatchRun(
            parentID,
            attempt: 1,
            outcome: .failedWhole(reason: Reason.oom, error: "killed for memory"),
            policy: RetryPolicy(),
            now: Date()
        )
        #expect(try await db.order() == ids, "back alone, in their order")
        try await db.database.setPaused(true, byUID: 0)
        let next = try await analyze(db)
        #expect(next.runs.map(\.group.size) == [2, 2])
        #expect(next.runs.first?.group.limitNote == "lowered to 2 after an out-of-memory run on host local")
        let report = try await db.database.smartBatchReport(defaults: defaults)
        #expect(report.runs.first?.requeuedItems == ids.sorted())
    }

    @Test("discard forgets the analysis")
    func discard() async throws {
        let db = try TestDatabase()
        _ = try await pausedQueue(db, [spec("a"), spec("b")])
        let analysis = try await analyze(db)
        #expect(try await db.database.discardSmartBatch() == analysis.id)
        await #expect(throws: SmartBatchError.noAnalysis) { try await db.database.smartBatchPreview() }
    }
}
