import CosmosDomain
import CosmosStore
import Foundation
import Testing

/// `list` streamed from the store: the same jobs, order and positions as reading it whole, a chunk at a time.
@Suite("Streamed listing in the store")
struct ListingStoreTests {
    /// Every chunk `streamJobs` hands over, flattened.
    func streamed(_ db: TestDatabase, _ filter: JobListFilter = .init(), limit: Int? = nil, chunk: Int = 7)
        async throws -> [RankedJob]
    {
        var jobs: [RankedJob] = []
        var sizes: [Int] = []
        try await db.database.streamJobs(filter: filter, limit: limit, chunk: chunk) { rows in
            sizes.append(rows.count)
            jobs += rows
        }
        #expect(sizes.allSatisfy { $0 <= chunk })
        return jobs
    }

    /// 30 jobs over two priorities and two owners, some held, some finished.
    func mixed(_ db: TestDatabase) async throws -> [String] {
        var specs: [JobSpec] = []
        for index in 0..<30 { specs.append(JobSpec(name: "j\(index)", image: "img", priority: index % 4 == 0 ? 3 : 0)) }
        let first = try await db.database.submit(Array(specs.prefix(15)), ownerUID: 1).map(\.job.id)
        let second = try await db.database.submit(Array(specs.suffix(15)), ownerUID: 2).map(\.job.id)
        _ = try await db.database.hold(first[1])
        _ = try await db.database.hold(second[2])
        _ = try await db.database.cancel(first[3], byUID: 0)
        _ = try await db.database.cancel(second[5], byUID: 0)
        return first + second
    }

    @Test("unfiltered, the stream is list() exactly: the queue by position, then the others")
    func wholeList() async throws {
        let db = try TestDatabase()
        _ = try await mixed(db)
        let whole = try await db.database.list()
        #expect(try await streamed(db) == whole)
        #expect(try await streamed(db, chunk: 1) == whole)
        #expect(try await streamed(db, chunk: 1000) == whole)
        #expect(try await streamed(db, limit: 10).map(\.job.id) == whole.prefix(10).map(\.job.id))
    }

    @Test("filters narrow in SQL and keep each job's position in the whole queue")
    func filters() async throws {
        let db = try TestDatabase()
        _ = try await mixed(db)
        let whole = try await db.database.list()
        let positions = Dictionary(uniqueKeysWithValues: whole.map { ($0.job.id, $0.position) })
        let owned = try await streamed(db, JobListFilter(owner: 2))
        #expect(owned.map(\.job.id) == whole.filter { $0.job.ownerUid == 2 }.map(\.job.id))
        for job in owned { #expect(job.position == positions[job.job.id]) }
        let held = try await streamed(db, JobListFilter(state: .held))
        #expect(held.count == 2 && held.allSatisfy { $0.job.state == .held && $0.position == positions[$0.job.id] })
        let cancelled = try await streamed(db, JobListFilter(state: .cancelled))
        #expect(cancelled.count == 2 && cancelled.allSatisfy { $0.position == nil })
        #expect(try await streamed(db, JobListFilter(since: Date().addingTimeInterval(60))).isEmpty)
        #expect(try await streamed(db, JobListFilter(since: Date().addingTimeInterval(-60))).count == 30)
    }

    @Test("the listing reads one snapshot: a change made while it is handed over does not show in it")
    func snapshot() async throws {
        let db = try TestDatabase()
        let ids = try await db.submit(20)
        var seen: [String] = []
        try await db.database.streamJobs(filter: .init(), chunk: 5) { rows in
            if seen.isEmpty { _ = try await db.database.move(ids[19], to: .top) }
            seen += rows.map(\.job.id)
        }
        #expect(seen == ids)
        #expect(try await db.order().first == ids[19])
    }
}
