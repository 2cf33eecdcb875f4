import CosmosDomain
import Foundation
import GRDB
import Testing

@testable import CosmosStore

@Suite("v6-run-shape carries a v4 database over")
struct RunShapeMigrationTests {
    /// A parent's spec as the daemon wrote it while `batch` was a kind.
    static let oldParentSpec = """
        {"name":"batch run of 2","kind":"batch","image":"img","command":["run"],"env":{},"gpus":1,"priority":0,\
        "controls":{},"params":{},"inputs":[],"retries":0}
        """
    static let itemSpec = """
        {"name":"item","kind":"inference","image":"img","command":["run"],"env":{},"gpus":1,"priority":0,\
        "controls":{"edge":0.5},"params":{},"inputs":[],"retries":0}
        """

    @Test("a batch run in flight: the parent keeps its container, is still active, and finishes normally")
    func runInFlight() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cosmos-v4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cosmos.db").path
        do {
            let pool = try DatabasePool(path: path)
            try AppDatabase.migrator.migrate(pool, upTo: "v4-batch-holds")
            try await pool.write { db in
                let columns = """
                    INSERT INTO job(id, kind, state, seq, image, spec, gpus, owner_uid, attempts, host, devices,
                        container_id, created_at, started_at, finished_at, parent_id, batch_index)
                    VALUES
                    """
                let rows: [StatementArguments] = [
                    // The run in flight and its items: one running, one done.
                    [
                        "pabcdefghj", "batch", "running", 1 << 20, "img", Self.oldParentSpec, 1, 1000, 1, "local",
                        "[\"0\"]", "cid", "2025-01-01 00:00:00.000", "2025-01-01 00:00:01.000", nil, nil, nil,
                    ],
                    [
                        "cabcdefgh0", "inference", "running", 1 << 20, "img", Self.itemSpec, 1, 1000, 1, "local",
                        "[\"0\"]", "cid", "2025-01-01 00:00:00.000", "2025-01-01 00:00:01.000", nil, "pabcdefghj", 0,
                    ],
                    [
                        "cabcdefgh1", "inference", "succeeded", 1 << 20, "img", Self.itemSpec, 1, 1000, 1, "local",
                        "[\"0\"]", "cid", "2025-01-01 00:00:00.000", "2025-01-01 00:00:01.000",
                        "2025-01-01 00:00:21.000", "pabcdefghj", 1,
                    ],
                    // History for ETAs: a single job of 10 s and a finished run of 1000 s.
                    [
                        "sabcdefghj", "inference", "succeeded", 2 << 20, "img", Self.itemSpec, 1, 1000, 1, "local",
                        "[\"1\"]", "cid2", "2025-01-01 00:00:00.000", "2025-01-01 00:00:00.000",
                        "2025-01-01 00:00:10.000", nil, nil,
                    ],
                    [
                        "oabcdefghj", "batch", "succeeded", 3 << 20, "img", Self.oldParentSpec, 1, 1000, 1, "local",
                        "[\"1\"]", "cid3", "2025-01-01 00:00:00.000", "2025-01-01 00:00:00.000",
                        "2025-01-01 00:16:40.000", nil, nil,
                    ],
                ]
                for row in rows {
                    try db.execute(
                        sql: columns + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        arguments: row
                    )
                }
            }
            try pool.close()
        }

        let database = try AppDatabase(path: path, durable: false)
        let (ranked, children) = try await database.jobWithChildren("pabcdefghj")
        let parent = ranked.job
        #expect(parent.shape == .batchParent && parent.kind == .inference && parent.spec.kind == .inference)
        #expect(parent.displayedKind == "batch")
        #expect(parent.containerName == "cosmos_batch_pabcdefg_1")
        #expect(parent.state == .running && parent.containerId == "cid" && parent.host == "local")
        #expect(children?.map(\.id) == ["cabcdefgh0", "cabcdefgh1"])
        #expect(children?.allSatisfy { $0.shape == .batchItem && $0.displayedKind == "inference" } == true)
        #expect(children?.first?.containerName == "cosmos_inference_cabcdefg_1")
        let single = try await database.job("sabcdefghj").job
        #expect(single.shape == .single && single.containerName == "cosmos_inference_sabcdefg_1")
        #expect(try await database.activeJobs().map(\.id) == ["pabcdefghj"])
        // The mean of the single job (10 s) and the finished item (20 s); the old run's 1000 s stays out.
        let mean = try #require(try await database.meanDuration(image: "img", kind: .inference))
        #expect(abs(mean - 15) < 0.01)

        let result = try await database.finishBatchRun(
            "pabcdefghj",
            attempt: 1,
            outcome: .finished(
                exitCode: 0,
                verdicts: [0: .succeeded(outputs: []), 1: .succeeded(outputs: [])],
                error: nil
            ),
            policy: RetryPolicy()
        )
        #expect(result?.parent.state == .succeeded && result?.parent.shape == .batchParent)
        #expect(result?.children.map(\.state) == [.succeeded, .succeeded])
        #expect(try await database.activeJobs().isEmpty)
        let ended = try await database.events(after: 0, filter: EventFilter(types: [.batchRunEnded]))
        #expect(ended.map(\.jobId) == ["pabcdefghj"])
    }
}
