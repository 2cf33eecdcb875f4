import CosmosDomain
import Foundation
import GRDB

/// What one prune removed.
public struct PruneResult: Sendable, Equatable {
    /// The jobs deleted (their log files and outputs are the caller's to remove).
    public var jobIDs: [String] = []
    /// The named batches deleted with their jobs.
    public var batchIDs: [String] = []
    /// Event-log entries deleted.
    public var events = 0

    public init() {}
}

/// The page counts around a vacuum.
public struct VacuumResult: Sendable, Equatable {
    /// `incremental` or `full`.
    public var mode: String
    /// Pages before and after, and the free pages before.
    public var pagesBefore: Int
    public var pagesAfter: Int
    public var freePagesBefore: Int
    /// The page size, for bytes.
    public var pageSize: Int
    /// Why nothing could be reclaimed, when that is the case.
    public var note: String?
}

/// What a backup wrote.
public struct BackupResult: Sendable, Equatable {
    public var path: String
    public var bytes: Int64
    /// Jobs in the backup, counted from the backup file itself.
    public var jobs: Int
    /// The backup's `PRAGMA integrity_check`.
    public var integrity: String
}

/// What the checks found.
public struct CheckResult: Sendable, Equatable {
    /// `ok`, or the problems `PRAGMA integrity_check` lists.
    public var integrity: [String]
    /// Rows of `PRAGMA foreign_key_check`.
    public var foreignKeyProblems: Int

    /// Whether both checks passed.
    public var ok: Bool { integrity == ["ok"] && foreignKeyProblems == 0 }
}

/// Maintenance of the database file: prune, vacuum, online backup and checks, each safe while the daemon works.
extension AppDatabase {
    /// Deletes finished jobs that ended before `cutoff`, with their events, and entries older than `eventsBefore`.
    ///
    /// A job of a named batch goes only with its whole batch, once every job of it ended before the cutoff, so
    /// unfinished batches are never touched. A batch-run parent goes only with all its items, and an item only
    /// with its parent. One transaction.
    public func prune(finishedBefore cutoff: Date?, eventsBefore: Date?) async throws -> PruneResult {
        try await writer.write { db in
            var result = PruneResult()
            let terminal = JobState.allCases.filter(\.isTerminal).map { "'\($0.rawValue)'" }.joined(separator: ",")
            if let cutoff {
                let batches = try String.fetchAll(
                    db,
                    sql: """
                        SELECT id FROM batch WHERE NOT EXISTS (
                            SELECT 1 FROM job WHERE job.batch_id = batch.id
                            AND (job.state NOT IN (\(terminal)) OR job.finished_at IS NULL OR job.finished_at >= ?))
                        """,
                    arguments: [cutoff]
                )
                let prunableBatches = Set(batches)
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, batch_id, parent_id FROM job
                        WHERE state IN (\(terminal)) AND finished_at < ?
                        """,
                    arguments: [cutoff]
                )
                var candidates: [String: (batch: String?, parent: String?)] = [:]
                for row in rows {
                    let batch: String? = row["batch_id"]
                    if let batch, !prunableBatches.contains(batch) { continue }
                    candidates[row["id"]] = (batch, row["parent_id"])
                }
                // Parents and items go together: drop either side while the other stays, until nothing changes.
                let items = try Row.fetchAll(db, sql: "SELECT id, parent_id FROM job WHERE parent_id IS NOT NULL")
                    .map { (id: $0["id"] as String, parent: $0["parent_id"] as String) }
                var changed = true
                while changed {
                    changed = false
                    for item in items where (candidates[item.id] == nil) != (candidates[item.parent] == nil) {
                        candidates[item.id] = nil
                        candidates[item.parent] = nil
                        changed = true
                    }
                }
                result.jobIDs = candidates.keys.sorted()
                for chunk in result.jobIDs.chunks(of: 500) {
                    let marks = databaseQuestionMarks(count: chunk.count)
                    try db.execute(
                        sql: "DELETE FROM event WHERE job_id IN (\(marks))",
                        arguments: StatementArguments(chunk)
                    )
                    result.events += db.changesCount
                    try db.execute(sql: "DELETE FROM job WHERE id IN (\(marks))", arguments: StatementArguments(chunk))
                }
                for batch in batches.sorted() {
                    try db.execute(
                        sql: "DELETE FROM batch WHERE id = ? AND NOT EXISTS (SELECT 1 FROM job WHERE batch_id = ?)",
                        arguments: [batch, batch]
                    )
                    guard db.changesCount > 0 else { continue }
                    result.batchIDs.append(batch)
                    try db.execute(sql: "DELETE FROM event WHERE batch_id = ? AND job_id IS NULL", arguments: [batch])
                    result.events += db.changesCount
                }
            }
            if let eventsBefore {
                try db.execute(sql: "DELETE FROM event WHERE at < ?", arguments: [eventsBefore])
                result.events += db.changesCount
            }
            return result
        }
    }

    /// Reclaims free pages: `PRAGMA incremental_vacuum`, or with `full` a `VACUUM` that also switches the file to
    /// incremental auto-vacuum, so later incremental runs can reclaim.
    public func vacuum(full: Bool) async throws -> VacuumResult {
        try await writer.writeWithoutTransaction { db in
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            let before = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            var note: String?
            if full {
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute(sql: "VACUUM")
            } else if try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2 {
                try db.execute(sql: "PRAGMA incremental_vacuum")
            } else {
                note = "this file has no incremental auto-vacuum yet: run `maintenance run --vacuum-full` once"
            }
            let after = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            return VacuumResult(
                mode: full ? "full" : "incremental",
                pagesBefore: before,
                pagesAfter: after,
                freePagesBefore: free,
                pageSize: pageSize,
                note: note
            )
        }
    }

    /// Copies the database, while it keeps working, through SQLite's online backup API into `path`.
    ///
    /// The copy is written beside `path` first (its folder is made, mode 0700, if missing), checked
    /// (`integrity_check`, and its jobs counted), then renamed over `path` (mode 0600), so `path` is either the
    /// old file or a whole, checked backup.
    public func backup(to path: String) async throws -> BackupResult {
        let temporary = path + ".partial"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            let destination = try DatabaseQueue(path: temporary)
            try await writer.read { db in
                try destination.writeWithoutTransaction { target in try db.backup(to: target) }
            }
            let (integrity, jobs) = try await destination.read { db in
                (
                    try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; "),
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") ?? 0
                )
            }
            try destination.close()
            guard integrity == "ok" else { throw StoreError.backupFailed(path: path, reason: integrity) }
            guard chmod(temporary, 0o600) == 0, rename(temporary, path) == 0 else {
                throw StoreError.backupFailed(path: path, reason: String(cString: strerror(errno)))
            }
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            return BackupResult(path: path, bytes: size, jobs: jobs, integrity: integrity)
        } catch let error as StoreError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw StoreError.backupFailed(path: path, reason: "\(error)")
        }
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check` on the live file (a read: the writer goes on).
    public func check() async throws -> CheckResult {
        try await writer.read { db in
            CheckResult(
                integrity: try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                foreignKeyProblems: try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count
            )
        }
    }

    /// The ids of every job the store has, for the sweep of stale output folders.
    public func allJobIDs() async throws -> Set<String> {
        try await writer.read { db in Set(try String.fetchAll(db, sql: "SELECT id FROM job")) }
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    fileprivate func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
