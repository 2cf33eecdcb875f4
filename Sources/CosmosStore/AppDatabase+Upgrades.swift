import CosmosDomain
import Foundation
import GRDB

/// Migrations that carry rows already written over to a new schema (their SQL is too long for the list).
extension AppDatabase {
    /// The type strings written before the log was typed, and their typed names.
    ///
    /// `requeued(notBefore: …)` (a retry verdict's debug text) also maps to `job.requeued`, and an old `running`
    /// entry of a batch-run item (message `item <n>`) to `job.progress`. Any other string becomes
    /// ``EventType/legacy``. Every migrated entry keeps its old string in its payload's `legacy_type`.
    static let legacyEventTypes: [String: EventType] = [
        "submitted": .jobSubmitted,
        "claimed": .jobClaimed,
        "claim": .jobClaimed,
        "running": .jobStarted,
        "start": .jobStarted,
        "succeeded": .jobSucceeded,
        "succeed": .jobSucceeded,
        "failed": .jobFailed,
        "fail": .jobFailed,
        "cancel": .jobCancelled,
        "cancelled": .jobCancelled,
        "stayedCancelled": .jobStopped,
        "requeued": .jobRequeued,
        "requeue": .jobRequeued,
        "hold": .jobHeld,
        "release": .jobReleased,
        "moved": .jobMoved,
        "retry": .jobRetried,
        "priority": .jobPriorityChanged,
        "paused": .queuePaused,
        "resumed": .queueResumed,
        "host_drained": .hostDrained,
        "host_resumed": .hostResumed,
        "batch_created": .batchCreated,
        "batch_paused": .batchPaused,
        "batch_resumed": .batchResumed,
        "batch_cancelled": .batchCancelled,
        "batch_deleted": .batchDeleted,
        "batch_run_ended": .batchRunEnded,
    ]

    /// `v6-run-shape`: how a job runs becomes its own column; a batch-run parent's kind becomes its items'.
    ///
    /// A parent was `kind = 'batch'`; it becomes `shape = 'batch_parent'` with its items' kind (inference), in its
    /// row and in its stored spec. Its displayed kind, and so its container name, stay `batch`. The ETA index
    /// leaves parents out, as their old kind did.
    static func migrateRunShape(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE job ADD COLUMN shape TEXT NOT NULL DEFAULT 'single';
                UPDATE job SET shape = 'batch_item' WHERE parent_id IS NOT NULL;
                UPDATE job SET shape = 'batch_parent',
                    kind = COALESCE(
                        (SELECT item.kind FROM job AS item WHERE item.parent_id = job.id ORDER BY item.batch_index LIMIT 1),
                        'inference')
                WHERE kind = 'batch';
                UPDATE job SET spec = json_set(spec, '$.kind', kind) WHERE shape = 'batch_parent';
                DROP INDEX job_duration;
                CREATE INDEX job_duration ON job(image, kind, finished_at)
                    WHERE state = 'succeeded' AND shape != 'batch_parent';
                """
        )
    }

    /// `v5-typed-events`: a JSON payload and the batch id on every entry, and typed names for the old ones.
    static func migrateTypedEvents(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE event ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';
                ALTER TABLE event ADD COLUMN batch_id TEXT;
                """
        )
        let pairs = legacyEventTypes.sorted { $0.key < $1.key }
        var arguments = StatementArguments()
        for (old, new) in pairs { arguments += [old, new.rawValue] }
        try db.execute(
            sql: """
                WITH map(old, new) AS (VALUES \(Array(repeating: "(?, ?)", count: pairs.count).joined(separator: ", ")))
                UPDATE event SET
                    payload = json_object('legacy_type', type),
                    type = COALESCE(
                        (SELECT new FROM map WHERE old = event.type),
                        CASE WHEN type LIKE 'requeued(%' THEN 'job.requeued' END,
                        'legacy')
                """,
            arguments: arguments
        )
        try db.execute(
            sql: """
                -- Progress of batch-run items was written as their state.
                UPDATE event SET type = 'job.progress',
                    payload = json_set(payload, '$.index', CAST(substr(message, 6) AS INTEGER), '$.state', 'running')
                WHERE type = 'job.started' AND message LIKE 'item %';
                -- The batch of a job's entry is the job's; a batch entry's message starts with the batch id.
                UPDATE event SET batch_id = (SELECT batch_id FROM job WHERE job.id = event.job_id)
                WHERE job_id IS NOT NULL;
                UPDATE event SET batch_id = substr(message, 1, instr(message || ' ', ' ') - 1)
                WHERE job_id IS NULL AND type LIKE 'batch.%' AND message != '';
                UPDATE event SET payload = json_set(payload, '$.batch_id', batch_id)
                WHERE job_id IS NULL AND type LIKE 'batch.%' AND batch_id IS NOT NULL;
                CREATE INDEX event_batch ON event(batch_id);
                """
        )
    }
}
