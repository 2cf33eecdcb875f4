import CosmosDomain
import Foundation
import GRDB

/// One page of jobs for the dashboard: a slice of the queue with true positions, or of the other jobs.
public struct JobPage: Sendable, Equatable {
    public var jobs: [RankedJob]
    /// Jobs matching the filter, over every page.
    public var total: Int
}

/// What a dashboard page of jobs is narrowed to; nil fields do not narrow.
public struct JobPageFilter: Sendable, Equatable {
    public var state: JobState?
    public var owner: Int?
    public var batch: String?

    public init(state: JobState? = nil, owner: Int? = nil, batch: String? = nil) {
        self.state = state
        self.owner = owner
        self.batch = batch
    }
}

extension AppDatabase {
    /// Jobs `offset ..< offset + limit` under `filter`, read in one transaction.
    ///
    /// Without a state, or with `queued` or `held`, the page is a slice of the queue in order and each job keeps
    /// its position in the whole queue; other states list newest first. The queue is walked on its index, so the
    /// first page costs the same at any length; positions after a filter cost a count over the span the page
    /// covers.
    public func jobPage(filter: JobPageFilter, offset: Int, limit: Int) async throws -> JobPage {
        try await writer.read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let owner = filter.owner {
                conditions.append("owner_uid = ?")
                arguments.append(owner)
            }
            if let batch = filter.batch {
                conditions.append("batch_id = ?")
                arguments.append(batch)
            }
            let inQueueState = filter.state.map(\.isInQueue) ?? true
            if inQueueState {
                if let state = filter.state {
                    conditions.append("state = ?")
                    arguments.append(state.rawValue)
                }
                let narrowed = conditions.isEmpty ? "" : " AND " + conditions.joined(separator: " AND ")
                let total =
                    try Int.fetchOne(
                        db,
                        sql: "SELECT COUNT(*) FROM \(queueTable) WHERE \(inQueue)\(narrowed)",
                        arguments: StatementArguments(arguments)
                    ) ?? 0
                let rows = try JobRecord.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM \(queueTable) WHERE \(inQueue)\(narrowed)
                        ORDER BY priority DESC, seq LIMIT ? OFFSET ?
                        """,
                    arguments: StatementArguments(arguments + [max(limit, 0), max(offset, 0)])
                )
                return JobPage(
                    jobs: try Self.ranked(db, rows, narrowed: !narrowed.isEmpty, offset: offset),
                    total: total
                )
            }
            conditions.append("state = ?")
            arguments.append(filter.state?.rawValue ?? "")
            let narrowed = conditions.joined(separator: " AND ")
            let total =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM job WHERE \(narrowed)",
                    arguments: StatementArguments(arguments)
                )
                ?? 0
            let rows = try JobRecord.fetchAll(
                db,
                sql: "SELECT * FROM job WHERE \(narrowed) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: StatementArguments(arguments + [max(limit, 0), max(offset, 0)])
            )
            return JobPage(jobs: rows.map { RankedJob(job: $0, position: nil) }, total: total)
        }
    }

    /// Queue rows in order with their positions: `offset + 1 ...` when nothing was filtered out, else the first
    /// row's rank and, for each next row, the jobs between it and the one before.
    static func ranked(_ db: Database, _ rows: [JobRecord], narrowed: Bool, offset: Int) throws -> [RankedJob] {
        guard narrowed else {
            return rows.enumerated().map { RankedJob(job: $1, position: offset + $0 + 1) }
        }
        var result: [RankedJob] = []
        var previous: (job: JobRecord, position: Int)?
        for job in rows {
            let position: Int
            if let previous {
                position = previous.position + 1 + (try jobsBetween(db, previous.job, job))
            } else {
                position = try jobsAhead(db, priority: job.priority, seq: job.seq) + 1
            }
            result.append(RankedJob(job: job, position: position))
            previous = (job, position)
        }
        return result
    }

    /// Queued and held jobs strictly between `first` and `second` (in queue order, `first` ahead).
    static func jobsBetween(_ db: Database, _ first: JobRecord, _ second: JobRecord) throws -> Int {
        if first.priority == second.priority {
            return try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND seq > ? AND seq < ?",
                arguments: [first.priority, first.seq, second.seq]
            ) ?? 0
        }
        return try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT COUNT(*) FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND seq > ?)
                    + (SELECT COUNT(*) FROM \(queueTable) WHERE \(inQueue) AND priority < ? AND priority > ?)
                    + (SELECT COUNT(*) FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND seq < ?)
                """,
            arguments: [first.priority, first.seq, first.priority, second.priority, second.priority, second.seq]
        ) ?? 0
    }
}

extension AppDatabase {
    /// The ids and states of a named batch's first `limit` jobs in submission order, and how many it has in all
    /// (the dashboard's per-job marks).
    public func batchMarks(_ id: String, limit: Int) async throws -> (jobs: [(id: String, state: JobState)], total: Int)
    {
        try await writer.read { db in
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE batch_id = ?", arguments: [id]) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT id, state FROM job WHERE batch_id = ? ORDER BY created_at, id LIMIT ?",
                arguments: [id, limit]
            )
            return (rows.map { (id: $0["id"], state: JobState(rawValue: $0["state"]) ?? .queued) }, total)
        }
    }
}
