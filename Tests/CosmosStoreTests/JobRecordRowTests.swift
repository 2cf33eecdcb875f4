import CosmosDomain
import CosmosStore
import Foundation
import GRDB
import Testing

/// `JobRecord.init(row:)` reads what the Codable conformance wrote, every column.
@Suite("Job rows")
struct JobRecordRowTests {
    @Test("a record with every field set reads back equal, through the row reader")
    func roundTrip() async throws {
        let db = try TestDatabase()
        let stored = try await db.database.submit([JobSpec(name: "n", image: "img", prompt: "p")], ownerUID: 7)[0].job
        var record = stored
        record.state = .failed
        record.host = "h"
        record.devices = ["0", "1"]
        record.containerId = "c"
        record.exitCode = 3
        record.oomKilled = true
        record.error = "e"
        record.reason = "r"
        record.startedAt = Date(timeIntervalSince1970: 1_800_000_000.125)
        record.finishedAt = Date(timeIntervalSince1970: 1_800_000_100.5)
        record.notBefore = Date(timeIntervalSince1970: 1_800_000_200)
        record.outputs = ["a.mp4", "b/c.json"]
        record.batchIndex = 2
        record.heldByBatch = true
        record.progress = 0.5
        record.loadSeconds = 1.5
        record.enhancedPrompt = "q"
        record.gpuSeconds = 12.5
        record.attempts = 4
        record.retryBase = 1
        let written = record
        try await db.database.writer.write { db in try written.update(db) }
        let read = try await db.database.job(stored.id).job
        // The store keeps milliseconds: the submit's own time comes back rounded (the others are whole ms).
        #expect(abs(read.createdAt.timeIntervalSince(stored.createdAt)) < 0.001)
        record.createdAt = read.createdAt
        #expect(read == record)
    }

    @Test("many rows decoded on every core come out equal and in order; a bad row fails the whole read")
    func parallelDecoding() async throws {
        let db = try TestDatabase()
        let specs = (0..<1000).map { JobSpec(name: "j\($0)", image: "img", prompt: "p\($0)") }
        _ = try await db.database.submit(specs, ownerUID: 7)
        let (parallel, serial) = try await db.database.writer.read { db in
            let sql = "SELECT * FROM job ORDER BY seq"
            return (
                try JobRecord.fetchAllDecodingInParallel(db, sql: sql, arguments: []),
                try JobRecord.fetchAll(db, sql: sql)
            )
        }
        #expect(parallel.count == 1000)
        #expect(parallel == serial)
        #expect(parallel.map(\.name) == specs.map(\.name))

        try await db.database.writer.write { db in
            try db.execute(sql: "UPDATE job SET spec = '{' WHERE seq = (SELECT MAX(seq) FROM job)")
        }
        let failed = try await db.database.writer.read { db in
            (try? JobRecord.fetchAllDecodingInParallel(db, sql: "SELECT * FROM job ORDER BY seq", arguments: [])) == nil
        }
        #expect(failed)
    }
}
