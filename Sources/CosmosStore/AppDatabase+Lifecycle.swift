import CosmosDomain
import Foundation
import GRDB

/// How an attempt ended, as the executor saw it.
public enum AttemptOutcome: Sendable, Equatable {
    /// The container exited; `oomKilled` from the engine's inspect.
    case exited(code: Int, oomKilled: Bool, outputs: [String], error: String?)
    /// The attempt failed before or outside the job's own command (engine, staging, lost container).
    case infrastructureFailure(reason: String, error: String)
    /// The job was cancelled after its container was created and before it started: no command ran, so
    /// there is no exit code to record.
    case cancelledBeforeStart
    /// The job cannot run as submitted (a `job:` input that its job did not write); it fails without a retry.
    case unrunnable(reason: String)
}

/// What the store decided about an ended attempt.
public enum AttemptVerdict: Sendable, Equatable {
    case succeeded
    case failed
    /// Back in the queue at its place; starts no earlier than `notBefore`.
    case requeued(notBefore: Date)
    /// The job had been cancelled; the outcome was recorded and it stays cancelled.
    case stayedCancelled
    /// The attempt is not the job's current one (a stale runner); nothing changed.
    case stale
}

/// The scheduler's side of the job life cycle: claim, start, finish, requeue.
extension AppDatabase {
    /// Jobs currently holding GPUs (starting or running), with their host and devices.
    ///
    /// The children of a batch run are not listed: their parent holds the GPUs and the container.
    public func activeJobs() async throws -> [JobRecord] {
        try await writer.read { db in
            try JobRecord.fetchAll(
                db,
                sql: "SELECT * FROM job WHERE state IN ('starting', 'running') AND parent_id IS NULL"
            )
        }
    }

    /// Claims the jobs that can start now, in one transaction: reads the head of the queue, places it
    /// on the hosts' free GPUs and marks the placed jobs `starting` with their allocation recorded.
    ///
    /// Returns the claimed jobs (attempt already counted) and the pending reasons of those looked at.
    public func claimNext(
        hosts: [HostCapacity],
        policy: SchedulingPolicy,
        lookahead: Int = 64,
        now: Date = Date()
    ) async throws -> (claimed: [JobRecord], pending: [String: String]) {
        try await writer.write { db in
            if try Self.isPaused(db) { return ([], [:]) }
            var hosts = hosts
            // Both statements are compiled once per connection: a round runs on every wake-up.
            let active = try JobRecord.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM job WHERE state IN ('starting', 'running') AND parent_id IS NULL"
                )
            )
            for job in active {
                if let index = hosts.firstIndex(where: { $0.name == job.host }) {
                    hosts[index].usedDevices.formUnion(job.devices)
                }
            }
            // Plan on (id, gpus, spec) only; full rows are read for the jobs that start.
            let candidates = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id, gpus, spec FROM job INDEXED BY job_ready WHERE state = 'queued' AND parent_id IS NULL
                        AND (not_before IS NULL OR not_before <= ?)
                        AND (batch_id IS NULL OR batch_id NOT IN (SELECT id FROM batch WHERE paused = 1 OR cancelled = 1))
                        AND \(Self.dependenciesSatisfied)
                        ORDER BY priority DESC, seq LIMIT ?
                        """
                ),
                arguments: [now, lookahead]
            )
            let decoder = JSONDecoder()
            let requests = try candidates.map { row in
                try Self.placementRequest(id: row["id"], gpus: row["gpus"], spec: row["spec"], decoder: decoder)
            }
            let plan = Placer.plan(requests: requests, hosts: hosts, policy: policy)
            var claimed: [JobRecord] = []
            for decision in plan.decisions {
                var job = try Self.fetchJob(db, decision.jobID)
                job.state = try Self.apply(.claim, to: job)
                job.attempts += 1
                job.progress = nil
                job.loadSeconds = nil
                job.startedAt = nil
                job.host = decision.host
                job.devices = decision.devices
                job.containerId = nil
                job.exitCode = nil
                job.oomKilled = false
                job.error = nil
                job.notBefore = nil
                try job.update(db)
                if job.shape == .batchParent {
                    // Its children count this attempt too (a failed run puts them back with it counted).
                    try db.execute(
                        sql: """
                            UPDATE job SET attempts = attempts + 1, host = ?, devices = ?
                            WHERE parent_id = ? AND state = 'queued'
                            """,
                        arguments: [
                            job.host, String(decoding: try JSONEncoder().encode(job.devices), as: UTF8.self), job.id,
                        ]
                    )
                }
                try Self.appendEvent(
                    db,
                    .jobClaimed,
                    for: job,
                    payload: [
                        "attempt": .int(job.attempts), "host": .string(decision.host),
                        "devices": .strings(decision.devices),
                    ],
                    message: "attempt \(job.attempts) on \(decision.host) gpus \(decision.devices)",
                    at: now
                )
                claimed.append(job)
            }
            return (claimed, plan.pendingReasons)
        }
    }

    /// What placement needs of a queued job, from its `gpus` column and its stored spec.
    ///
    /// Placement reads only `gpus`, `min_gpu_memory_gib` and `selector`. In JSON a key is written with its quotes,
    /// and the same word inside a string has them escaped: a spec whose text has neither `"selector"` nor
    /// `"min_gpu_memory_gib"` has neither key, and need not be decoded (most of a scheduling round's cost). Where
    /// one appears (as a key, anywhere, or as a whole string value), the whole spec is decoded.
    static func placementRequest(id: String, gpus: Int, spec: String, decoder: JSONDecoder) throws
        -> PlacementRequest
    {
        guard Self.mentions(spec, #""selector""#) || Self.mentions(spec, #""min_gpu_memory_gib""#) else {
            return PlacementRequest(jobID: id, gpus: gpus, minGPUMemoryGiB: nil, selector: [:])
        }
        return try decoder.decode(JobSpec.self, from: Data(spec.utf8)).placementRequest(jobID: id)
    }

    /// Whether `text` holds `word`, byte for byte (`String.contains` goes through Foundation's locale-aware search,
    /// and the generic collection search costs more than the decode it saves).
    static func mentions(_ text: String, _ word: StaticString) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            let needle = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard let first = needle.first, bytes.count >= needle.count else { return needle.isEmpty }
            var index = 0
            while index <= bytes.count - needle.count {
                if bytes[index] == first {
                    var matched = 1
                    while matched < needle.count, bytes[index + matched] == needle[matched] { matched += 1 }
                    if matched == needle.count { return true }
                }
                index += 1
            }
            return false
        }
    }

    /// Records the container of the current attempt (created, not yet started).
    public func recordContainer(_ id: String, attempt: Int, containerID: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE job SET container_id = ? WHERE id = ? AND attempts = ?",
                arguments: [containerID, id, attempt]
            )
        }
    }

    /// Marks the current attempt running; returns false if the job is no longer starting (cancelled).
    public func markRunning(_ id: String, attempt: Int, containerID: String, now: Date = Date()) async throws -> Bool {
        try await writer.write { db in
            var job = try Self.fetchJob(db, id)
            guard job.attempts == attempt, job.state == .starting else { return false }
            job.state = try Self.apply(.start, to: job)
            job.containerId = containerID
            job.startedAt = now
            try job.update(db)
            try Self.appendEvent(
                db,
                .jobStarted,
                for: job,
                payload: [
                    "attempt": .int(attempt), "container_id": .string(containerID), "host": .text(job.host),
                ],
                message: "container \(containerID.prefix(12))",
                at: now
            )
            return true
        }
    }

    /// Records how attempt `attempt` ended and decides the job's next state under `policy`.
    public func finishAttempt(
        _ id: String,
        attempt: Int,
        outcome: AttemptOutcome,
        policy: RetryPolicy,
        now: Date = Date()
    ) async throws -> (job: JobRecord, verdict: AttemptVerdict) {
        try await writer.write { db in
            var job = try Self.fetchJob(db, id)
            guard job.attempts == attempt, job.state.isActive || job.state == .cancelled else {
                return (job, .stale)
            }
            if job.shape == .batchParent {
                // A batch run that ends without its manifest failed as a whole: its items go back alone.
                let whole: BatchRunOutcome
                switch outcome {
                case .exited(let code, let oomKilled, _, let error):
                    whole = .failedWhole(
                        reason: oomKilled ? Reason.oom : Reason.exitCode(code),
                        error: error ?? "the batch run ended without a manifest"
                    )
                case .infrastructureFailure(let reason, let error):
                    whole = .failedWhole(reason: reason, error: error)
                case .cancelledBeforeStart:
                    whole = .failedWhole(reason: "cancelled", error: "cancelled before its container started")
                case .unrunnable(let reason):
                    whole = .failedWhole(reason: reason, error: reason)
                }
                let wasCancelled = job.state == .cancelled
                guard
                    let (parent, _) = try Self.finishBatchRun(
                        db,
                        id,
                        attempt: attempt,
                        outcome: whole,
                        policy: policy,
                        now: now
                    )
                else { return (job, .stale) }
                return (parent, wasCancelled ? .stayedCancelled : .failed)
            }
            var generator = SystemRandomNumberGenerator()
            let verdict: AttemptVerdict
            let failure: RetryPolicy.Failure?
            let cancelReason = job.state == .cancelled ? job.reason : nil
            switch outcome {
            case .exited(let code, let oomKilled, let outputs, let error):
                job.exitCode = code
                job.oomKilled = oomKilled
                job.outputs = outputs
                job.error = error
                if code == 0 && !oomKilled {
                    failure = nil
                } else {
                    job.reason = oomKilled ? Reason.oom : Reason.exitCode(code)
                    failure = .command
                }
            case .infrastructureFailure(let reason, let error):
                job.reason = reason
                job.error = error
                failure = .infrastructure
            case .cancelledBeforeStart:
                // No exit code to record (the claim cleared the last one); the job stays cancelled below.
                failure = .infrastructure
            case .unrunnable(let reason):
                job.reason = reason
                job.error = reason
                failure = .unrunnable
            }
            job.gpuSeconds += try Self.recordGPUUsage(db, holder: job, accounted: [job], now: now)
            if job.state == .cancelled {
                verdict = .stayedCancelled
                job.finishedAt = now
                job.reason = cancelReason
            } else if let failure {
                if policy.shouldRetry(after: failure, attempts: job.attemptsInRun, retries: job.spec.retries) {
                    let delay = policy.delay(afterAttempts: job.attemptsInRun, using: &generator)
                    let notBefore = now.addingTimeInterval(delay)
                    job.state = try Self.apply(.requeue, to: job)
                    job.notBefore = notBefore
                    job.host = nil
                    job.devices = []
                    job.seq = try Self.freeKey(db, near: job.seq, priority: job.priority)
                    verdict = .requeued(notBefore: notBefore)
                } else {
                    job.state = try Self.apply(.fail, to: job)
                    job.finishedAt = now
                    verdict = .failed
                }
            } else {
                job.state = try Self.apply(.succeed, to: job)
                job.finishedAt = now
                verdict = .succeeded
                try Self.recordCostSample(db, run: job, items: nil, now: now)
            }
            try job.update(db)
            try Self.appendAttemptEvent(db, job, verdict: verdict, at: now)
            return (job, verdict)
        }
    }

    /// Appends the entry of an ended attempt: `job.succeeded`, `job.failed`, `job.requeued` or, for a job
    /// cancelled while it ran, `job.stopped`.
    static func appendAttemptEvent(_ db: Database, _ job: JobRecord, verdict: AttemptVerdict, at now: Date) throws {
        var payload: [String: JSONValue] = ["attempt": .int(job.attempts), "exit_code": .int(job.exitCode)]
        let type: EventType
        let message: String
        switch verdict {
        case .succeeded:
            type = .jobSucceeded
            payload["outputs"] = .strings(job.outputs)
            message = "attempt \(job.attempts) succeeded"
        case .failed:
            type = .jobFailed
            payload["reason"] = .text(job.reason)
            message = job.reason ?? "failed"
        case .requeued(let notBefore):
            type = .jobRequeued
            payload["reason"] = .text(job.reason)
            payload["not_before"] = .time(notBefore)
            message = "\(job.reason ?? "failed"); attempt \(job.attempts + 1) not before \(notBefore)"
        case .stayedCancelled:
            type = .jobStopped
            payload["reason"] = .text(job.reason)
            message = "attempt \(job.attempts) ended after the cancel"
        case .stale:
            return
        }
        try appendEvent(db, type, for: job, payload: payload, message: message, at: now)
    }
}
