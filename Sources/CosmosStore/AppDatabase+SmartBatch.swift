import CosmosDomain
import Foundation
import GRDB

/// Smart batching: analyses of the paused queue, their execution into batch runs, and the learned cost model.
///
/// Each operation is one transaction: an analysis reads the queue it plans in the transaction that stores it,
/// and an execution checks the fingerprint in the transaction that regroups the jobs, so nothing can slip in
/// between.
extension AppDatabase {
    static func migrateSmartBatching(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE smart_batch_plan (
                    id TEXT PRIMARY KEY,
                    created_at TEXT NOT NULL,
                    state TEXT NOT NULL,
                    body TEXT NOT NULL
                );
                CREATE INDEX smart_batch_plan_state ON smart_batch_plan(state, created_at);
                -- Finished, successful runs: (items, seconds) per image and control signature.
                CREATE TABLE cost_sample (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    image TEXT NOT NULL,
                    controls TEXT NOT NULL,
                    items INTEGER NOT NULL,
                    seconds REAL NOT NULL,
                    load_seconds REAL,
                    host TEXT,
                    at TEXT NOT NULL
                );
                CREATE INDEX cost_sample_key ON cost_sample(image, controls, id);
                -- Limits learned from out-of-memory batch runs: half the run's size.
                CREATE TABLE batch_limit (
                    image TEXT NOT NULL,
                    controls INTEGER NOT NULL,
                    host TEXT NOT NULL,
                    max_items INTEGER NOT NULL,
                    at TEXT NOT NULL,
                    PRIMARY KEY (image, controls, host)
                );
                -- Seconds from a run's start to its "model loaded" line, when it printed one.
                ALTER TABLE job ADD COLUMN load_seconds REAL;
                """
        )
    }

    // MARK: Analysis

    /// Plans the paused queue and stores the analysis, replacing an earlier one that was not executed.
    ///
    /// `limits` carries `[batch_runs]` and `--max-batch`; the limits learned from out-of-memory runs are added
    /// here. Groups are estimated with the cost model, or `defaults` while it has too few samples.
    public func analyzeSmartBatch(
        mode: SmartBatchPlanner.Mode,
        limits: SmartBatchPlanner.Limits,
        defaults: CostModel.Estimate,
        now: Date = Date()
    ) async throws -> SmartBatchAnalysis {
        try await writer.write { db in
            guard try Self.isPaused(db) else { throw SmartBatchError.notPaused }
            let (queue, active) = try Self.smartBatchCandidates(db)
            var limits = limits
            limits.learned = try Self.learnedLimits(db)
            let plan = SmartBatchPlanner.plan(queue, mode: mode, limits: limits)
            let runs = try plan.groups.map { group in
                SmartBatchAnalysis.Run(
                    group: group,
                    estimate: try Self.costEstimate(
                        db,
                        image: group.image,
                        controls: group.controls,
                        defaults: defaults
                    )
                )
            }
            let analysis = SmartBatchAnalysis(
                id: "sb-" + JobID.make(),
                createdAt: now,
                fingerprint: SmartBatchPlanner.fingerprint(queue, active: active),
                queueIDs: queue.map(\.jobID),
                activeIDs: active,
                plan: plan,
                runs: runs
            )
            try db.execute(sql: "UPDATE smart_batch_plan SET state = 'discarded' WHERE state = 'analyzed'")
            try Self.save(db, analysis)
            return analysis
        }
    }

    /// The stored analysis and, when the queue changed since, what changed.
    public func smartBatchPreview() async throws -> (analysis: SmartBatchAnalysis, changes: String?) {
        try await writer.read { db in
            let analysis = try Self.currentAnalysis(db)
            let (queue, active) = try Self.smartBatchCandidates(db)
            return (analysis, analysis.changes(queue: queue, active: active))
        }
    }

    /// Turns each group of the stored analysis into a batch run, in one transaction, unless it is stale.
    ///
    /// The children keep their ids, owners, names, named batches and specs; the parent takes the queue place of
    /// the group's first job. In mixed mode the parent's `controls` are the master set, each at weight 0, and
    /// the runner gives every item the master controls it lacks at weight 0. Returns the executed analysis with
    /// each run's parent id.
    public func executeSmartBatch(now: Date = Date()) async throws -> SmartBatchAnalysis {
        try await writer.write { db in
            var analysis = try Self.currentAnalysis(db)
            guard try Self.isPaused(db) else { throw SmartBatchError.notPaused }
            let (queue, active) = try Self.smartBatchCandidates(db)
            if let changes = analysis.changes(queue: queue, active: active) {
                throw SmartBatchError.stale(planID: analysis.id, changes: changes)
            }
            let unlimited = BatchRun.Limits(oneControl: .max, twoControls: .max, moreControls: .max)
            for index in analysis.runs.indices {
                let group = analysis.runs[index].group
                let members = try group.jobIDs.map { try Self.fetchJob(db, $0) }
                var parentSpec = try BatchRun.parentSpec(for: members.map(\.spec), limits: unlimited)
                if analysis.plan.mode == .mixed {
                    parentSpec.controls = Dictionary(uniqueKeysWithValues: group.controls.map { ($0, 0) })
                }
                parentSpec.name = "smart batch of \(members.count)"
                let first = members[0]
                let parentID = try Self.newJobID(db)
                for (itemIndex, member) in members.enumerated() {
                    var child = member
                    child.shape = .batchItem
                    child.parentId = parentID
                    child.batchIndex = itemIndex
                    try child.update(db)
                }
                let parent = JobRecord(
                    id: parentID,
                    name: parentSpec.name,
                    kind: parentSpec.kind,
                    shape: .batchParent,
                    priority: first.priority,
                    seq: first.seq,
                    image: parentSpec.image,
                    spec: parentSpec,
                    gpus: parentSpec.gpus,
                    ownerUid: first.ownerUid,
                    createdAt: now
                )
                try parent.insert(db)
                try Self.appendEvent(
                    db,
                    .jobSubmitted,
                    for: parent,
                    payload: Self.submittedPayload(parent).merging(["plan_id": .string(analysis.id)]) { $1 },
                    message: "smart batch \(analysis.id): \(members.count) jobs",
                    at: now
                )
                analysis.runs[index].parentID = parentID
            }
            analysis.state = .executed
            analysis.executedAt = now
            try Self.save(db, analysis)
            try Self.appendEvent(
                db,
                .smartBatchExecuted,
                payload: [
                    "plan_id": .string(analysis.id),
                    "runs": .strings(analysis.runs.compactMap(\.parentID)),
                    "jobs": .int(analysis.runs.map(\.group.size).reduce(0, +)),
                ],
                message: "\(analysis.runs.count) batch runs of \(analysis.runs.map(\.group.size).reduce(0, +)) jobs",
                at: now
            )
            return analysis
        }
    }

    /// Discards the stored analysis; returns its id.
    public func discardSmartBatch() async throws -> String {
        try await writer.write { db in
            var analysis = try Self.currentAnalysis(db)
            analysis.state = .discarded
            try Self.save(db, analysis)
            return analysis.id
        }
    }

    /// The last executed plan: predicted against measured, per run and in total.
    ///
    /// The time the jobs would have taken alone comes from the cost model as it is now (`defaults` while it
    /// has too few samples).
    public func smartBatchReport(defaults: CostModel.Estimate) async throws -> SmartBatchReport {
        try await writer.read { db in
            guard
                let body = try String.fetchOne(
                    db,
                    sql: "SELECT body FROM smart_batch_plan WHERE state = 'executed' ORDER BY created_at DESC LIMIT 1"
                )
            else { throw SmartBatchError.noExecutedPlan }
            let analysis = try Self.decode(body)
            var runs: [SmartBatchReport.Run] = []
            for run in analysis.runs {
                guard let parentID = run.parentID, let parent = try JobRecord.fetchOne(db, key: parentID) else {
                    continue
                }
                let items = try JobRecord.fetchAll(
                    db,
                    sql: "SELECT * FROM job WHERE id IN (\(databaseQuestionMarks(count: run.group.jobIDs.count)))",
                    arguments: StatementArguments(run.group.jobIDs)
                )
                let now = try Self.costEstimate(
                    db,
                    image: run.group.image,
                    controls: run.group.controls,
                    defaults: defaults
                )
                var measured: Double?
                if parent.state.isTerminal, let started = parent.startedAt, let finished = parent.finishedAt {
                    measured = finished.timeIntervalSince(started)
                }
                runs.append(
                    SmartBatchReport.Run(
                        parentID: parentID,
                        size: run.group.size,
                        state: parent.state,
                        predictedSeconds: run.predictedSeconds,
                        measuredSeconds: measured,
                        aloneSeconds: now.aloneSeconds(items: run.group.size),
                        failedItems: items.filter { $0.parentId == parentID && $0.state == .failed }.map(\.id).sorted(),
                        requeuedItems: items.filter { $0.parentId == nil }.map(\.id).sorted()
                    )
                )
            }
            return SmartBatchReport(planID: analysis.id, predictedSpeedup: analysis.expectedSpeedup, runs: runs)
        }
    }

    // MARK: Cost model

    /// Every (image, control signature) with samples, with its estimate.
    public func costModel(defaults: CostModel.Estimate) async throws -> [CostModelEntry] {
        try await writer.read { db in
            let keys = try Row.fetchAll(
                db,
                sql: "SELECT DISTINCT image, controls FROM cost_sample ORDER BY image, controls"
            )
            return try keys.map { row in
                let image: String = row["image"]
                let controls = Self.controls(from: row["controls"])
                return CostModelEntry(
                    image: image,
                    controls: controls,
                    estimate: try Self.costEstimate(db, image: image, controls: controls, defaults: defaults)
                )
            }
        }
    }

    /// Records how long a finished, successful run took, keeping the newest ``CostModel/historyLimit`` per key.
    /// Only inference runs count: they are what smart batching groups.
    static func recordCostSample(_ db: Database, run: JobRecord, items: [JobRecord]?, now: Date) throws {
        guard run.kind == .inference, let started = run.startedAt else { return }
        // The items the run worked on: those cancelled before or during it count for nothing.
        let worked = items?.filter { $0.state != .cancelled } ?? [run]
        guard !worked.isEmpty else { return }
        let controls = Array(Set((items ?? [run]).flatMap(\.spec.activeControls))).sorted()
        let key = controls.joined(separator: ",")
        try db.execute(
            sql: """
                INSERT INTO cost_sample(image, controls, items, seconds, load_seconds, host, at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                run.image, key, worked.count, max(now.timeIntervalSince(started), 0), run.loadSeconds, run.host,
                now,
            ]
        )
        try db.execute(
            sql: """
                DELETE FROM cost_sample WHERE image = ? AND controls = ? AND id NOT IN (
                    SELECT id FROM cost_sample WHERE image = ? AND controls = ? ORDER BY id DESC LIMIT ?)
                """,
            arguments: [run.image, key, run.image, key, CostModel.historyLimit]
        )
    }

    /// Records the lower limit an out-of-memory batch run teaches: half its size, for its image, control count
    /// and host. A lower limit already recorded stays.
    static func recordMemoryLimit(_ db: Database, run: JobRecord, items: [JobRecord], now: Date) throws {
        guard let host = run.host, items.count > 1 else { return }
        let controls = max(Set(items.flatMap(\.spec.activeControls)).count, 1)
        try db.execute(
            sql: """
                INSERT INTO batch_limit(image, controls, host, max_items, at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(image, controls, host) DO UPDATE SET
                    max_items = MIN(max_items, excluded.max_items), at = excluded.at
                """,
            arguments: [run.image, controls, host, max(items.count / 2, 1), now]
        )
    }

    // MARK: Helpers

    /// The queued and held top-level jobs in queue order, and the ids of the running ones.
    static func smartBatchCandidates(_ db: Database) throws -> (queue: [SmartBatchPlanner.Candidate], active: [String])
    {
        let jobs = try JobRecord.fetchAll(
            db,
            sql: "SELECT * FROM \(queueTable) WHERE \(inQueue) ORDER BY priority DESC, seq"
        )
        let queue = jobs.map { job in
            SmartBatchPlanner.Candidate(
                jobID: job.id,
                spec: job.spec,
                shape: job.shape,
                held: job.state == .held && !job.heldByBatch,
                pausedBatch: job.state == .held && job.heldByBatch ? job.batchId : nil
            )
        }
        let active = try String.fetchAll(
            db,
            sql: "SELECT id FROM job WHERE state IN ('starting', 'running') AND parent_id IS NULL ORDER BY id"
        )
        return (queue, active)
    }

    static func learnedLimits(_ db: Database) throws -> [SmartBatchPlanner.LearnedLimit] {
        try Row.fetchAll(db, sql: "SELECT * FROM batch_limit ORDER BY image, controls, host").map { row in
            SmartBatchPlanner.LearnedLimit(
                image: row["image"],
                controls: row["controls"],
                host: row["host"],
                maxItems: row["max_items"]
            )
        }
    }

    static func costEstimate(_ db: Database, image: String, controls: [String], defaults: CostModel.Estimate) throws
        -> CostModel.Estimate
    {
        let samples = try Row.fetchAll(
            db,
            sql: "SELECT items, seconds, load_seconds FROM cost_sample WHERE image = ? AND controls = ? ORDER BY id",
            arguments: [image, controls.joined(separator: ",")]
        ).map { row in
            CostModel.Sample(items: row["items"], seconds: row["seconds"], loadSeconds: row["load_seconds"])
        }
        return CostModel.estimate(samples, defaults: defaults)
    }

    static func controls(from key: String) -> [String] {
        key.split(separator: ",").map(String.init)
    }

    static func currentAnalysis(_ db: Database) throws -> SmartBatchAnalysis {
        guard
            let body = try String.fetchOne(
                db,
                sql: "SELECT body FROM smart_batch_plan WHERE state = 'analyzed' ORDER BY created_at DESC LIMIT 1"
            )
        else { throw SmartBatchError.noAnalysis }
        return try decode(body)
    }

    static func save(_ db: Database, _ analysis: SmartBatchAnalysis) throws {
        let body = String(decoding: try JSONEncoder().encode(analysis), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO smart_batch_plan(id, created_at, state, body) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET state = excluded.state, body = excluded.body
                """,
            arguments: [analysis.id, analysis.createdAt, analysis.state.rawValue, body]
        )
    }

    static func decode(_ body: String) throws -> SmartBatchAnalysis {
        try JSONDecoder().decode(SmartBatchAnalysis.self, from: Data(body.utf8))
    }
}
