import CosmosDomain
import Foundation
import GRDB

/// How a batch run's container ended, as the runner saw it.
public enum BatchRunOutcome: Sendable, Equatable {
    /// The run ended and its manifest (or its absence, with exit 0) decides each child.
    case finished(exitCode: Int, verdicts: [Int: BatchRun.ItemVerdict], error: String?)
    /// The container failed as a whole (non-zero exit without a manifest, OOM, lost, engine failure): the
    /// children go back to the queue as single jobs at the parent's place, counting an attempt.
    case failedWhole(reason: String, error: String)
}

/// Parent/child batch runs: one parent holds the queue place; its children ride in its container.
extension AppDatabase {
    /// Creates a parent (shape ``RunShape/batchParent``, displayed kind `batch`) at the tail of the queue and its
    /// children (shape ``RunShape/batchItem``, no positions of their own).
    public func submitBatchRun(parent: JobSpec, children: [JobSpec], ownerUID: UInt32, now: Date = Date())
        async throws -> (parent: RankedJob, children: [JobRecord])
    {
        try await writer.write { db in
            let ranked = try Self.insertJobs(
                db,
                [parent],
                ownerUID: ownerUID,
                batchID: nil,
                shape: .batchParent,
                now: now
            )[0]
            let created = try children.enumerated().map { index, spec in
                try Self.insertItem(db, spec, of: ranked.job, index: index, ownerUID: ownerUID, message: "", now: now)
            }
            return (ranked, created)
        }
    }

    /// A parent's children in index order.
    public func children(of parentID: String) async throws -> [JobRecord] {
        try await writer.read { db in try Self.children(db, parentID) }
    }

    /// A job and, for a batch-run parent, its items, read in one transaction so they agree.
    public func jobWithChildren(_ id: String) async throws -> (job: RankedJob, children: [JobRecord]?) {
        try await writer.read { db in
            let job = try Self.fetchJob(db, id)
            let ranked = RankedJob(job: job, position: try Self.position(db, of: job))
            return (ranked, job.shape == .batchParent ? try Self.children(db, id) : nil)
        }
    }

    /// Applies a progress line of the parent's current attempt to the child at `index`; returns the child.
    ///
    /// `running` marks the item running. `succeeded` and `failed` say so in its `reason` while it stays
    /// `running`: only the manifest ends an item, so a run that dies first puts it back in the queue.
    public func noteItemProgress(_ parentID: String, attempt: Int, progress: BatchRun.Progress, now: Date = Date())
        async throws -> JobRecord?
    {
        try await noteItemProgress(parentID, attempt: attempt, lines: [progress], now: now).first
    }

    /// Applies several progress lines in one transaction (the runner gathers them per window); returns the
    /// children they changed, in order.
    public func noteItemProgress(_ parentID: String, attempt: Int, lines: [BatchRun.Progress], now: Date = Date())
        async throws -> [JobRecord]
    {
        guard !lines.isEmpty else { return [] }
        return try await writer.write { db in
            let parent = try Self.fetchJob(db, parentID)
            guard parent.attempts == attempt, parent.state.isActive else { return [] }
            var children = try Self.children(db, parentID)
            var changed: [JobRecord] = []
            for progress in lines {
                guard let slot = children.firstIndex(where: { $0.batchIndex == progress.index }) else { continue }
                guard
                    let updated = try Self.applyItemProgress(db, progress, to: children[slot], parent: parent, now: now)
                else { continue }
                children[slot] = updated
                changed.append(updated)
            }
            return changed
        }
    }

    /// One progress line applied to its child inside the caller's transaction; nil when it changes nothing.
    static func applyItemProgress(
        _ db: Database,
        _ progress: BatchRun.Progress,
        to child: JobRecord,
        parent: JobRecord,
        now: Date
    ) throws -> JobRecord? {
        guard !child.state.isTerminal else { return nil }
        var updated = child
        switch progress.state {
        case .running:
            guard child.state != .running else { return child }
            updated.reason = nil
        case .succeeded:
            updated.reason = "done in the run (succeeded); final when the run ends"
        case .failed:
            updated.reason = "done in the run (failed: \(progress.message ?? "no message")); final when the run ends"
        }
        // Results are final only with the manifest: a run that dies before it puts its items back.
        return try Self.settle(db, updated, to: .running, parent: parent, progress: progress, now: now)
    }

    /// Records the end of a batch run in one transaction: each child's state and outputs, and the parent.
    public func finishBatchRun(
        _ parentID: String,
        attempt: Int,
        outcome: BatchRunOutcome,
        policy: RetryPolicy,
        now: Date = Date()
    ) async throws -> (parent: JobRecord, children: [JobRecord])? {
        try await writer.write { db in
            try Self.finishBatchRun(db, parentID, attempt: attempt, outcome: outcome, policy: policy, now: now)
        }
    }

    /// ``finishBatchRun(_:attempt:outcome:policy:now:)`` inside the caller's transaction.
    static func finishBatchRun(
        _ db: Database,
        _ parentID: String,
        attempt: Int,
        outcome: BatchRunOutcome,
        policy: RetryPolicy,
        now: Date
    ) throws -> (parent: JobRecord, children: [JobRecord])? {
        var parent = try Self.fetchJob(db, parentID)
        guard parent.attempts == attempt, parent.state.isActive || parent.state == .cancelled else { return nil }
        // The run's GPUs, shared among the items it worked on (one cancelled before it started had no part).
        let members = try Self.children(db, parentID)
        let worked = members.filter { $0.state != .cancelled || $0.startedAt != nil }
        parent.gpuSeconds += try Self.recordGPUUsage(
            db,
            holder: parent,
            accounted: worked.isEmpty ? members : worked,
            now: now
        )
        var children: [JobRecord] = []
        switch outcome {
        case .finished(let code, let verdicts, let error):
            for child in try Self.children(db, parentID) {
                guard child.state != .cancelled, let index = child.batchIndex, let verdict = verdicts[index]
                else {
                    children.append(child)
                    continue
                }
                var updated = child
                switch verdict {
                case .succeeded(let outputs):
                    updated.outputs = outputs
                    updated.error = nil
                    updated.reason = nil
                    children.append(try Self.settle(db, updated, to: .succeeded, parent: parent, now: now))
                case .enhanced(let prompt, let outputs):
                    updated.outputs = outputs
                    updated.error = nil
                    updated.enhancedPrompt = prompt
                    updated.reason = try Self.applyEnhancedPrompt(db, prompt, item: child, parent: parent, now: now)
                    children.append(try Self.settle(db, updated, to: .succeeded, parent: parent, now: now))
                case .failed(let message):
                    updated.outputs = []
                    updated.error = message
                    updated.reason = "item failed"
                    children.append(try Self.settle(db, updated, to: .failed, parent: parent, now: now))
                case .cancelled:
                    children.append(try Self.settle(db, updated, to: .cancelled, parent: parent, now: now))
                }
            }
            parent.exitCode = code
            parent.error = error
            if parent.state != .cancelled {
                parent.reason = code == 0 ? nil : Reason.exitCode(code)
                parent.state = try Self.apply(code == 0 ? .succeed : .fail, to: parent)
            }
        case .failedWhole(let reason, let error):
            let items = try Self.children(db, parentID)
            if parent.kind == .enhance {
                // An enhance run that failed as a whole changes nothing: its items fail, its sources are released.
                for child in items where !child.state.isTerminal {
                    var failed = child
                    failed.error = error
                    failed.reason = "enhance run failed: \(reason); the source was left unchanged"
                    children.append(try Self.settle(db, failed, to: .failed, parent: parent, now: now))
                }
            } else if reason == Reason.oom {
                try Self.recordMemoryLimit(db, run: parent, items: items, now: now)
            }
            // Back to the queue as single jobs, in index order, where the parent stood.
            for child in items where !child.state.isTerminal && parent.kind != .enhance {
                var single = child
                single.error = error
                single.reason = "batch run failed: \(reason)"
                if single.attemptsInRun >= policy.maxAttempts {
                    children.append(try Self.settle(db, single, to: .failed, parent: parent, now: now))
                    continue
                }
                if single.state.isActive { single.state = try Self.apply(.requeue, to: single) }
                single.parentId = nil
                single.shape = .single
                single.host = nil
                single.devices = []
                single.seq = try Self.keyBefore(db, parent.seq, priority: single.priority)
                try single.update(db)
                try Self.appendEvent(
                    db,
                    .jobRequeued,
                    for: single,
                    payload: [
                        "reason": .string(single.reason ?? reason), "attempt": .int(single.attempts),
                        "parent_id": .string(parentID),
                    ],
                    message: "alone after batch run \(parentID): \(reason)",
                    at: now
                )
                children.append(single)
            }
            parent.error = error
            if parent.state != .cancelled {
                parent.reason = reason
                parent.state = try Self.apply(.fail, to: parent)
            }
        }
        parent.finishedAt = now
        try parent.update(db)
        if parent.state == .succeeded, parent.kind == .inference {
            try Self.recordCostSample(db, run: parent, items: children, now: now)
        }
        try Self.appendEvent(
            db,
            .batchRunEnded,
            for: parent,
            payload: [
                "attempt": .int(attempt), "state": .string(parent.state.rawValue), "exit_code": .int(parent.exitCode),
                "reason": .text(parent.reason),
            ],
            message: parent.reason ?? "",
            at: now
        )
        return (parent, children)
    }

    // MARK: Helpers

    /// Inserts item `index` of the batch-run `parent` (no queue place of its own) with its `job.submitted` entry.
    static func insertItem(
        _ db: Database,
        _ spec: JobSpec,
        of parent: JobRecord,
        index: Int,
        ownerUID: UInt32,
        message: String,
        now: Date
    ) throws -> JobRecord {
        var child = JobRecord(
            id: try Self.newJobID(db),
            name: spec.name,
            kind: spec.kind,
            shape: .batchItem,
            priority: parent.priority,
            seq: parent.seq,
            image: spec.image,
            spec: spec,
            gpus: spec.gpus,
            ownerUid: Int(ownerUID),
            createdAt: now
        )
        child.parentId = parent.id
        child.batchIndex = index
        child.sourceJobId = spec.sourceJobID
        try child.insert(db)
        try Self.appendEvent(
            db,
            .jobSubmitted,
            for: child,
            payload: Self.submittedPayload(child),
            message: "item \(index) of \(parent.id)" + message,
            at: now
        )
        return child
    }

    static func children(_ db: Database, _ parentID: String) throws -> [JobRecord] {
        try JobRecord.fetchAll(
            db,
            sql: "SELECT * FROM job WHERE parent_id = ? ORDER BY batch_index",
            arguments: [parentID]
        )
    }

    /// Walks a child through the state machine to `target`, as its parent's attempt, and saves it.
    ///
    /// Its entry is `job.progress` (with the reported `progress`) while it runs, else the entry of its end.
    static func settle(
        _ db: Database,
        _ child: JobRecord,
        to target: JobState,
        parent: JobRecord,
        progress: BatchRun.Progress? = nil,
        now: Date
    ) throws -> JobRecord {
        var child = child
        if child.state == .held { child.state = try Self.apply(.release, to: child) }
        if child.state == target, child.state.isTerminal {
            try child.update(db)  // ended early by a progress line: now with its outputs or error
            return child
        }
        let path: [JobEvent]
        switch (child.state, target) {
        case (.queued, .running), (.queued, .succeeded):
            path = [.claim, .start] + (target == .succeeded ? [.succeed] : [])
        case (.starting, .running): path = [.start]
        case (.starting, .succeeded), (.running, .succeeded): path = [.succeed]
        case (_, .failed): path = [.fail]
        case (_, .cancelled): path = [.cancel]
        default: path = []
        }
        for event in path {
            if event == .claim {
                // The attempt was counted when the parent was claimed.
                child.host = parent.host
                child.devices = parent.devices
                child.containerId = parent.containerId
            }
            if event == .start { child.startedAt = child.startedAt ?? now }
            child.state = try Self.apply(event, to: child)
        }
        if child.state.isTerminal { child.finishedAt = now }
        try child.update(db)
        var payload: [String: JSONValue] = [
            "parent_id": .string(parent.id), "index": .int(child.batchIndex), "attempt": .int(parent.attempts),
        ]
        let type: EventType
        switch child.state {
        case .succeeded:
            type = .jobSucceeded
            payload["outputs"] = .strings(child.outputs)
        case .failed:
            type = .jobFailed
            payload["reason"] = .text(child.reason)
            payload["error"] = .text(child.error)
        case .cancelled:
            type = .jobCancelled
            payload["reason"] = .text(child.reason)
        case .queued, .held, .starting, .running:
            type = .jobProgress
            payload["state"] = .string(progress?.state.rawValue ?? child.state.rawValue)
            payload["message"] = .text(progress?.message)
        }
        try Self.appendEvent(db, type, for: child, payload: payload, message: "item \(child.batchIndex ?? -1)", at: now)
        return child
    }
}
