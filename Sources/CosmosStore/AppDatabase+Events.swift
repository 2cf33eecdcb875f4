import CosmosDomain
import Foundation
import GRDB

/// The event log: typed entries appended inside the transaction of the change they record, read by sequence.
extension AppDatabase {
    // MARK: Reading

    /// Up to `limit` entries after `seq` (exclusive) that match `filter`, oldest first, in one read transaction.
    ///
    /// Page on with the last entry's `seq`; `events(after: 0, ...)` starts at the beginning of the log.
    public func events(after seq: Int64, filter: EventFilter = .all, limit: Int = 1000) async throws -> [EventRecord] {
        guard !filter.matchesNothing, limit > 0 else { return [] }
        return try await writer.read { db in
            var conditions = ["id > ?"]
            var arguments: StatementArguments = [seq]
            func add(_ column: String, _ values: [String]?) {
                guard let values else { return }
                conditions.append("\(column) IN (\(databaseQuestionMarks(count: values.count)))")
                arguments += StatementArguments(values)
            }
            add("job_id", filter.jobs.map { $0.sorted() })
            add("batch_id", filter.batches.map { $0.sorted() })
            add("type", filter.types.map { $0.map(\.rawValue).sorted() })
            if let owner = filter.owner {
                let shared = EventFilter.sharedTypes
                conditions.append(
                    """
                    (job_id IN (SELECT id FROM job WHERE owner_uid = ?)
                     OR (job_id IS NULL AND batch_id IN (SELECT id FROM batch WHERE owner_uid = ?))
                     OR type IN (\(databaseQuestionMarks(count: shared.count))))
                    """
                )
                arguments += [owner, owner]
                arguments += StatementArguments(shared.map(\.rawValue))
            }
            arguments += [limit]
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM event WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?",
                arguments: arguments
            ).map(EventRecord.init(row:))
        }
    }

    /// The sequence number of the newest entry (0 for an empty log): `events(after:)` it returns only newer ones.
    public func latestEventSeq() async throws -> Int64 {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM event") ?? 0 }
    }

    /// The sequence number of the oldest entry still kept (nil for an empty log); a reader whose last `seq` is
    /// below it has missed deleted entries and must resync.
    public func oldestEventSeq() async throws -> Int64? {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM event") }
    }

    // MARK: Writing

    /// Appends an entry inside the caller's transaction.
    static func appendEvent(
        _ db: Database,
        _ type: EventType,
        job: String? = nil,
        batch: String? = nil,
        payload: [String: JSONValue] = [:],
        message: String,
        at: Date = Date()
    ) throws {
        try db.cachedStatement(
            sql: "INSERT INTO event(at, job_id, batch_id, type, payload, message) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [at, job, batch, type.rawValue, JSONValue.object(payload).jsonString(), message])
    }

    /// The entry type of a job's state-machine event.
    static func eventType(of event: JobEvent) -> EventType {
        switch event {
        case .claim: .jobClaimed
        case .start: .jobStarted
        case .succeed: .jobSucceeded
        case .fail: .jobFailed
        case .requeue: .jobRequeued
        case .cancel: .jobCancelled
        case .hold: .jobHeld
        case .release: .jobReleased
        case .retry: .jobRetried
        }
    }

    /// Appends an entry about `job` (with its batch) inside the caller's transaction.
    static func appendEvent(
        _ db: Database,
        _ type: EventType,
        for job: JobRecord,
        payload: [String: JSONValue] = [:],
        message: String,
        at: Date = Date()
    ) throws {
        try appendEvent(db, type, job: job.id, batch: job.batchId, payload: payload, message: message, at: at)
    }
}

// MARK: - Payload values

extension JSONValue {
    /// A JSON number from an integer, or null.
    static func int(_ value: Int?) -> JSONValue { value.map { .number(Double($0)) } ?? .null }

    /// A JSON string, or null.
    static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// An ISO 8601 timestamp in UTC with milliseconds, or null.
    static func time(_ value: Date?) -> JSONValue {
        value.map { .string(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format($0)) } ?? .null
    }

    /// An array of strings.
    static func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
}
