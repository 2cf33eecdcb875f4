import CosmosDomain
import Foundation
import GRDB

/// The SQL condition of "holds a place in the queue"; it matches the partial indexes exactly.
let inQueue = "state IN ('queued', 'held') AND parent_id IS NULL"

/// The job table read through the queue index. SQLite's planner otherwise prefers the (state, created_at)
/// index for some queue queries and scans the whole queue; `queue-bench` shows the difference.
let queueTable = "job INDEXED BY job_queue"

/// A job together with its 1-based queue position (nil unless queued or held).
public struct RankedJob: Sendable, Equatable {
    public var job: JobRecord
    public var position: Int?

    public init(job: JobRecord, position: Int?) {
        self.job = job
        self.position = position
    }
}

/// The outcome of a cancel: the job, and whether its container must be stopped.
public struct CancelOutcome: Sendable, Equatable {
    public var job: JobRecord
    /// True when the job was starting or running: the daemon stops its container.
    public var needsStop: Bool
}

// MARK: - Submitting and reading

extension AppDatabase {
    /// Appends `specs` to the queue in one transaction, in order; returns the new jobs with their positions.
    ///
    /// New jobs land at the tail of their priority levels, so positions take two counts per level, not
    /// one count per job.
    public func submit(_ specs: [JobSpec], ownerUID: UInt32, batchID: String? = nil, now: Date = Date()) async throws
        -> [RankedJob]
    {
        try await writer.write { db in
            try Self.insertJobs(db, specs, ownerUID: ownerUID, batchID: batchID, now: now)
        }
    }

    /// Inserts `specs` at the tail of their levels, run as `shape`, inside the caller's transaction.
    static func insertJobs(
        _ db: Database,
        _ specs: [JobSpec],
        ownerUID: UInt32,
        batchID: String?,
        shape: RunShape = .single,
        now: Date
    ) throws -> [RankedJob] {
        var created: [JobRecord] = []
        created.reserveCapacity(specs.count)
        for (index, spec) in specs.enumerated() {
            var job = JobRecord(
                id: try Self.newJobID(db),
                name: spec.name,
                kind: spec.kind,
                shape: shape,
                priority: spec.priority,
                seq: try Self.allocateSeq(db),
                image: spec.image,
                spec: spec,
                gpus: spec.gpus,
                ownerUid: Int(ownerUID),
                createdAt: now,
                batchId: batchID
            )
            if batchID != nil { job.batchIndex = index }
            job.sourceJobId = spec.sourceJobID
            try job.insert(db)
            try Self.insertDependencies(db, of: job)
            try Self.appendEvent(
                db,
                .jobSubmitted,
                for: job,
                payload: Self.submittedPayload(job),
                message: "by uid \(ownerUID)",
                at: now
            )
            created.append(job)
        }
        var firstOfLevel: [Int: (ahead: Int, seq: Int64)] = [:]
        var seenInLevel: [Int: Int] = [:]
        return try created.map { job in
            if firstOfLevel[job.priority] == nil {
                firstOfLevel[job.priority] = (try Self.jobsAhead(db, priority: job.priority, seq: job.seq), job.seq)
            }
            let index = seenInLevel[job.priority, default: 0]
            seenInLevel[job.priority] = index + 1
            return RankedJob(job: job, position: firstOfLevel[job.priority]!.ahead + index + 1)
        }
    }

    /// The payload of a `job.submitted` entry.
    static func submittedPayload(_ job: JobRecord) -> [String: JSONValue] {
        var payload: [String: JSONValue] = [
            "owner_uid": .int(job.ownerUid), "image": .string(job.image), "kind": .string(job.displayedKind),
            "shape": .string(job.shape.rawValue), "priority": .int(job.priority),
        ]
        if let batch = job.batchId { payload["batch_id"] = .string(batch) }
        if let parent = job.parentId { payload["parent_id"] = .string(parent) }
        if let index = job.batchIndex { payload["index"] = .int(index) }
        return payload
    }

    /// The job with `id`, with its queue position.
    public func job(_ id: String) async throws -> RankedJob {
        try await writer.read { db in
            let job = try Self.fetchJob(db, id)
            return RankedJob(job: job, position: try Self.position(db, of: job))
        }
    }

    /// Jobs in queue order (with positions) followed by all others by creation time, optionally of one state.
    ///
    /// With `owner`, only that uid's jobs are listed; their positions stay their places in the whole queue.
    public func list(state: JobState? = nil, limit: Int? = nil, owner: Int? = nil) async throws -> [RankedJob] {
        try await writer.read { db in
            let limitSQL = limit.map { " LIMIT \(max(0, $0))" } ?? ""
            var result: [RankedJob] = []
            if state == nil || state?.isInQueue == true {
                // Positions count every queued job, so an owner's list reads the whole queue.
                let queued = try JobRecord.fetchAll(
                    db,
                    sql: "SELECT * FROM \(queueTable) WHERE \(inQueue) ORDER BY priority DESC, seq"
                        + (owner == nil ? limitSQL : "")
                )
                for (index, job) in queued.enumerated()
                where (state == nil || job.state == state) && (owner == nil || job.ownerUid == owner) {
                    result.append(RankedJob(job: job, position: index + 1))
                }
            }
            if state == nil || state?.isInQueue == false {
                var stateSQL = state.map { "state = '\($0.rawValue)'" } ?? "NOT (\(inQueue))"
                if let owner { stateSQL += " AND owner_uid = \(owner)" }
                let others = try JobRecord.fetchAll(
                    db,
                    sql: "SELECT * FROM job WHERE \(stateSQL) ORDER BY created_at, id\(limitSQL)"
                )
                result += others.map { RankedJob(job: $0, position: nil) }
            }
            if let limit, result.count > limit { result.removeLast(result.count - limit) }
            return result
        }
    }
}

// MARK: - Reordering

extension AppDatabase {
    /// Moves a queued or held job within its priority level; returns it with its new position.
    ///
    /// `passing`, when given, is called with the owners of the queued jobs the move puts this job ahead of
    /// (before anything changes); when it throws, nothing moves.
    public func move(
        _ id: String,
        to target: MoveTarget,
        passing: (@Sendable (Set<Int>) throws -> Void)? = nil
    ) async throws -> RankedJob {
        try await writer.write { db in
            let job = try Self.move(db, id, to: target, passing: passing)
            return RankedJob(job: job, position: try Self.position(db, of: job))
        }
    }

    /// Moves a job inside the caller's transaction.
    static func move(
        _ db: Database,
        _ id: String,
        to target: MoveTarget,
        passing: ((Set<Int>) throws -> Void)? = nil
    ) throws -> JobRecord {
        var job = try Self.fetchJob(db, id)
        guard job.state.isInQueue, job.parentId == nil else {
            throw StoreError.notInQueue(jobID: id, state: job.state)
        }
        let (oldSeq, priority) = (job.seq, job.priority)
        // The job lands right before `anchor`: it passes the jobs from the anchor up to its old place.
        func placeBefore(_ anchor: Int64) throws -> Int64 {
            if let passing, anchor < oldSeq {
                let owners = try Int.fetchAll(
                    db,
                    sql: """
                        SELECT DISTINCT owner_uid FROM \(queueTable)
                        WHERE \(inQueue) AND priority = ? AND seq >= ? AND seq < ? AND id != ?
                        """,
                    arguments: [priority, anchor, oldSeq, id]
                )
                try passing(Set(owners))
            }
            return try Self.keyBefore(db, anchor, priority: priority, moving: id)
        }
        // Neighbours are looked up without the moving job; only a respace parks it (see keyBefore).
        switch target {
        case .bottom:
            job.seq = try Self.allocateSeq(db)
        case .top:
            let first = try Int64.fetchOne(
                db,
                sql: "SELECT MIN(seq) FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND id != ?",
                arguments: [job.priority, id]
            )
            if let first, first != job.seq {
                job.seq = try placeBefore(first)
            }
        case .before(let otherID), .after(let otherID):
            guard otherID != id else { throw StoreError.moveRelativeToItself(id) }
            let other = try Self.fetchJob(db, otherID)
            guard other.state.isInQueue, other.parentId == nil else {
                throw StoreError.notInQueue(jobID: otherID, state: other.state)
            }
            guard other.priority == job.priority else {
                throw StoreError.differentPriority(
                    jobID: id,
                    priority: job.priority,
                    otherID: otherID,
                    otherPriority: other.priority
                )
            }
            if case .before = target {
                job.seq = try placeBefore(other.seq)
            } else if let next = try Int64.fetchOne(
                db,
                sql: "SELECT MIN(seq) FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND seq > ? AND id != ?",
                arguments: [job.priority, other.seq, id]
            ) {
                job.seq = try placeBefore(next)
            } else {
                job.seq = try Self.allocateSeq(db)
            }
        case .position(let position):
            guard position >= 1 else { throw StoreError.invalidPosition(position) }
            let occupant = try Row.fetchOne(
                db,
                sql: """
                    SELECT priority, seq FROM \(queueTable) WHERE \(inQueue) AND id != ?
                    ORDER BY priority DESC, seq LIMIT 1 OFFSET ?
                    """,
                arguments: [id, position - 1]
            )
            if let occupant {
                let priority: Int = occupant["priority"]
                if priority == job.priority {
                    job.seq = try placeBefore(occupant["seq"])
                } else if priority < job.priority {
                    // Position n lies below this level: the job goes to the bottom of its level.
                    job.seq = try Self.allocateSeq(db)
                } else if let first = try Int64.fetchOne(
                    db,
                    sql: "SELECT MIN(seq) FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND id != ?",
                    arguments: [job.priority, id]
                ), first != job.seq {
                    job.seq = try placeBefore(first)
                }
            } else {
                job.seq = try Self.allocateSeq(db)
            }
        }
        try job.update(db, columns: ["seq"])
        var payload: [String: JSONValue]
        switch target {
        case .top: payload = ["to": .string("top")]
        case .bottom: payload = ["to": .string("bottom")]
        case .before(let anchor): payload = ["to": .string("before"), "anchor": .string(anchor)]
        case .after(let anchor): payload = ["to": .string("after"), "anchor": .string(anchor)]
        case .position(let position): payload = ["to": .string("position"), "position": .int(position)]
        }
        try Self.appendEvent(db, .jobMoved, for: job, payload: payload, message: "\(target)")
        return job
    }

    /// Changes a queued or held job's priority; it keeps its key, so it keeps its submission order.
    public func setPriority(_ id: String, to priority: Int) async throws -> RankedJob {
        try await writer.write { db in
            var job = try Self.fetchJob(db, id)
            guard job.state.isInQueue, job.parentId == nil else {
                throw StoreError.notInQueue(jobID: id, state: job.state)
            }
            guard job.priority != priority else { return RankedJob(job: job, position: try Self.position(db, of: job)) }
            let previous = job.priority
            let key = job.seq
            job.seq = try Self.allocateSeq(db)
            job.priority = priority
            job.spec.priority = priority
            try job.update(db, columns: ["seq", "priority", "spec"])
            job.seq = try Self.freeKey(db, near: key, priority: priority)
            try job.update(db, columns: ["seq"])
            try Self.appendEvent(
                db,
                .jobPriorityChanged,
                for: job,
                payload: ["from": .int(previous), "to": .int(priority)],
                message: "\(priority)"
            )
            return RankedJob(job: job, position: try Self.position(db, of: job))
        }
    }

    /// Holds a queued job: it keeps its place but is skipped, until released (a batch resume leaves it held).
    public func hold(_ id: String) async throws -> RankedJob {
        try await transition(id, .hold) { $0.heldByBatch = false }
    }

    /// Releases a held job, whether its user or its batch's pause held it.
    public func release(_ id: String) async throws -> RankedJob {
        try await transition(id, .release) {
            $0.heldByBatch = false
            if $0.heldByRun != nil { $0.reason = nil }
            $0.heldByRun = nil
        }
    }

    /// Cancels a job. A queued or held job leaves the queue; a starting or running one must be stopped.
    public func cancel(_ id: String, byUID uid: UInt32, now: Date = Date()) async throws -> CancelOutcome {
        try await writer.write { db in try Self.cancel(db, id, byUID: uid, now: now) }
    }

    /// Cancels a job inside the caller's transaction.
    static func cancel(_ db: Database, _ id: String, byUID uid: UInt32, now: Date) throws -> CancelOutcome {
        var job = try Self.fetchJob(db, id)
        let wasActive = job.state.isActive
        job.state = try Self.apply(.cancel, to: job)
        job.reason = Reason.cancelled(byUID: uid)
        if !wasActive { job.finishedAt = now }
        try job.update(db)
        try Self.appendEvent(
            db,
            .jobCancelled,
            for: job,
            payload: ["uid": .int(Int(uid)), "reason": .text(job.reason), "was_active": .bool(wasActive)],
            message: job.reason ?? "",
            at: now
        )
        if job.shape == .batchParent {
            // A cancelled run cancels what of it has not ended; its container is stopped.
            for child in try Self.children(db, id) where !child.state.isTerminal {
                var cancelled = child
                cancelled.state = try Self.apply(.cancel, to: child)
                cancelled.reason = job.reason
                cancelled.finishedAt = now
                try cancelled.update(db)
                try Self.appendEvent(
                    db,
                    .jobCancelled,
                    for: cancelled,
                    payload: [
                        "uid": .int(Int(uid)), "reason": .text(cancelled.reason),
                        "was_active": .bool(child.state.isActive),
                        "parent_id": .string(id),
                    ],
                    message: "with batch run \(id)",
                    at: now
                )
            }
        }
        return CancelOutcome(job: job, needsStop: wasActive)
    }

    /// Puts a failed or cancelled job back in the queue, at its original place, as a new attempt.
    public func retry(_ id: String) async throws -> RankedJob {
        try await writer.write { db in
            let job = try Self.retry(db, id)
            return RankedJob(job: job, position: try Self.position(db, of: job))
        }
    }

    /// Puts a job back in the queue inside the caller's transaction.
    static func retry(_ db: Database, _ id: String) throws -> JobRecord {
        var job = try Self.fetchJob(db, id)
        guard job.shape != .batchParent else { throw StoreError.batchRunRetry(id) }
        if job.kind == .enhance, job.shape == .batchItem, let run = job.parentId {
            throw StoreError.enhanceItemRetry(jobID: id, runID: run, sourceID: job.sourceJobId)
        }
        job.state = try Self.apply(.retry, to: job)
        try Self.checkRetryable(db, job)
        job.retryBase = job.attempts
        job.notBefore = nil
        job.finishedAt = nil
        job.exitCode = nil
        job.error = nil
        job.host = nil
        job.devices = []
        job.containerId = nil
        job.seq = try Self.freeKey(db, near: job.seq, priority: job.priority)
        try job.update(db)
        try Self.appendEvent(
            db,
            .jobRetried,
            for: job,
            payload: ["retry_base": .int(job.retryBase)],
            message: "by user"
        )
        return job
    }

    /// Applies a user event to a job through the state machine, with `change` for extra fields.
    func transition(_ id: String, _ event: JobEvent, change: @escaping @Sendable (inout JobRecord) -> Void) async throws
        -> RankedJob
    {
        try await writer.write { db in
            var job = try Self.fetchJob(db, id)
            if event == .hold || event == .release, job.parentId != nil {
                // An item of a batch run rides with its parent: hold the parent instead.
                throw StoreError.notInQueue(jobID: id, state: job.state)
            }
            job.state = try Self.apply(event, to: job)
            change(&job)
            try job.update(db)
            try Self.appendEvent(
                db,
                Self.eventType(of: event),
                for: job,
                payload: ["by": .string("user")],
                message: job.reason ?? ""
            )
            return RankedJob(job: job, position: try Self.position(db, of: job))
        }
    }
}

// MARK: - Keys and positions

extension AppDatabase {
    /// A fresh key after every key ever allocated: where submissions and `--bottom` land.
    static func allocateSeq(_ db: Database) throws -> Int64 {
        let read = try db.cachedStatement(sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'next_seq'")
        let next = (try Int64.fetchOne(read) ?? 0) + QueueKey.gap
        try db.cachedStatement(
            sql:
                "INSERT INTO meta(key, value) VALUES ('next_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        ).execute(arguments: [String(next)])
        return next
    }

    /// A key just before `upper` within `priority`, respacing a small window of neighbours if needed.
    ///
    /// `moving` is the job that will take the key: it is not its own neighbour, and it is parked at the
    /// tail of the key space before a respace so the window never collides with it. The window starts at
    /// 32 jobs and doubles until it has room; it never rewrites the whole queue.
    static func keyBefore(_ db: Database, _ upper: Int64, priority: Int, moving: String? = nil) throws -> Int64 {
        let previous = try Int64.fetchOne(
            db,
            sql: "SELECT MAX(seq) FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND seq < ? AND id != ?",
            arguments: [priority, upper, moving ?? ""]
        )
        if let key = QueueKey.between(previous, upper) { return key }
        if let moving {
            try db.execute(sql: "UPDATE job SET seq = ? WHERE id = ?", arguments: [try allocateSeq(db), moving])
        }
        var window = 32
        while true {
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, seq FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND seq < ?
                    ORDER BY seq DESC LIMIT ?
                    """,
                arguments: [priority, upper, window + 1]
            )
            let members = rows.prefix(window).reversed().map { (id: $0["id"] as String, seq: $0["seq"] as Int64) }
            let lower: Int64? = rows.count > window ? rows[window]["seq"] : nil
            if let keys = QueueKey.respace(count: members.count + 1, lower: lower, upper: upper) {
                try applyKeys(db, members: members, keys: Array(keys.dropLast()))
                return keys[keys.count - 1]
            }
            window *= 2
        }
    }

    /// Gives `members` (ascending) their new ascending `keys` without ever colliding in the unique index.
    ///
    /// Jobs moving down are updated in ascending order, then jobs moving up in descending order.
    static func applyKeys(_ db: Database, members: [(id: String, seq: Int64)], keys: [Int64]) throws {
        let moves = zip(members, keys).filter { $0.0.seq != $0.1 }
        for (member, key) in moves where key < member.seq {
            try db.execute(sql: "UPDATE job SET seq = ? WHERE id = ?", arguments: [key, member.id])
        }
        for (member, key) in moves.reversed() where key > member.seq {
            try db.execute(sql: "UPDATE job SET seq = ? WHERE id = ?", arguments: [key, member.id])
        }
    }

    /// `key` if no queued job of `priority` holds it, else a free key just before it.
    static func freeKey(_ db: Database, near key: Int64, priority: Int) throws -> Int64 {
        let taken = try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS(SELECT 1 FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND seq = ?)",
            arguments: [priority, key]
        )
        return taken == true ? try keyBefore(db, key, priority: priority) : key
    }

    /// The 1-based rank of a queued or held job, or nil for any other job.
    ///
    /// Two index range counts (higher levels, then earlier keys in its own level): the cost grows with
    /// the rank, not with the queue behind it. (One `OR`ed count would scan the whole queue.)
    static func position(_ db: Database, of job: JobRecord) throws -> Int? {
        guard job.state.isInQueue, job.parentId == nil else { return nil }
        return try jobsAhead(db, priority: job.priority, seq: job.seq) + 1
    }

    /// Queued and held jobs ahead of a key `seq` in level `priority`.
    static func jobsAhead(_ db: Database, priority: Int, seq: Int64) throws -> Int {
        let higher = try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM \(queueTable) WHERE \(inQueue) AND priority > ?",
            arguments: [priority]
        )
        let before = try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM \(queueTable) WHERE \(inQueue) AND priority = ? AND seq < ?",
            arguments: [priority, seq]
        )
        return (higher ?? 0) + (before ?? 0)
    }

    /// The state `event` moves `job` to, or a ``StoreError/illegalTransition(jobID:_:)``.
    static func apply(_ event: JobEvent, to job: JobRecord) throws -> JobState {
        do {
            return try job.state.applying(event)
        } catch {
            throw StoreError.illegalTransition(jobID: job.id, error)
        }
    }

    /// The job `id` (a statement compiled once per connection: compiling one costs more than running it).
    static func fetchJob(_ db: Database, _ id: String) throws -> JobRecord {
        let statement = try db.cachedStatement(sql: "SELECT * FROM job WHERE id = ?")
        guard let job = try JobRecord.fetchOne(statement, arguments: [id]) else { throw StoreError.jobNotFound(id) }
        return job
    }

    static func newJobID(_ db: Database) throws -> String {
        let exists = try db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM job WHERE id = ?)")
        while true {
            let id = JobID.make()
            if try Bool.fetchOne(exists, arguments: [id]) != true { return id }
        }
    }
}
