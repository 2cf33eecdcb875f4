import Foundation
import GRDB

/// Dashboard logins: one-time tokens that `cosmosctl web` asks for, and the sessions they become.
///
/// Both live in the database so a session outlives a daemon restart (the page reconnects and stays logged in).
/// Only SHA-256 digests would hide them from someone who reads the file, but that someone is root already.
extension AppDatabase {
    /// The `web_login` and `web_session` tables.
    static func migrateWebSessions(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE web_login (
                    token TEXT PRIMARY KEY NOT NULL,
                    uid INTEGER NOT NULL,
                    expires_at TEXT NOT NULL
                );
                CREATE TABLE web_session (
                    id TEXT PRIMARY KEY NOT NULL,
                    uid INTEGER NOT NULL,
                    csrf TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL
                );
                CREATE INDEX web_session_expires ON web_session(expires_at);
                """
        )
    }

    /// Stores a one-time login token for `uid`, valid until `expiresAt`; expired ones are removed on the way.
    public func createWebLogin(token: String, uid: UInt32, expiresAt: Date, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM web_login WHERE expires_at < ?", arguments: [now])
            try db.execute(sql: "DELETE FROM web_session WHERE expires_at < ?", arguments: [now])
            try db.execute(
                sql: "INSERT INTO web_login(token, uid, expires_at) VALUES (?, ?, ?)",
                arguments: [token, uid, expiresAt]
            )
        }
    }

    /// Spends a login token: when it exists and has not expired, removes it and opens a session for its uid, in
    /// one transaction, so a token opens at most one session. Returns nil for an unknown, used or expired token.
    public func redeemWebLogin(
        token: String,
        session: String,
        csrf: String,
        sessionExpiresAt: Date,
        now: Date = Date()
    ) async throws -> WebSession? {
        try await writer.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT uid, expires_at FROM web_login WHERE token = ?",
                    arguments: [token]
                )
            else { return nil }
            try db.execute(sql: "DELETE FROM web_login WHERE token = ?", arguments: [token])
            let expires: Date = row["expires_at"]
            guard expires >= now else { return nil }
            let uid: Int64 = row["uid"]
            try db.execute(
                sql: "INSERT INTO web_session(id, uid, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [session, uid, csrf, now, sessionExpiresAt]
            )
            return WebSession(id: session, uid: UInt32(uid), csrf: csrf, expiresAt: sessionExpiresAt)
        }
    }

    /// The session `id`, nil when there is none or it has expired.
    public func webSession(_ id: String, now: Date = Date()) async throws -> WebSession? {
        try await writer.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT uid, csrf, expires_at FROM web_session WHERE id = ? AND expires_at >= ?",
                    arguments: [id, now]
                )
            else { return nil }
            return WebSession(id: id, uid: UInt32(row["uid"] as Int64), csrf: row["csrf"], expiresAt: row["expires_at"])
        }
    }

    /// Ends the session `id` (logout).
    public func deleteWebSession(_ id: String) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM web_session WHERE id = ?", arguments: [id])
        }
    }
}

/// A dashboard session: who it acts as, the token its state-changing requests carry, when it ends.
public struct WebSession: Sendable, Equatable {
    public var id: String
    public var uid: UInt32
    public var csrf: String
    public var expiresAt: Date
}
