import CosmosDomain
import Foundation
import GRDB

/// Installation-wide settings kept in the `meta` table.
extension AppDatabase {
    /// This installation's stable id, created on first use; it labels every container.
    public func instanceID() async throws -> String {
        try await writer.write { db in
            if let id = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance_id'") {
                return id
            }
            let id = "i" + JobID.make()
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('instance_id', ?)", arguments: [id])
            return id
        }
    }

    /// Whether the queue is paused (nothing new starts); survives restarts.
    public func isPaused() async throws -> Bool {
        try await writer.read { db in try Self.isPaused(db) }
    }

    /// Pauses or resumes the queue.
    public func setPaused(_ paused: Bool, byUID uid: UInt32) async throws {
        try await writer.write { db in
            try db.execute(
                sql:
                    "INSERT INTO meta(key, value) VALUES ('paused', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [paused ? "1" : "0"]
            )
            try Self.appendEvent(
                db,
                paused ? .queuePaused : .queueResumed,
                payload: ["uid": .int(Int(uid))],
                message: "by uid \(uid)"
            )
        }
    }

    static func isPaused(_ db: Database) throws -> Bool {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'paused'") == "1"
    }

    /// Runs `PRAGMA integrity_check`; returns `["ok"]` for a healthy file.
    public func integrityCheck() async throws -> [String] {
        try await writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }
}
