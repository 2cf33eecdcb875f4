import CosmosDomain
import Foundation
import GRDB

/// Job counts per state, kept by triggers in the same transaction as every job change, so `status` and
/// `/metrics` read them in constant time at any queue length.
extension AppDatabase {
    /// The `job_state_count` table, filled from the jobs there are, and the triggers that keep it.
    static func migrateStateCounts(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE job_state_count (state TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL DEFAULT 0);
                CREATE TRIGGER job_count_insert AFTER INSERT ON job BEGIN
                    INSERT INTO job_state_count(state, n) VALUES (new.state, 1)
                        ON CONFLICT(state) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER job_count_delete AFTER DELETE ON job BEGIN
                    UPDATE job_state_count SET n = n - 1 WHERE state = old.state;
                END;
                CREATE TRIGGER job_count_state AFTER UPDATE OF state ON job WHEN old.state != new.state BEGIN
                    UPDATE job_state_count SET n = n - 1 WHERE state = old.state;
                    INSERT INTO job_state_count(state, n) VALUES (new.state, 1)
                        ON CONFLICT(state) DO UPDATE SET n = n + 1;
                END;
                INSERT INTO job_state_count(state, n) SELECT state, COUNT(*) FROM job GROUP BY state;
                -- The dashboard's activity charts read finished jobs by time.
                CREATE INDEX job_finished ON job(finished_at) WHERE finished_at IS NOT NULL;
                """
        )
    }

    /// Job counts by state (states with no jobs are reported as 0), from the counters.
    public func counts() async throws -> [JobState: Int] {
        try await writer.read { db in try Self.counts(db) }
    }

    /// ``counts()`` inside the caller's transaction.
    static func counts(_ db: Database) throws -> [JobState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for row in try Row.fetchAll(db, sql: "SELECT state, n FROM job_state_count") {
            if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
        }
        return counts
    }

    /// The counts as `SELECT COUNT(*) … GROUP BY state` finds them, for checks that the counters agree.
    public func countedStates() async throws -> [JobState: Int] {
        try await writer.read { db in
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    /// When the oldest queued job was submitted, nil when none is queued.
    public func oldestQueuedAt() async throws -> Date? {
        try await writer.read { db in
            try Date.fetchOne(
                db,
                sql: "SELECT MIN(created_at) FROM job INDEXED BY job_state_created WHERE state = 'queued'"
            )
        }
    }
}

extension AppDatabase {
    /// Queued top-level jobs: the queued count less the queued items of batch runs (read on the items' index, so
    /// it stays cheap however long the queue is).
    public func queuedCount() async throws -> Int {
        try await writer.read { db in
            let queued = try Self.counts(db)[.queued] ?? 0
            let items =
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM job INDEXED BY job_parent WHERE parent_id IS NOT NULL AND state = 'queued'"
                ) ?? 0
            return max(queued - items, 0)
        }
    }
}

/// One bucket of the dashboard's activity charts.
public struct ActivityBucket: Sendable, Equatable {
    public var start: Date
    /// Jobs that reached a final state in the bucket (batch-run parents not counted).
    public var finished: Int
    /// Their mean seconds from submission to start; nil when none of them started.
    public var meanWaitSeconds: Double?
}

extension AppDatabase {
    /// Finished jobs and their queue waits in `count` buckets of `seconds` ending at `now`, oldest first.
    public func activity(buckets count: Int, seconds: Int, now: Date = Date()) async throws -> [ActivityBucket] {
        let start = now.addingTimeInterval(-Double(count * seconds))
        return try await writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT CAST((julianday(finished_at) - julianday(?)) * 86400 / ? AS INTEGER) AS bucket,
                        COUNT(*) AS finished,
                        AVG(CASE WHEN started_at IS NOT NULL
                            THEN (julianday(started_at) - julianday(created_at)) * 86400 END) AS wait
                    FROM job INDEXED BY job_finished
                    WHERE finished_at >= ? AND finished_at IS NOT NULL AND shape != 'batch_parent'
                    GROUP BY bucket
                    """,
                arguments: [start, seconds, start]
            )
            var buckets = (0..<count).map {
                ActivityBucket(
                    start: start.addingTimeInterval(Double($0 * seconds)),
                    finished: 0,
                    meanWaitSeconds: nil
                )
            }
            for row in rows {
                let index: Int = row["bucket"]
                guard buckets.indices.contains(index) else { continue }
                buckets[index].finished = row["finished"]
                buckets[index].meanWaitSeconds = row["wait"]
            }
            return buckets
        }
    }
}
