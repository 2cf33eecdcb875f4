import CosmosDomain
import Foundation
import GRDB

/// One page of jobs for the dashboard: a slice of the queue with true positions, or of the other jobs.
public struct JobPage: Sendable, Equatable {
    public var jobs: [RankedJob]
    /// Jobs matching the filter, over every page.
    public var total: Int
}

extension AppDatabase {
    /// Jobs `offset ..< offset + limit` under `filter`, read in one transaction.
    ///
    /// Without a state, or with `queued` or `held`, the page is a slice of the queue in order and each job keeps
    /// its position in the whole queue; other states list newest first. The queue is walked on its index, so the
    /// first page costs the same at any length; positions after a filter cost a count over the span the page
    /// covers.
    public func jobPage(filter: JobListFilter, offset: Int, limit: Int) async throws -> JobPage {
        try await writer.read { db in
            let (narrowed, arguments) = filter.conditions()
            let page = arguments + [max(limit, 0), max(offset, 0)]
            if filter.state?.isInQueue ?? true {
                let total =
                    try Int.fetchOne(
                        db,
                        sql: "SELECT COUNT(*) FROM \(queueTable) WHERE \(inQueue)\(narrowed)",
                        arguments: arguments
                    ) ?? 0
                let rows = try JobRecord.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM \(queueTable) WHERE \(inQueue)\(narrowed)
                        ORDER BY priority DESC, seq LIMIT ? OFFSET ?
                        """,
                    arguments: page
                )
                return JobPage(
                    jobs: try Self.positioned(db, rows, after: nil, narrowed: filter.narrows),
                    total: total
                )
            }
            let total =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM job WHERE NOT (\(inQueue))\(narrowed)",
                    arguments: arguments
                )
                ?? 0
            let rows = try JobRecord.fetchAll(
                db,
                sql:
                    "SELECT * FROM job WHERE NOT (\(inQueue))\(narrowed) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: page
            )
            return JobPage(jobs: rows.map { RankedJob(job: $0, position: nil) }, total: total)
        }
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
