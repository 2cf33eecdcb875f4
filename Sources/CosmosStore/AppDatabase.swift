import CosmosDomain
import Foundation
import GRDB

/// The daemon's database: one SQLite file in WAL mode, owned through a single `DatabasePool`.
///
/// Every queue operation is one write transaction that also appends the events it causes, so two
/// clients racing can never produce a duplicate position or a lost job.
public struct AppDatabase: Sendable {
    /// The connection pool: one writer, concurrent readers.
    public let writer: DatabasePool

    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// - Parameter durable: `synchronous = FULL` when true (a commit survives power loss), `NORMAL`
    ///   otherwise (a commit survives a crash of the process, not of the machine).
    public init(path: String, durable: Bool = true) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durable ? "FULL" : "NORMAL")")
            // A failed job fails the jobs that wait for it, and they theirs: `job_dependency_broken` fires
            // for the rows it changes itself (the chain is at most `DependencyLimits.maxDepth` deep).
            try db.execute(sql: "PRAGMA recursive_triggers = ON")
        }
        writer = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(writer)
    }

    /// The schema, as an append-only list of migrations.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-queue") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE job (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT,
                        kind TEXT NOT NULL,
                        state TEXT NOT NULL,
                        priority INTEGER NOT NULL DEFAULT 0,
                        seq INTEGER NOT NULL,
                        image TEXT NOT NULL,
                        spec TEXT NOT NULL,
                        gpus INTEGER NOT NULL,
                        owner_uid INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        retry_base INTEGER NOT NULL DEFAULT 0,
                        host TEXT,
                        devices TEXT NOT NULL DEFAULT '[]',
                        container_id TEXT,
                        exit_code INTEGER,
                        oom_killed INTEGER NOT NULL DEFAULT 0,
                        error TEXT,
                        reason TEXT,
                        created_at TEXT NOT NULL,
                        started_at TEXT,
                        finished_at TEXT,
                        not_before TEXT,
                        outputs TEXT NOT NULL DEFAULT '[]',
                        batch_id TEXT,
                        parent_id TEXT,
                        batch_index INTEGER
                    );
                    -- The queue: (priority desc, seq asc), unique within a level. Only queued and held
                    -- top-level jobs are in it; positions 1..n are ranks in this order.
                    CREATE UNIQUE INDEX job_queue ON job(priority DESC, seq)
                        WHERE state IN ('queued', 'held') AND parent_id IS NULL;
                    CREATE INDEX job_ready ON job(priority DESC, seq)
                        WHERE state = 'queued' AND parent_id IS NULL;
                    CREATE INDEX job_active ON job(state) WHERE state IN ('starting', 'running');
                    CREATE INDEX job_state_created ON job(state, created_at);
                    CREATE INDEX job_batch ON job(batch_id) WHERE batch_id IS NOT NULL;
                    CREATE INDEX job_parent ON job(parent_id) WHERE parent_id IS NOT NULL;
                    CREATE TABLE event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at TEXT NOT NULL,
                        job_id TEXT,
                        type TEXT NOT NULL,
                        message TEXT NOT NULL DEFAULT ''
                    );
                    CREATE INDEX event_job ON event(job_id);
                    """
            )
        }
        migrator.registerMigration("v2-hosts") { db in
            try db.execute(
                sql: """
                    -- Operator state of hosts that outlives a restart (health is probed anew).
                    CREATE TABLE host (
                        name TEXT PRIMARY KEY NOT NULL,
                        draining INTEGER NOT NULL DEFAULT 0,
                        updated_at TEXT NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v3-batches") { db in
            try db.execute(
                sql: """
                    -- Named batches. The n_* counters follow the jobs' states through the triggers below,
                    -- inside the same transaction as every job change, so they cannot drift.
                    CREATE TABLE batch (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        owner_uid INTEGER NOT NULL,
                        paused INTEGER NOT NULL DEFAULT 0,
                        cancelled INTEGER NOT NULL DEFAULT 0,
                        total INTEGER NOT NULL DEFAULT 0,
                        n_queued INTEGER NOT NULL DEFAULT 0,
                        n_held INTEGER NOT NULL DEFAULT 0,
                        n_starting INTEGER NOT NULL DEFAULT 0,
                        n_running INTEGER NOT NULL DEFAULT 0,
                        n_succeeded INTEGER NOT NULL DEFAULT 0,
                        n_failed INTEGER NOT NULL DEFAULT 0,
                        n_cancelled INTEGER NOT NULL DEFAULT 0,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE INDEX batch_created ON batch(created_at);
                    CREATE TRIGGER job_batch_insert AFTER INSERT ON job WHEN new.batch_id IS NOT NULL BEGIN
                        UPDATE batch SET total = total + 1,
                            n_queued = n_queued + (new.state = 'queued'), n_held = n_held + (new.state = 'held'),
                            n_starting = n_starting + (new.state = 'starting'),
                            n_running = n_running + (new.state = 'running'),
                            n_succeeded = n_succeeded + (new.state = 'succeeded'),
                            n_failed = n_failed + (new.state = 'failed'),
                            n_cancelled = n_cancelled + (new.state = 'cancelled'),
                            updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
                        WHERE id = new.batch_id;
                    END;
                    CREATE TRIGGER job_batch_state AFTER UPDATE OF state ON job
                    WHEN new.batch_id IS NOT NULL AND old.state != new.state BEGIN
                        UPDATE batch SET
                            n_queued = n_queued + (new.state = 'queued') - (old.state = 'queued'),
                            n_held = n_held + (new.state = 'held') - (old.state = 'held'),
                            n_starting = n_starting + (new.state = 'starting') - (old.state = 'starting'),
                            n_running = n_running + (new.state = 'running') - (old.state = 'running'),
                            n_succeeded = n_succeeded + (new.state = 'succeeded') - (old.state = 'succeeded'),
                            n_failed = n_failed + (new.state = 'failed') - (old.state = 'failed'),
                            n_cancelled = n_cancelled + (new.state = 'cancelled') - (old.state = 'cancelled'),
                            updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
                        WHERE id = new.batch_id;
                    END;
                    CREATE TRIGGER job_batch_delete AFTER DELETE ON job WHEN old.batch_id IS NOT NULL BEGIN
                        UPDATE batch SET total = total - 1,
                            n_queued = n_queued - (old.state = 'queued'), n_held = n_held - (old.state = 'held'),
                            n_starting = n_starting - (old.state = 'starting'),
                            n_running = n_running - (old.state = 'running'),
                            n_succeeded = n_succeeded - (old.state = 'succeeded'),
                            n_failed = n_failed - (old.state = 'failed'),
                            n_cancelled = n_cancelled - (old.state = 'cancelled'),
                            updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
                        WHERE id = old.batch_id;
                    END;
                    -- ETAs: recent durations of finished jobs per (image, kind).
                    CREATE INDEX job_duration ON job(image, kind, finished_at) WHERE state = 'succeeded';
                    """
            )
        }
        migrator.registerMigration("v4-batch-holds") { db in
            // Which holds a batch pause made: resume releases those, not a job a user held on its own.
            try db.execute(sql: "ALTER TABLE job ADD COLUMN held_by_batch INTEGER NOT NULL DEFAULT 0")
            // Held jobs of a batch paused before this version: its resume releases them, as it did then.
            try db.execute(
                sql: """
                    UPDATE job SET held_by_batch = 1
                    WHERE state = 'held' AND batch_id IN (SELECT id FROM batch WHERE paused = 1)
                    """
            )
        }
        migrator.registerMigration("v5-typed-events", migrate: migrateTypedEvents)
        migrator.registerMigration("v6-run-shape", migrate: migrateRunShape)
        migrator.registerMigration("v7-job-progress") { db in
            // How far a running single job says it is (runner contract progress lines).
            try db.execute(sql: "ALTER TABLE job ADD COLUMN progress REAL")
        }
        migrator.registerMigration("v8-batch-completed") { db in
            // `batch.completed` in the same transaction as the change that ends a batch's last job: the counters
            // go from some unfinished to none. A batch the user cancelled ends as `batch.cancelled` instead.
            try db.execute(
                sql: """
                    CREATE TRIGGER batch_completed AFTER UPDATE ON batch
                    WHEN new.cancelled = 0 AND new.total > 0
                        AND new.n_queued + new.n_held + new.n_starting + new.n_running = 0
                        AND old.n_queued + old.n_held + old.n_starting + old.n_running > 0
                    BEGIN
                        INSERT INTO event(at, job_id, batch_id, type, payload, message) VALUES (
                            strftime('%Y-%m-%d %H:%M:%f', 'now'), NULL, new.id, 'batch.completed',
                            json_object(
                                'batch_id', new.id, 'name', new.name,
                                'status', CASE WHEN new.n_failed > 0 THEN 'failed' ELSE 'completed' END,
                                'total', new.total, 'completed', new.n_succeeded, 'failed', new.n_failed,
                                'cancelled', new.n_cancelled
                            ),
                            new.id || ' ' || CASE WHEN new.n_failed > 0 THEN 'failed' ELSE 'completed' END
                                || ': ' || new.n_succeeded || '/' || new.total || ' succeeded'
                        );
                    END;
                    """
            )
        }
        migrator.registerMigration("v9-smart-batching", migrate: migrateSmartBatching)
        migrator.registerMigration("v10-dependencies", migrate: migrateDependencies)
        migrator.registerMigration("v11-enhance-runs", migrate: migrateEnhanceRuns)
        migrator.registerMigration("v12-gpu-usage", migrate: migrateGPUUsage)
        migrator.registerMigration("v13-state-counts", migrate: migrateStateCounts)
        migrator.registerMigration("v14-web-sessions", migrate: migrateWebSessions)
        migrator.registerMigration("v15-listing-index", migrate: migrateListingIndex)
        migrator.registerMigration("v16-dependency-trigger-seek", migrate: migrateDependencyTriggerSeek)
        return migrator
    }
}

// MARK: - Column conversions

extension JobState: DatabaseValueConvertible {}
extension JobKind: DatabaseValueConvertible {}
extension RunShape: DatabaseValueConvertible {}
