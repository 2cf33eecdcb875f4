import CosmosDomain
import Foundation
import GRDB

/// Enhance runs: one batch-run parent of kind `enhance` whose items carry the prompts of queued source jobs.
///
/// The parent is placed just before the first source, so it runs before the jobs whose prompts it changes. With
/// `--update` the sources that were queued are held (`held_by_run`) until the run ends; the trigger
/// `enhance_run_ended` releases them in the transaction that ends the parent, however it ends (finished, failed,
/// cancelled). The prompts are applied in that same transaction (``applyEnhancedPrompt(_:_:item:parent:now:)``).
extension AppDatabase {
    /// `v11-enhance-runs`: the hold of a source by its run, an item's enhanced prompt, and the release trigger.
    static func migrateEnhanceRuns(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE job ADD COLUMN held_by_run TEXT;
                ALTER TABLE job ADD COLUMN enhanced_prompt TEXT;
                CREATE INDEX job_held_by_run ON job(held_by_run) WHERE held_by_run IS NOT NULL;
                CREATE TRIGGER enhance_run_ended AFTER UPDATE OF state ON job
                WHEN new.shape = 'batch_parent' AND new.kind = 'enhance'
                    AND new.state IN ('succeeded', 'failed', 'cancelled') AND old.state != new.state
                BEGIN
                    INSERT INTO event(at, job_id, batch_id, type, payload, message)
                    SELECT strftime('%Y-%m-%d %H:%M:%f', 'now'), held.id, held.batch_id, 'job.released',
                        json_object('by', 'enhance', 'parent_id', new.id), 'enhance run ' || new.id || ' ended'
                    FROM job AS held WHERE held.held_by_run = new.id AND held.state = 'held';
                    UPDATE job SET state = 'queued', reason = NULL WHERE held_by_run = new.id AND state = 'held';
                    UPDATE job SET held_by_run = NULL WHERE held_by_run = new.id;
                END;
                """
        )
    }

    /// Creates an enhance run over `sources` (job ids, in the order given) in one transaction.
    ///
    /// Each source is checked again here (a queued or held single inference job with a prompt, not in another
    /// unfinished enhance run); a refusal changes nothing. Returns the parent and its items.
    public func submitEnhanceRun(parent spec: JobSpec, sources ids: [String], ownerUID: UInt32, now: Date = Date())
        async throws -> (parent: RankedJob, children: [JobRecord])
    {
        try await writer.write { db in
            let sources = try ids.map { id in
                let source = try Self.fetchJob(db, id)
                if let reason = EnhanceRun.refusal(
                    kind: source.kind,
                    shape: source.shape,
                    state: source.state,
                    prompt: source.spec.prompt
                ) {
                    throw StoreError.enhanceSourceRefused(jobID: id, reason: reason)
                }
                if let run = try Self.unfinishedEnhanceRun(db, of: id) {
                    throw StoreError.enhanceSourceRefused(
                        jobID: id,
                        reason: "is already in enhance run \(run), which has not ended"
                    )
                }
                return source
            }
            guard let first = sources.min(by: { ($0.priority, -$0.seq) > ($1.priority, -$1.seq) }) else {
                throw StoreError.enhanceSourceRefused(jobID: "(none)", reason: "is missing: no source jobs named")
            }
            var parent = JobRecord(
                id: try Self.newJobID(db),
                name: spec.name,
                kind: .enhance,
                shape: .batchParent,
                priority: first.priority,
                seq: try Self.keyBefore(db, first.seq, priority: first.priority),
                image: spec.image,
                spec: spec,
                gpus: spec.gpus,
                ownerUid: Int(ownerUID),
                createdAt: now
            )
            parent.spec.priority = first.priority
            try parent.insert(db)
            try Self.appendEvent(
                db,
                .jobSubmitted,
                for: parent,
                payload: Self.submittedPayload(parent).merging(["sources": .strings(ids)]) { $1 },
                message: "enhance run of \(sources.count) jobs by uid \(ownerUID)",
                at: now
            )
            var children: [JobRecord] = []
            for (index, source) in sources.enumerated() {
                let child = try Self.insertItem(
                    db,
                    EnhanceRun.itemSpec(for: source.spec, sourceID: source.id, parent: spec),
                    of: parent,
                    index: index,
                    ownerUID: ownerUID,
                    message: ", enhancing \(source.id)",
                    now: now
                )
                children.append(child)
                if spec.enhance?.mode == .update, source.state == .queued {
                    var held = source
                    held.state = try Self.apply(.hold, to: source)
                    held.heldByRun = parent.id
                    held.reason = EnhanceRun.holdReason(parentID: parent.id)
                    // Only these columns: the parent's key may have respaced this job's `seq` in this transaction.
                    try held.update(db, columns: ["state", "held_by_run", "reason"])
                    try Self.appendEvent(
                        db,
                        .jobHeld,
                        for: held,
                        payload: ["by": .string("enhance"), "parent_id": .string(parent.id)],
                        message: held.reason ?? "",
                        at: now
                    )
                }
            }
            return (RankedJob(job: parent, position: try Self.position(db, of: parent)), children)
        }
    }

    /// The unfinished enhance run that has an item for `sourceID`, if any.
    static func unfinishedEnhanceRun(_ db: Database, of sourceID: String) throws -> String? {
        try String.fetchOne(
            db,
            sql: """
                SELECT parent_id FROM job INDEXED BY job_source
                WHERE source_job_id = ? AND kind = 'enhance' AND shape = 'batch_item'
                    AND state NOT IN ('succeeded', 'failed', 'cancelled')
                LIMIT 1
                """,
            arguments: [sourceID]
        )
    }

    /// Applies an item's enhanced prompt to its source inside the run's closing transaction; returns the report.
    ///
    /// `--update` rewrites the prompt of a source still queued or held (with a `job.prompt_updated` entry that
    /// has the old and the new prompt); `--create-new` queues a copy right after the source. A source that
    /// started, failed or was cancelled meanwhile is left alone, and the report says so.
    static func applyEnhancedPrompt(_ db: Database, _ prompt: String, item: JobRecord, parent: JobRecord, now: Date)
        throws -> String
    {
        guard let sourceID = item.sourceJobId, var source = try JobRecord.fetchOne(db, key: sourceID) else {
            return "the source job \(item.sourceJobId ?? "?") no longer exists; nothing changed"
        }
        switch EnhanceRun.decision(for: source.state, mode: parent.spec.enhance?.mode ?? .update) {
        case .leaveAlone(let why):
            return why
        case .rewrite:
            let old = source.spec.prompt
            source.spec.prompt = prompt
            try source.update(db, columns: ["spec"])
            try Self.appendEvent(
                db,
                .jobPromptUpdated,
                for: source,
                payload: [
                    "old_prompt": .text(old), "new_prompt": .string(prompt), "parent_id": .string(parent.id),
                    "item_id": .string(item.id),
                ],
                message: "by enhance run \(parent.id)",
                at: now
            )
            return "updated the prompt of \(source.id)"
        case .copy:
            var spec = source.spec
            spec.prompt = prompt
            spec.name = EnhanceRun.copyName(of: source.name, id: source.id)
            var copyID = ""
            do {
                // A copy whose dependency failed meanwhile is refused alone: the savepoint undoes just it.
                try db.inSavepoint {
                    var copy = JobRecord(
                        id: try Self.newJobID(db),
                        name: spec.name,
                        kind: source.kind,
                        priority: source.priority,
                        seq: try Self.keyAfter(db, source.seq, priority: source.priority),
                        image: source.image,
                        spec: spec,
                        gpus: source.gpus,
                        ownerUid: source.ownerUid,
                        createdAt: now
                    )
                    copy.sourceJobId = nil
                    try copy.insert(db)
                    try Self.insertDependencies(db, of: copy)
                    try Self.appendEvent(
                        db,
                        .jobSubmitted,
                        for: copy,
                        payload: Self.submittedPayload(copy).merging([
                            "enhanced_from": .string(source.id), "parent_id": .string(parent.id),
                        ]) { $1 },
                        message: "enhanced copy of \(source.id) by enhance run \(parent.id)",
                        at: now
                    )
                    copyID = copy.id
                    return .commit
                }
                return "queued \(copyID), a copy of \(source.id) with the enhanced prompt"
            } catch let error as StoreError {
                return "no copy of \(source.id) was queued: \(error)"
            }
        }
    }

    /// A key just after `lower` within `priority` (before the next queued job of the level, or at its tail).
    static func keyAfter(_ db: Database, _ lower: Int64, priority: Int) throws -> Int64 {
        let next = try Int64.fetchOne(
            db,
            sql: "SELECT MIN(seq) FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND seq > ?",
            arguments: [priority, lower]
        )
        guard let next else { return try allocateSeq(db) }
        return try keyBefore(db, next, priority: priority)
    }
}
