import CosmosDomain
import CosmosStore
import Foundation
import Synchronization
import Testing

/// The owners a move passes: what the access check of a move sees, and that a refusal moves nothing.
@Suite("Moves that pass other jobs")
struct MovePassingTests {
    /// Queue of six jobs, owners 1, 2, 1, 3, 1, 2 in queue order; returns their ids.
    func queue(_ store: TestDatabase) async throws -> [String] {
        var ids: [String] = []
        for owner in [1, 2, 1, 3, 1, 2] {
            ids += try await store.database.submit([JobSpec(image: "img")], ownerUID: UInt32(owner)).map(\.job.id)
        }
        return ids
    }

    /// The owners `move` reports passing (nil when it does not call the check).
    func passed(_ store: TestDatabase, _ id: String, _ target: MoveTarget) async throws -> Set<Int>? {
        let seen = Mutex<Set<Int>?>(nil)
        _ = try await store.database.move(id, to: target, passing: { owners in seen.withLock { $0 = owners } })
        return seen.withLock { $0 }
    }

    @Test("top, before, after and position report the owners of exactly the jobs passed")
    func owners() async throws {
        let store = try TestDatabase()
        var ids = try await queue(store)
        // The last job (owner 2) to the top passes everyone: owners 1, 2 and 3.
        #expect(try await passed(store, ids[5], .top) == [1, 2, 3])
        ids = try await store.order()
        // Now: 2 1 2 1 3 1. The last (owner 1) before the fourth passes the fourth and fifth: owners 1 and 3.
        #expect(try await passed(store, ids[5], .before(ids[3])) == [1, 3])
        ids = try await store.order()
        // Now: 2 1 2 1 1 3. The last (owner 3) after the first passes jobs 2...5: owners 1 and 2.
        #expect(try await passed(store, ids[5], .after(ids[0])) == [1, 2])
        ids = try await store.order()
        // Now: 2 3 1 2 1 1. The fifth (owner 1) to position 3 passes the third and fourth: owners 1 and 2.
        #expect(try await passed(store, ids[4], .position(3)) == [1, 2])
    }

    @Test("moving back passes nobody, so the check is not asked")
    func backwards() async throws {
        let store = try TestDatabase()
        let ids = try await queue(store)
        #expect(try await passed(store, ids[0], .bottom) == nil)
        #expect(try await passed(store, ids[1], .after(ids[4])) == nil)
    }

    @Test("a check that refuses leaves the queue as it was")
    func refusedMovesNothing() async throws {
        struct Refused: Error {}
        let store = try TestDatabase()
        let ids = try await queue(store)
        await #expect(throws: Refused.self) {
            _ = try await store.database.move(ids[5], to: .top, passing: { _ in throw Refused() })
        }
        #expect(try await store.order() == ids)
        let events = try await store.database.events(after: 0, filter: EventFilter(types: [.jobMoved]))
        #expect(events.isEmpty)
    }
}
