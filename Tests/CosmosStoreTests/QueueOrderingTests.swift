import CosmosDomain
import CosmosStore
import Foundation
import GRDB
import Testing

@Suite("Queue ordering")
struct QueueOrderingTests {
    @Test("submit appends; positions are 1..n in order")
    func submitAppends() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(5)
        #expect(try await db.order() == ids)
        #expect(try await db.database.list().compactMap(\.position) == [1, 2, 3, 4, 5])
        #expect(try await db.database.job(ids[3]).position == 4)
    }

    @Test("moves: top, bottom, before, after, to position")
    func moves() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(5)  // a b c d e
        _ = try await db.database.move(ids[4], to: .top)
        #expect(try await db.order() == [ids[4], ids[0], ids[1], ids[2], ids[3]])
        _ = try await db.database.move(ids[4], to: .bottom)
        #expect(try await db.order() == ids)
        _ = try await db.database.move(ids[0], to: .after(ids[2]))
        #expect(try await db.order() == [ids[1], ids[2], ids[0], ids[3], ids[4]])
        _ = try await db.database.move(ids[4], to: .before(ids[2]))
        #expect(try await db.order() == [ids[1], ids[4], ids[2], ids[0], ids[3]])
        let moved = try await db.database.move(ids[3], to: .position(2))
        #expect(moved.position == 2)
        #expect(try await db.order() == [ids[1], ids[3], ids[4], ids[2], ids[0]])
        _ = try await db.database.move(ids[1], to: .position(99))
        #expect(try await db.order().last == ids[1])
        _ = try await db.database.move(ids[0], to: .after(ids[1]))
        #expect(try await db.order().last == ids[0])
    }

    @Test("priority orders levels; moves stay within a level")
    func priorities() async throws {
        let db = try TestDatabase()
        let low = try await db.submit(2)
        let high = try await db.submit(2, priority: 5)
        #expect(try await db.order() == high + low)
        _ = try await db.database.move(low[1], to: .top)
        #expect(try await db.order() == high + [low[1], low[0]])
        await #expect(throws: StoreError.self) { try await db.database.move(low[0], to: .before(high[0])) }
        _ = try await db.database.move(low[0], to: .position(1))  // above its level: top of its level
        #expect(try await db.order() == high + [low[0], low[1]])
        _ = try await db.database.setPriority(low[1], to: 10)
        #expect(try await db.order() == [low[1]] + high + [low[0]])
    }

    @Test("a thousand moves into the same gap respace locally and keep the order exact")
    func denseInsertions() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(40)
        var expected = ids
        // Repeatedly move the last job to just after the first one: always bisecting the same gap.
        for _ in 0..<1000 {
            let last = expected.removeLast()
            expected.insert(last, at: 1)
            _ = try await db.database.move(last, to: .after(expected[0]))
        }
        #expect(try await db.order() == expected)
        let positions = try await db.database.list().compactMap(\.position)
        #expect(positions == Array(1...40))
    }

    @Test("hold keeps the place; release returns; cancel leaves the queue")
    func holdReleaseCancel() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(3)
        let held = try await db.database.hold(ids[1])
        #expect(held.job.state == .held && held.position == 2)
        await #expect(throws: StoreError.self) { try await db.database.hold(ids[1]) }
        _ = try await db.database.release(ids[1])
        let cancelled = try await db.database.cancel(ids[1], byUID: 1000)
        #expect(cancelled.job.state == .cancelled && !cancelled.needsStop)
        #expect(cancelled.job.reason == "cancelled by uid 1000")
        #expect(try await db.order() == [ids[0], ids[2]])
        await #expect(throws: StoreError.self) { try await db.database.cancel(ids[1], byUID: 1000) }
    }

    @Test("a retried job returns to its original place, ahead of later submissions")
    func retryKeepsPlace() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(3)
        _ = try await db.database.cancel(ids[0], byUID: 1)
        let later = try await db.submit(1)
        let retried = try await db.database.retry(ids[0])
        #expect(retried.position == 1)
        #expect(try await db.order() == [ids[0], ids[1], ids[2], later[0]])
        await #expect(throws: StoreError.self) { try await db.database.retry(ids[1]) }
    }

    @Test("unknown ids and illegal moves are refused and change nothing")
    func refusals() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(2)
        await #expect(throws: StoreError.jobNotFound("zzzzzzzzzz")) {
            try await db.database.move("zzzzzzzzzz", to: .top)
        }
        await #expect(throws: StoreError.moveRelativeToItself(ids[0])) {
            try await db.database.move(ids[0], to: .before(ids[0]))
        }
        await #expect(throws: StoreError.invalidPosition(0)) { try await db.database.move(ids[0], to: .position(0)) }
        #expect(try await db.order() == ids)
    }

    @Test("clients racing moves and submits never duplicate a position or lose a job")
    func concurrentMoves() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(200)
        let database = db.database
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var generator = SystemRandomNumberGenerator()
                    for step in 0..<60 {
                        let id = ids.randomElement(using: &generator)!
                        let other = ids.randomElement(using: &generator)!
                        switch (worker + step) % 5 {
                        case 0: _ = try await database.move(id, to: .top)
                        case 1: _ = try await database.move(id, to: .bottom)
                        case 2: if id != other { _ = try await database.move(id, to: .before(other)) }
                        case 3: if id != other { _ = try await database.move(id, to: .after(other)) }
                        default: _ = try await database.submit([JobSpec(image: "img")], ownerUID: 2)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let queued = try await database.list()
        #expect(queued.count == 200 + 8 * 12)
        #expect(Set(queued.map(\.job.id)).count == queued.count)
        #expect(queued.compactMap(\.position) == Array(1...queued.count))
        let keys = try await database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT priority, seq FROM job").map {
                "\($0["priority"] as Int)/\($0["seq"] as Int64)"
            }
        }
        #expect(Set(keys).count == keys.count)
        #expect(try await database.integrityCheck() == ["ok"])
    }

    @Test("pause survives reopening the file; so do jobs and their order")
    func persistence() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(3)
        _ = try await db.database.move(ids[2], to: .top)
        try await db.database.setPaused(true, byUID: 0)
        let instance = try await db.database.instanceID()
        let reopened = try AppDatabase(path: db.directory.appendingPathComponent("cosmos.db").path)
        #expect(try await reopened.isPaused())
        #expect(try await reopened.instanceID() == instance)
        #expect(try await reopened.list().map(\.job.id) == [ids[2], ids[0], ids[1]])
    }
}
