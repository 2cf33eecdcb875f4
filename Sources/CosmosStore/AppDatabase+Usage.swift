import CosmosDomain
import Foundation
import GRDB

/// GPU accounting: what each attempt that held GPUs used, kept apart from the jobs so pruning keeps the totals.
extension AppDatabase {
    /// The `gpu_usage` table and the job's running total.
    static func migrateGPUUsage(_ db: Database) throws {
        try db.execute(
            sql: """
                -- One row per job per attempt that held GPUs. A batch run's GPUs are shared out evenly among the
                -- items it ran (run_id names the run), so sums over rows count every GPU-second once.
                CREATE TABLE gpu_usage (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    job_id TEXT NOT NULL,
                    run_id TEXT,
                    attempt INTEGER NOT NULL,
                    owner_uid INTEGER NOT NULL,
                    image TEXT NOT NULL,
                    host TEXT,
                    devices TEXT NOT NULL DEFAULT '[]',
                    gpus INTEGER NOT NULL,
                    started_at TEXT NOT NULL,
                    ended_at TEXT NOT NULL,
                    gpu_seconds REAL NOT NULL
                );
                CREATE INDEX gpu_usage_ended ON gpu_usage(ended_at);
                CREATE INDEX gpu_usage_job ON gpu_usage(job_id);
                ALTER TABLE job ADD COLUMN gpu_seconds REAL NOT NULL DEFAULT 0;
                """
        )
    }

    /// Records what attempt `holder.attempts` used: its GPUs times its run time, on its devices, shared evenly among
    /// `accounted` (the holder itself for a single job, the run's items for a batch run). Adds each share to the
    /// items' `gpu_seconds` and returns the whole, which the caller adds to the holder's. Nothing is recorded for
    /// an attempt that never started (the claim clears `started_at`).
    static func recordGPUUsage(_ db: Database, holder: JobRecord, accounted: [JobRecord], now: Date) throws -> Double {
        guard let started = holder.startedAt, holder.gpus > 0, !accounted.isEmpty else { return 0 }
        let total = Double(holder.gpus) * max(now.timeIntervalSince(started), 0)
        let share = total / Double(accounted.count)
        let devices = String(decoding: try JSONEncoder().encode(holder.devices), as: UTF8.self)
        let run = holder.shape == .batchParent ? holder.id : nil
        for job in accounted {
            try db.execute(
                sql: """
                    INSERT INTO gpu_usage(job_id, run_id, attempt, owner_uid, image, host, devices, gpus,
                        started_at, ended_at, gpu_seconds)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    job.id, run, holder.attempts, job.ownerUid, job.image, holder.host, devices, holder.gpus,
                    started, now, share,
                ]
            )
            if job.id != holder.id {
                try db.execute(
                    sql: "UPDATE job SET gpu_seconds = gpu_seconds + ? WHERE id = ?",
                    arguments: [share, job.id]
                )
            }
        }
        return total
    }

    /// GPU-seconds of attempts that ended at or after `since` (all when nil), summed by owner or by image,
    /// largest first; only `owner`'s when it is given (`[access] private`).
    public func usage(since: Date?, by grouping: UsageGrouping, owner: Int? = nil) async throws -> [UsageRow] {
        try await writer.read { db in
            let column = grouping == .owner ? "owner_uid" : "image"
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(column) AS key, COUNT(DISTINCT job_id) AS jobs, COUNT(*) AS attempts,
                        TOTAL(gpu_seconds) AS seconds
                    FROM gpu_usage WHERE ended_at >= ? AND (? IS NULL OR owner_uid = ?)
                    GROUP BY \(column) ORDER BY seconds DESC, key
                    """,
                arguments: [since ?? Date.distantPast, owner, owner]
            )
            return rows.map { row in
                let key: String = grouping == .owner ? String(row["key"] as Int) : row["key"]
                return UsageRow(key: key, jobs: row["jobs"], attempts: row["attempts"], gpuSeconds: row["seconds"])
            }
        }
    }

    /// Usage rows with an id above `id`, oldest first (for counters that follow them).
    public func gpuUsage(after id: Int64, limit: Int = 1000) async throws -> [(
        id: Int64, host: String?, seconds: Double
    )] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, host, gpu_seconds FROM gpu_usage WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [id, limit]
            ).map { (id: $0["id"], host: $0["host"], seconds: $0["gpu_seconds"]) }
        }
    }

    /// The id of the newest usage row, 0 when there is none.
    public func latestGPUUsageID() async throws -> Int64 {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM gpu_usage") ?? 0 }
    }
}

/// How `usage` groups its sums.
public enum UsageGrouping: String, Sendable, CaseIterable {
    case owner, image
}

/// One line of `usage`: a key (an owner's uid, or an image), the jobs and attempts counted, their GPU-seconds.
public struct UsageRow: Sendable, Equatable {
    public var key: String
    public var jobs: Int
    public var attempts: Int
    public var gpuSeconds: Double
}

/// What the metrics need to know of a job an event names, read after the event.
public struct JobTimes: Sendable, Equatable {
    public var shape: RunShape
    public var attempts: Int
    public var host: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// For a batch-run parent: its items, and those that succeeded in it.
    public var items: Int
    public var succeededItems: Int
}

extension AppDatabase {
    /// ``JobTimes`` of `ids` that still exist, by id, in one read.
    public func jobTimes(_ ids: [String]) async throws -> [String: JobTimes] {
        guard !ids.isEmpty else { return [:] }
        return try await writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, shape, attempts, host, created_at, started_at, finished_at,
                        CASE WHEN shape = 'batch_parent' THEN (SELECT COUNT(*) FROM job AS item
                            WHERE item.parent_id = job.id AND item.state = 'succeeded') ELSE 0 END AS succeeded,
                        CASE WHEN shape = 'batch_parent' THEN (SELECT COUNT(*) FROM job AS item
                            WHERE item.parent_id = job.id) ELSE 0 END AS items
                    FROM job WHERE id IN (\(databaseQuestionMarks(count: ids.count)))
                    """,
                arguments: StatementArguments(ids)
            )
            var result: [String: JobTimes] = [:]
            for row in rows {
                result[row["id"]] = JobTimes(
                    shape: RunShape(rawValue: row["shape"]) ?? .single,
                    attempts: row["attempts"],
                    host: row["host"],
                    createdAt: row["created_at"],
                    startedAt: row["started_at"],
                    finishedAt: row["finished_at"],
                    items: row["items"],
                    succeededItems: row["succeeded"]
                )
            }
            return result
        }
    }
}
