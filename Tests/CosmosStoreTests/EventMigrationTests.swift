import CosmosDomain
import Foundation
import GRDB
import Testing

@testable import CosmosStore

@Suite("v5-typed-events carries old entries over")
struct EventMigrationTests {
    @Test("old type strings map to typed names, legacy keeps the unknown, batch ids are filled")
    func mapping() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cosmos-v4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cosmos.db").path
        let old: [(job: String?, type: String, message: String)] = [
            ("j1", "submitted", "by uid 1000"),
            ("j1", "claimed", "attempt 1 on local gpus [\"0\"]"),
            ("j1", "running", "container abc"),
            ("j1", "requeued(notBefore: 2025-01-01 00:00:00 +0000)", "container lost"),
            ("j1", "succeeded", ""),
            ("j2", "failed", "exit code 3"),
            ("j2", "retry", "by user"),
            ("j2", "stayedCancelled", "cancelled by uid 1"),
            ("j1", "cancel", "cancelled by uid 1"),
            ("j1", "hold", ""),
            ("j1", "release", "batch"),
            ("j1", "moved", "top"),
            ("j1", "priority", "5"),
            ("c1", "submitted", "item 0 of p1"),
            ("c1", "running", "item 0"),
            ("c1", "requeued", "alone after batch run p1: oom"),
            ("p1", "batch_run_ended", ""),
            (nil, "paused", "by uid 0"),
            (nil, "resumed", "by uid 0"),
            (nil, "host_drained", "gpu1 by uid 0"),
            (nil, "host_resumed", "gpu1 by uid 0"),
            (nil, "batch_created", "b1 2 jobs"),
            (nil, "batch_paused", "b1 by uid 1000"),
            (nil, "batch_resumed", "b1 by uid 1000"),
            (nil, "batch_cancelled", "b1 by uid 1000"),
            (nil, "batch_deleted", "b0 (3 jobs)"),
            ("j1", "mystery", "from a build nobody remembers"),
        ]
        do {
            let pool = try DatabasePool(path: path)
            try AppDatabase.migrator.migrate(pool, upTo: "v4-batch-holds")
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO batch(id, name, owner_uid, created_at, updated_at) VALUES ('b1', 'b', 1000, '2025-01-01', '2025-01-01');
                        INSERT INTO job(id, kind, state, seq, image, spec, gpus, owner_uid, created_at, batch_id)
                            VALUES ('j1', 'inference', 'queued', 1, 'img', '{}', 1, 1000, '2025-01-01', 'b1');
                        INSERT INTO job(id, kind, state, seq, image, spec, gpus, owner_uid, created_at)
                            VALUES ('j2', 'inference', 'failed', 2, 'img', '{}', 1, 1000, '2025-01-01');
                        """
                )
                for entry in old {
                    try db.execute(
                        sql: "INSERT INTO event(at, job_id, type, message) VALUES ('2025-01-01 00:00:00.000', ?, ?, ?)",
                        arguments: [entry.job, entry.type, entry.message]
                    )
                }
            }
            try pool.close()
        }
        let database = try AppDatabase(path: path, durable: false)
        let events = try await database.events(after: 0)
        let expected: [EventType] = [
            .jobSubmitted, .jobClaimed, .jobStarted, .jobRequeued, .jobSucceeded, .jobFailed, .jobRetried, .jobStopped,
            .jobCancelled, .jobHeld, .jobReleased, .jobMoved, .jobPriorityChanged, .jobSubmitted, .jobProgress,
            .jobRequeued, .batchRunEnded, .queuePaused, .queueResumed, .hostDrained, .hostResumed, .batchCreated,
            .batchPaused, .batchResumed, .batchCancelled, .batchDeleted, .legacy,
        ]
        #expect(events.map(\.type) == expected)
        #expect(events.map(\.message) == old.map(\.message))
        #expect(zip(events, old).allSatisfy { $0.payload["legacy_type"] == .string($1.type) })
        #expect(events[14].payload["index"] == .number(0) && events[14].payload["state"] == .string("running"))
        // Batch ids: a job's from the job table, a batch entry's from its message.
        #expect(events.filter { $0.jobId == "j1" }.allSatisfy { $0.batchId == "b1" })
        #expect(events.filter { $0.jobId == "j2" }.allSatisfy { $0.batchId == nil })
        #expect(events[21].batchId == "b1" && events[21].payload["batch_id"] == .string("b1"))
        #expect(events[25].batchId == "b0")
        #expect(events[19].batchId == nil)
        let ofBatch = try await database.events(after: 0, filter: EventFilter(batches: ["b1"]))
        #expect(ofBatch.count == events.filter { $0.jobId == "j1" }.count + 4)
        // New entries follow the old ones.
        try await database.setPaused(true, byUID: 2)
        let newest = try await database.events(after: events.last!.seq)
        #expect(newest.map(\.type) == [.queuePaused] && newest[0].payload == ["uid": .number(2)])
    }

    @Test("every old string of the mapping table is carried to its typed name")
    func everyMappedString() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cosmos-v4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cosmos.db").path
        let table = AppDatabase.legacyEventTypes.sorted { $0.key < $1.key }
        do {
            let pool = try DatabasePool(path: path)
            try AppDatabase.migrator.migrate(pool, upTo: "v4-batch-holds")
            try await pool.write { db in
                for (old, _) in table {
                    try db.execute(
                        sql:
                            "INSERT INTO event(at, job_id, type, message) VALUES ('2025-01-01 00:00:00.000', NULL, ?, 'x')",
                        arguments: [old]
                    )
                }
            }
            try pool.close()
        }
        let events = try await AppDatabase(path: path, durable: false).events(after: 0)
        #expect(events.map(\.type) == table.map(\.value))
        #expect(!events.contains { $0.type == .legacy })
    }
}
