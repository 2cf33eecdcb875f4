import CosmosDomain
import Foundation
import GRDB

/// A row of the `batch` table: a named group of jobs, its user flags and its per-state counters.
///
/// The counters are kept by triggers on the `job` table, in the same transaction as every job change.
public struct BatchRecord: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "batch"

    public var id: String
    public var name: String
    public var ownerUid: Int
    public var paused: Bool
    public var cancelled: Bool
    public var total: Int
    public var nQueued: Int
    public var nHeld: Int
    public var nStarting: Int
    public var nRunning: Int
    public var nSucceeded: Int
    public var nFailed: Int
    public var nCancelled: Int
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, paused, cancelled, total
        case ownerUid = "owner_uid"
        case nQueued = "n_queued"
        case nHeld = "n_held"
        case nStarting = "n_starting"
        case nRunning = "n_running"
        case nSucceeded = "n_succeeded"
        case nFailed = "n_failed"
        case nCancelled = "n_cancelled"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// A new, empty batch (the triggers count its jobs as they are inserted).
    init(id: String, name: String, ownerUid: Int, now: Date) {
        self.id = id
        self.name = name
        self.ownerUid = ownerUid
        paused = false
        cancelled = false
        total = 0
        nQueued = 0
        nHeld = 0
        nStarting = 0
        nRunning = 0
        nSucceeded = 0
        nFailed = 0
        nCancelled = 0
        createdAt = now
        updatedAt = now
    }

    /// The counters and flags as the domain's progress rules see them.
    public var progress: BatchProgress {
        var progress = BatchProgress()
        progress.total = total
        progress.queued = nQueued
        progress.held = nHeld
        progress.starting = nStarting
        progress.running = nRunning
        progress.succeeded = nSucceeded
        progress.failed = nFailed
        progress.cancelled = nCancelled
        progress.paused = paused
        progress.cancelledByUser = cancelled
        return progress
    }
}
