import CosmosDomain
import Foundation
import GRDB

/// What `list` is narrowed to; nil fields do not narrow. Each runs in SQL.
public struct JobListFilter: Sendable, Equatable {
    public var state: JobState?
    public var owner: Int?
    public var batch: String?
    /// Only jobs submitted at or after this time.
    public var since: Date?

    public init(state: JobState? = nil, owner: Int? = nil, batch: String? = nil, since: Date? = nil) {
        self.state = state
        self.owner = owner
        self.batch = batch
        self.since = since
    }

    /// Whether any field narrows (queue positions then count the jobs between the rows listed).
    var narrows: Bool { state != nil || owner != nil || batch != nil || since != nil }

    /// The SQL conditions and their arguments, without the state.
    func conditions() -> (sql: String, arguments: StatementArguments) {
        var parts: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let state {
            parts.append("state = ?")
            arguments.append(state.rawValue)
        }
        if let owner {
            parts.append("owner_uid = ?")
            arguments.append(owner)
        }
        if let batch {
            parts.append("batch_id = ?")
            arguments.append(batch)
        }
        if let since {
            parts.append("created_at >= ?")
            arguments.append(since)
        }
        return (parts.map { " AND " + $0 }.joined(), StatementArguments(arguments))
    }
}

extension AppDatabase {
    /// The `(created_at, id)` index the listing of jobs outside the queue walks.
    static func migrateListingIndex(_ db: Database) throws {
        try db.execute(sql: "CREATE INDEX job_created ON job(created_at, id)")
    }

    /// Hands `body` the jobs `filter` selects, `chunk` at a time and at most `limit`, in `list` order: the queue
    /// by position, then every other job by submission.
    ///
    /// Every chunk is read from one snapshot of the database, so the whole listing is consistent, however long
    /// the caller takes to send a chunk on. At most two chunks are in memory: the next is read while the caller
    /// sends one. Queue positions are those in the whole queue, whatever the filter.
    public func streamJobs(
        filter: JobListFilter,
        limit: Int? = nil,
        chunk: Int = 500,
        _ body: ([RankedJob]) async throws -> Void
    ) async throws {
        let snapshot = try writer.makeSnapshot()
        var remaining = limit ?? Int.max
        let (narrowed, arguments) = filter.conditions()
        if filter.state?.isInQueue ?? true {
            remaining = try await Self.prefetching(limit: remaining, chunk: chunk, body) { (after: RankedJob?, take) in
                try await snapshot.read { db -> [RankedJob] in
                    let select = "SELECT * FROM \(queueTable) WHERE \(inQueue)\(narrowed)"
                    guard let after else {
                        let sql = select + " ORDER BY priority DESC, seq LIMIT ?"
                        let jobs = try JobRecord.fetchAllDecodingInParallel(db, sql: sql, arguments: arguments + [take])
                        return try Self.positioned(db, jobs, after: nil, narrowed: filter.narrows)
                    }
                    // Two range reads on the index (an OR of both would make SQLite walk it from the start):
                    // the rest of the last row's level, then the levels below it.
                    var jobs = try JobRecord.fetchAllDecodingInParallel(
                        db,
                        sql: select + " AND priority = ? AND seq > ? ORDER BY seq LIMIT ?",
                        arguments: arguments + [after.job.priority, after.job.seq, take]
                    )
                    if jobs.count < take {
                        jobs += try JobRecord.fetchAllDecodingInParallel(
                            db,
                            sql: select + " AND priority < ? ORDER BY priority DESC, seq LIMIT ?",
                            arguments: arguments + [after.job.priority, take - jobs.count]
                        )
                    }
                    return try Self.positioned(db, jobs, after: after, narrowed: filter.narrows)
                }
            }
        }
        guard filter.state.map({ !$0.isInQueue }) ?? true, remaining > 0 else { return }
        _ = try await Self.prefetching(limit: remaining, chunk: chunk, body) { (after: RankedJob?, take) in
            try await snapshot.read { db -> [RankedJob] in
                var sql = "SELECT * FROM job INDEXED BY job_created WHERE NOT (\(inQueue))\(narrowed)"
                var values = arguments
                if let after {
                    // A row value: SQLite seeks the (created_at, id) index to it.
                    sql += " AND (created_at, id) > (?, ?)"
                    values += [after.job.createdAt, after.job.id]
                }
                sql += " ORDER BY created_at, id LIMIT ?"
                values += [take]
                return try JobRecord.fetchAllDecodingInParallel(db, sql: sql, arguments: values).map {
                    RankedJob(job: $0, position: nil)
                }
            }
        }
    }

    /// Hands `body` the chunks `read` returns (each going on after the last row of the one before), at most
    /// `limit` rows; returns how many of `limit` are left.
    ///
    /// The next chunk is read while `body` handles the current one, so reading rows and writing them out use two
    /// cores; at most two chunks are in memory. When `body` throws (the client went away), the read is cancelled.
    static func prefetching(
        limit: Int,
        chunk: Int,
        _ body: ([RankedJob]) async throws -> Void,
        read: @escaping @Sendable (_ after: RankedJob?, _ take: Int) async throws -> [RankedJob]
    ) async throws -> Int {
        var remaining = limit
        let first = min(chunk, limit)
        var next: Task<[RankedJob], any Error>? = Task { try await read(nil, first) }
        defer { next?.cancel() }
        while let current = next {
            let rows = try await current.value
            remaining -= rows.count
            next = nil
            guard let last = rows.last else { break }
            if rows.count == chunk, remaining > 0 {
                let take = min(chunk, remaining)
                next = Task { try await read(last, take) }
            }
            try await body(rows)
        }
        return remaining
    }

    /// Queue rows in order with their positions, going on from `after` (the last row of the previous chunk).
    static func positioned(_ db: Database, _ jobs: [JobRecord], after: RankedJob?, narrowed: Bool) throws
        -> [RankedJob]
    {
        var previous = after
        return try jobs.map { job in
            let position: Int
            if let previous, let at = previous.position {
                position = at + 1 + (narrowed ? try jobsBetween(db, previous.job, job) : 0)
            } else {
                position = try jobsAhead(db, priority: job.priority, seq: job.seq) + 1
            }
            let ranked = RankedJob(job: job, position: position)
            previous = ranked
            return ranked
        }
    }
}
