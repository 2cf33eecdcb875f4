import CosmosDomain
import CosmosStore
import Foundation
import GRDB
import Testing

/// Prune, vacuum, online backup and checks on a real SQLite file.
@Suite("Maintenance in the store")
struct MaintenanceStoreTests {
    let daysAgo40 = Date().addingTimeInterval(-40 * 86_400)
    let cutoff = Date().addingTimeInterval(-30 * 86_400)

    func spec(_ name: String) -> JobSpec { JobSpec(name: name, image: "img") }

    @Test("prune: old finished jobs go with their events; young, unfinished and unfinished batches' jobs stay")
    func prune() async throws {
        let store = try TestDatabase()
        let db = store.database
        let ids = try await store.submit(3)
        let (old, young, waiting) = (ids[0], ids[1], ids[2])
        _ = try await db.cancel(old, byUID: 1, now: daysAgo40)
        _ = try await db.cancel(young, byUID: 1, now: Date())
        // A finished batch whose jobs all ended long ago goes whole; one with a job still queued stays whole.
        let (done, _) = try await db.createBatch(name: "done", specs: [spec("d1"), spec("d2")], ownerUID: 1)
        _ = try await db.cancelBatch(done.id, running: false, byUID: 1, now: daysAgo40)
        let (open, openJobs) = try await db.createBatch(name: "open", specs: [spec("o1"), spec("o2")], ownerUID: 1)
        _ = try await db.cancel(openJobs[0].job.id, byUID: 1, now: daysAgo40)
        let doneJobs = try await db.batchWithJobs(done.id).jobs.map(\.job.id)

        let result = try await db.prune(finishedBefore: cutoff, eventsBefore: nil)
        #expect(result.jobIDs == ([old] + doneJobs).sorted())
        #expect(result.batchIDs == [done.id])
        #expect(result.events > 0)
        let left = Set(try await db.list().map(\.job.id))
        #expect(left == Set([young, waiting] + openJobs.map(\.job.id)))
        #expect(try await db.batch(open.id).total == 2)
        await #expect(throws: StoreError.batchNotFound(done.id)) { _ = try await db.batch(done.id) }
        #expect(try await db.events(after: 0, filter: EventFilter(jobs: [old])).isEmpty)
        #expect(try await db.events(after: 0, filter: EventFilter(jobs: [young])).count >= 2)
        // A second run finds nothing more.
        #expect(try await db.prune(finishedBefore: cutoff, eventsBefore: nil).jobIDs.isEmpty)
    }

    @Test("event retention prunes entries older than its cut-off and leaves jobs alone")
    func eventRetention() async throws {
        let store = try TestDatabase()
        _ = try await store.submit(3)
        let result = try await store.database.prune(finishedBefore: nil, eventsBefore: Date().addingTimeInterval(1))
        #expect(result.events == 3 && result.jobIDs.isEmpty)
        #expect(try await store.database.oldestEventSeq() == nil)
        #expect(try await store.database.list().count == 3)
    }

    @Test("vacuum: incremental needs the file switched first; full switches it, then incremental reclaims")
    func vacuum() async throws {
        let store = try TestDatabase()
        let ids = try await store.submit(300)
        for id in ids { _ = try await store.database.cancel(id, byUID: 1, now: daysAgo40) }
        _ = try await store.database.prune(finishedBefore: cutoff, eventsBefore: nil)
        let first = try await store.database.vacuum(full: false)
        #expect(first.note != nil && first.pagesAfter == first.pagesBefore)
        let full = try await store.database.vacuum(full: true)
        #expect(full.note == nil && full.pagesAfter < full.pagesBefore, "\(full)")
        let ids2 = try await store.submit(300)
        for id in ids2 { _ = try await store.database.cancel(id, byUID: 1, now: daysAgo40) }
        _ = try await store.database.prune(finishedBefore: cutoff, eventsBefore: nil)
        let incremental = try await store.database.vacuum(full: false)
        #expect(incremental.note == nil && incremental.freePagesBefore > 0)
        #expect(incremental.pagesAfter < incremental.pagesBefore, "\(incremental)")
    }

    @Test("an online backup is a whole, checked copy, mode 0600, that opens and holds every job")
    func backup() async throws {
        let store = try TestDatabase()
        _ = try await store.submit(25)
        let path = store.directory.path + "/backups/cosmos-backup.db"
        let result = try await store.database.backup(to: path)
        #expect(result.integrity == "ok" && result.jobs == 25 && result.bytes > 0)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        let copy = try DatabaseQueue(path: path)
        #expect(try await copy.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM job") } == 25)
        // Into a folder that cannot be made: a typed error, and nothing left behind.
        await #expect(throws: StoreError.self) { _ = try await store.database.backup(to: "/proc/cosmos/backup.db") }
    }

    @Test("the checks pass on a sound file")
    func check() async throws {
        let store = try TestDatabase()
        _ = try await store.submit(5)
        let result = try await store.database.check()
        #expect(result.ok && result.integrity == ["ok"] && result.foreignKeyProblems == 0)
    }
}
