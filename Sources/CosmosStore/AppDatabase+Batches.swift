import CosmosDomain
import Foundation
import GRDB

/// Named batches: created with their jobs atomically; paused, resumed, cancelled, moved and retried as one.
extension AppDatabase {
    // MARK: Creating and reading

    /// Creates a batch and its jobs in one transaction: all or nothing.
    public func createBatch(name: String, specs: [JobSpec], ownerUID: UInt32, now: Date = Date()) async throws
        -> (batch: BatchRecord, jobs: [RankedJob])
    {
        try await writer.write { db in
            var id = JobID.make()
            while try BatchRecord.exists(db, key: id) { id = JobID.make() }
            let batch = BatchRecord(id: id, name: name, ownerUid: Int(ownerUID), now: now)
            try batch.insert(db)
            let jobs = try Self.insertJobs(db, specs, ownerUID: ownerUID, batchID: batch.id, now: now)
            try Self.appendEvent(
                db,
                .batchCreated,
                batch: batch.id,
                payload: [
                    "batch_id": .string(batch.id), "name": .string(name), "jobs": .int(jobs.count),
                    "uid": .int(Int(ownerUID)),
                ],
                message: "\(batch.id) \(jobs.count) jobs",
                at: now
            )
            return (try Self.fetchBatch(db, batch.id), jobs)
        }
    }

    /// Every batch, newest first.
    public func batches() async throws -> [BatchRecord] {
        try await writer.read { db in
            try BatchRecord.fetchAll(db, sql: "SELECT * FROM batch ORDER BY created_at DESC, id")
        }
    }

    /// One batch.
    public func batch(_ id: String) async throws -> BatchRecord {
        try await writer.read { db in try Self.fetchBatch(db, id) }
    }

    /// A batch and its jobs (in submission order, with queue positions) read in one transaction, so the
    /// batch's counters match its jobs' states.
    public func batchWithJobs(_ id: String) async throws -> (batch: BatchRecord, jobs: [RankedJob]) {
        try await writer.read { db in
            let batch = try Self.fetchBatch(db, id)
            let jobs = try Self.jobsOfBatch(db, id).map { RankedJob(job: $0, position: try Self.position(db, of: $0)) }
            return (batch, jobs)
        }
    }

    /// A batch's jobs that have not ended (for its ETA), without queue positions.
    public func unfinishedJobs(ofBatch id: String) async throws -> [JobRecord] {
        try await writer.read { db in
            try JobRecord.fetchAll(
                db,
                sql: "SELECT * FROM job WHERE batch_id = ? AND state IN ('queued', 'held', 'starting', 'running')",
                arguments: [id]
            )
        }
    }

    /// Ids of batches whose jobs must not start: paused or cancelled.
    public func stoppedBatchIDs() async throws -> Set<String> {
        try await writer.read { db in
            Set(try String.fetchAll(db, sql: "SELECT id FROM batch WHERE paused = 1 OR cancelled = 1"))
        }
    }

    /// The mean run time, in seconds, of the last 50 succeeded jobs of `image` and `kind` (nil: none yet).
    ///
    /// Batch-run parents are left out: their time is a whole run's, not one job's.
    public func meanDuration(image: String, kind: JobKind) async throws -> Double? {
        try await writer.read { db in
            try Double.fetchOne(
                db,
                sql: """
                    SELECT AVG((julianday(finished_at) - julianday(started_at)) * 86400) FROM (
                        SELECT started_at, finished_at FROM job INDEXED BY job_duration
                        WHERE state = 'succeeded' AND shape != 'batch_parent' AND image = ? AND kind = ?
                        AND started_at IS NOT NULL
                        ORDER BY finished_at DESC LIMIT 50)
                    """,
                arguments: [image, kind]
            )
        }
    }

    // MARK: Operating on all its jobs

    /// Pauses a batch: its queued jobs are held; running ones finish.
    public func pauseBatch(_ id: String, byUID uid: UInt32) async throws -> BatchRecord {
        try await setPaused(batch: id, true, byUID: uid)
    }

    /// Resumes a paused batch: its held jobs go back to the queue at their places.
    public func resumeBatch(_ id: String, byUID uid: UInt32) async throws -> BatchRecord {
        try await setPaused(batch: id, false, byUID: uid)
    }

    private func setPaused(batch id: String, _ paused: Bool, byUID uid: UInt32) async throws -> BatchRecord {
        try await writer.write { db in
            var batch = try Self.fetchBatch(db, id)
            batch.paused = paused
            try batch.update(db, columns: ["paused"])
            // Resume releases only the holds this pause made; a job its user held stays held.
            for job in try Self.jobsOfBatch(db, id)
            where paused ? job.state == .queued : (job.state == .held && job.heldByBatch) {
                try Self.applyAndSave(db, paused ? .hold : .release, to: job)
            }
            try Self.appendEvent(
                db,
                paused ? .batchPaused : .batchResumed,
                batch: id,
                payload: ["batch_id": .string(id), "uid": .int(Int(uid))],
                message: "\(id) by uid \(uid)"
            )
            return try Self.fetchBatch(db, id)
        }
    }

    /// Cancels a batch's queued and held jobs, and with `running` its starting and running ones too.
    ///
    /// Returns the batch and the cancelled jobs whose containers must be stopped.
    public func cancelBatch(_ id: String, running: Bool, byUID uid: UInt32, now: Date = Date()) async throws
        -> (batch: BatchRecord, toStop: [JobRecord])
    {
        try await writer.write { db in
            var batch = try Self.fetchBatch(db, id)
            batch.cancelled = true
            try batch.update(db, columns: ["cancelled"])
            var toStop: [JobRecord] = []
            for job in try Self.jobsOfBatch(db, id) where job.state.isInQueue || (running && job.state.isActive) {
                let outcome = try Self.cancel(db, job.id, byUID: uid, now: now)
                if outcome.needsStop { toStop.append(outcome.job) }
            }
            try Self.appendEvent(
                db,
                .batchCancelled,
                batch: id,
                payload: ["batch_id": .string(id), "uid": .int(Int(uid)), "running": .bool(running)],
                message: "\(id) by uid \(uid)",
                at: now
            )
            return (try Self.fetchBatch(db, id), toStop)
        }
    }

    /// Puts every failed job of the batch back in the queue (a cancelled batch stays cancelled).
    public func retryFailed(_ id: String) async throws -> BatchRecord {
        try await writer.write { db in
            let batch = try Self.fetchBatch(db, id)
            for job in try Self.jobsOfBatch(db, id) where job.state == .failed {
                _ = try Self.retry(db, job.id)
                if batch.paused { try Self.applyAndSave(db, .hold, to: try Self.fetchJob(db, job.id)) }
            }
            return try Self.fetchBatch(db, id)
        }
    }

    /// Moves all queued and held jobs of the batch together, keeping their order.
    ///
    /// `passing` is called as for ``move(_:to:passing:)``, for each job of the batch that moves.
    public func moveBatch(
        _ id: String,
        to target: MoveTarget,
        passing: (@Sendable (Set<Int>) throws -> Void)? = nil
    ) async throws -> BatchRecord {
        try await writer.write { db in
            _ = try Self.fetchBatch(db, id)
            let waiting = try Self.jobsOfBatch(db, id).filter { $0.state.isInQueue && $0.parentId == nil }
                .sorted { $0.priority != $1.priority ? $0.priority > $1.priority : $0.seq < $1.seq }
            switch target {
            case .top, .after:
                // Each lands first (or right after the anchor): go in reverse so the first ends first.
                for job in waiting.reversed() { _ = try Self.move(db, job.id, to: target, passing: passing) }
            case .bottom, .before, .position:
                for job in waiting { _ = try Self.move(db, job.id, to: target, passing: passing) }
            }
            return try Self.fetchBatch(db, id)
        }
    }

    /// Deletes a finished batch and its jobs' records; returns the deleted job ids (for their files).
    public func deleteBatch(_ id: String) async throws -> [String] {
        try await writer.write { db in
            let batch = try Self.fetchBatch(db, id)
            let status = batch.progress.status
            guard status.isFinished, batch.progress.active == 0 else {
                throw StoreError.batchNotFinished(id: id, status: status.rawValue)
            }
            let ids = try String.fetchAll(db, sql: "SELECT id FROM job WHERE batch_id = ?", arguments: [id])
            try db.execute(
                sql: "DELETE FROM event WHERE job_id IN (SELECT id FROM job WHERE batch_id = ?)",
                arguments: [id]
            )
            try db.execute(sql: "DELETE FROM job WHERE batch_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM batch WHERE id = ?", arguments: [id])
            try Self.appendEvent(
                db,
                .batchDeleted,
                batch: id,
                payload: ["batch_id": .string(id), "jobs": .int(ids.count)],
                message: "\(id) (\(ids.count) jobs)"
            )
            return ids
        }
    }

    // MARK: Helpers

    static func fetchBatch(_ db: Database, _ id: String) throws -> BatchRecord {
        guard let batch = try BatchRecord.fetchOne(db, key: id) else { throw StoreError.batchNotFound(id) }
        return batch
    }

    static func jobsOfBatch(_ db: Database, _ id: String) throws -> [JobRecord] {
        try JobRecord.fetchAll(
            db,
            sql: "SELECT * FROM job WHERE batch_id = ? ORDER BY batch_index, created_at, id",
            arguments: [id]
        )
    }

    /// Applies a batch's hold or release to one of its jobs, marking the hold as the batch's.
    static func applyAndSave(_ db: Database, _ event: JobEvent, to job: JobRecord) throws {
        var job = job
        job.state = try Self.apply(event, to: job)
        job.heldByBatch = event == .hold
        try job.update(db)
        try Self.appendEvent(
            db,
            Self.eventType(of: event),
            for: job,
            payload: ["by": .string("batch"), "batch_id": .text(job.batchId)],
            message: "batch"
        )
    }
}
