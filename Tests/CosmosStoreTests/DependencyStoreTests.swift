import CosmosDomain
import CosmosStore
import Foundation
import GRDB
import Testing

/// `after`, `after_any` and `job:` inputs in the store: the claim waits, a failure fails the chain in the same
/// transaction, and submits and retries that could never run are refused.
@Suite("Dependencies in the store")
struct DependencyStoreTests {
    let hosts = [HostCapacity(name: "local", devices: ["0", "1", "2", "3"])]
    let policy = RetryPolicy()

    func submit(_ db: TestDatabase, _ name: String, after: [String] = [], afterAny: [String] = []) async throws
        -> String
    {
        let spec = JobSpec(name: name, image: "img", after: after, afterAny: afterAny)
        return try await db.database.submit([spec], ownerUID: 1000)[0].job.id
    }

    func finish(_ db: TestDatabase, _ id: String, code: Int) async throws {
        _ = try await db.database.finishAttempt(
            id,
            attempt: 1,
            outcome: .exited(code: code, oomKilled: false, outputs: [], error: nil),
            policy: policy
        )
    }

    @Test("a job waits for its after job, keeps its place, and starts once that job succeeded")
    func waitsForSuccess() async throws {
        let db = try TestDatabase()
        let a = try await submit(db, "a")
        let b = try await submit(db, "b", after: [a])
        let c = try await submit(db, "c")
        let first = try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.map(\.id)
        #expect(first == [a, c])
        #expect(try await db.order() == [b])
        let waiting = try await db.database.unsatisfiedDependencies(of: [try await db.database.job(b).job])
        #expect(waiting[b]?.0 == Dependency(jobID: a, condition: .succeeded))
        #expect(waiting[b]?.1 == .starting)
        #expect(waiting[b]?.0.waitingReason(state: .starting) == "waiting for job \(a) (starting)")
        try await finish(db, a, code: 0)
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.map(\.id) == [b])
    }

    @Test("a failed after job fails its dependents and theirs, with the reason and an entry each; after_any runs")
    func failureCascades() async throws {
        let db = try TestDatabase()
        let a = try await submit(db, "a")
        let c = try await submit(db, "c", after: [a])
        let d = try await submit(db, "d", after: [c])
        let e = try await submit(db, "e", afterAny: [a])
        let held = try await submit(db, "held", after: [a])
        _ = try await db.database.hold(held)
        let before = try await db.database.events(after: 0).last?.seq ?? 0
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.map(\.id) == [a])
        try await finish(db, a, code: 3)
        for (id, via) in [(c, a), (d, c), (held, a)] {
            let job = try await db.database.job(id).job
            #expect(job.state == .failed, "\(id)")
            #expect(job.reason == "dependency \(via) failed")
            #expect(job.attempts == 0 && job.finishedAt != nil)
        }
        let failed = try await db.database.events(after: before).filter { $0.type == .jobFailed }
        #expect(Set(failed.compactMap(\.jobId)) == [a, c, d, held])
        #expect(failed.first { $0.jobId == d }?.payload["dependency"] == .string(c))
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.map(\.id) == [e])
    }

    @Test("cancelling a queued job fails the jobs after it")
    func cancelFails() async throws {
        let db = try TestDatabase()
        let a = try await submit(db, "a")
        let b = try await submit(db, "b", after: [a])
        _ = try await db.database.cancel(a, byUID: 1000)
        #expect(try await db.database.job(b).job.state == .failed)
        #expect(try await db.database.job(b).job.reason == "dependency \(a) failed")
    }

    @Test("an unknown or already failed dependency refuses the whole submission")
    func refusedAtSubmit() async throws {
        let db = try TestDatabase()
        let a = try await submit(db, "a")
        _ = try await db.database.cancel(a, byUID: 1000)
        let specs = [JobSpec(name: "ok", image: "img"), JobSpec(name: "bad", image: "img", after: ["zzzzzzzzzz"])]
        await #expect(throws: StoreError.unknownDependency("zzzzzzzzzz")) {
            try await db.database.submit(specs, ownerUID: 1000)
        }
        await #expect(throws: StoreError.brokenDependency(jobID: a, state: .cancelled)) {
            try await db.database.submit([JobSpec(image: "img", after: [a])], ownerUID: 1000)
        }
        #expect(try await db.database.list().map(\.job.id) == [a])
        _ = try await db.database.submit([JobSpec(image: "img", afterAny: [a])], ownerUID: 1000)
    }

    @Test("a retry of a job whose after job failed is refused until that job is retried")
    func retryNeedsDependency() async throws {
        let db = try TestDatabase()
        let a = try await submit(db, "a")
        let b = try await submit(db, "b", after: [a])
        _ = try await db.database.cancel(a, byUID: 1000)
        await #expect(throws: StoreError.retryWithBrokenDependency(jobID: b, dependency: a, state: .cancelled)) {
            try await db.database.retry(b)
        }
        #expect(try await db.database.job(b).job.state == .failed)
        _ = try await db.database.retry(a)
        #expect(try await db.database.retry(b).job.state == .queued)
        #expect(try await db.database.claimNext(hosts: hosts, policy: .backfill).claimed.map(\.id) == [a])
    }

    @Test("a chain of 100 fails whole in one transaction; a 101st link is refused")
    func chainDepth() async throws {
        let db = try TestDatabase()
        var chain = [try await submit(db, "0")]
        for index in 1...DependencyLimits.maxDepth {
            chain.append(try await submit(db, "\(index)", after: [chain[index - 1]]))
        }
        await #expect(throws: StoreError.dependencyChainTooDeep(limit: DependencyLimits.maxDepth)) {
            try await db.database.submit([JobSpec(image: "img", after: [chain.last!])], ownerUID: 1000)
        }
        _ = try await db.database.cancel(chain[0], byUID: 1000)
        let states = try await db.database.list().map(\.job.state)
        #expect(states.count == chain.count)
        #expect(states.filter { $0 == .failed }.count == DependencyLimits.maxDepth)
    }

    @Test("a failure or cancel seeks its dependents by id: the trigger's update never walks the queued jobs")
    func triggerSeeksDependents() async throws {
        let db = try TestDatabase()
        _ = try await db.submit(50)
        let plan = try await db.database.writer.read { db -> String in
            let trigger = try String.fetchOne(
                db,
                sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'job_dependency_broken'"
            )
            let sql = try #require(trigger)
            // The trigger's UPDATE, its row's id as a parameter.
            let start = try #require(sql.range(of: "UPDATE job SET")).lowerBound
            let end = try #require(sql.range(of: ";", range: start..<sql.endIndex)).lowerBound
            let update = sql[start..<end].replacingOccurrences(of: "new.id", with: "?")
            let parameters = update.filter { $0 == "?" }.count
            let rows = try Row.fetchAll(
                db,
                sql: "EXPLAIN QUERY PLAN " + update,
                arguments: StatementArguments(Array(repeating: "a", count: parameters))
            )
            return rows.map { $0["detail"] as String }.joined(separator: "; ")
        }
        #expect(plan.contains("USING INDEX sqlite_autoindex_job_1 (id=?)"), "\(plan)")
        #expect(!plan.contains("job_state_created"), "\(plan)")
    }

    @Test("dependents and upscales are listed for show; the dependency rows go with a pruned job")
    func links() async throws {
        let db = try TestDatabase()
        let a = try await submit(db, "a")
        let b = try await submit(db, "b", after: [a])
        var upscale = JobSpec(kind: .upscale, image: "img", inputs: ["job:\(a)"])
        upscale.sourceJobID = a
        let u = try await db.database.submit([upscale], ownerUID: 1000)[0].job
        #expect(u.sourceJobId == a)
        let links = try await db.database.links(of: a)
        #expect(links.dependents == [b, u.id])
        #expect(links.upscales == [u.id])
        let others = try await db.database.links(of: a, owner: 2000)
        #expect(others.dependents.isEmpty && others.upscales.isEmpty)
    }
}
