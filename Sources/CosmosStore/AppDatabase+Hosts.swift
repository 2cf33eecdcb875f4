import CosmosDomain
import Foundation
import GRDB

/// The operator's state of hosts: drains survive restarts.
extension AppDatabase {
    /// Names of the hosts an operator drained.
    public func drainedHosts() async throws -> Set<String> {
        try await writer.read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM host WHERE draining = 1"))
        }
    }

    /// Records that a host went down (with the probe's error) or came up again, in the event log.
    public func recordHostHealth(_ host: String, up: Bool, error: String?, failures: Int, now: Date = Date())
        async throws
    {
        try await writer.write { db in
            var payload: [String: JSONValue] = ["host": .string(host)]
            if !up {
                payload["error"] = error.map(JSONValue.string) ?? .null
                payload["failures"] = .int(failures)
            }
            try Self.appendEvent(
                db,
                up ? .hostUp : .hostDown,
                payload: payload,
                message: up ? "\(host) answers again" : "\(host) down: \(error ?? "no answer")",
                at: now
            )
        }
    }

    /// Drains a host (no new jobs go there) or resumes it.
    public func setDraining(_ host: String, _ draining: Bool, byUID uid: UInt32, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO host(name, draining, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET draining = excluded.draining, updated_at = excluded.updated_at
                    """,
                arguments: [host, draining, now]
            )
            try Self.appendEvent(
                db,
                draining ? .hostDrained : .hostResumed,
                payload: ["host": .string(host), "uid": .int(Int(uid))],
                message: "\(host) by uid \(uid)",
                at: now
            )
        }
    }
}
