import CosmosDomain

/// `POST /v1/smart-batch/analyze`: `cosmosctl smart-batch analyze [--mixed] [--max-batch N]`.
public struct SmartBatchAnalyzeRequest: Codable, Sendable, Equatable {
    public var mixed: Bool
    /// Lowers the configured limits; it can never raise them.
    public var maxBatch: Int?

    public init(mixed: Bool = false, maxBatch: Int? = nil) {
        self.mixed = mixed
        self.maxBatch = maxBatch
    }

    enum CodingKeys: String, CodingKey {
        case mixed
        case maxBatch = "max_batch"
    }
}

/// `POST /v1/smart-batch/execute`.
public struct SmartBatchExecuteRequest: Codable, Sendable, Equatable {
    /// Leave the queue paused after execution (the default resumes it).
    public var keepPaused: Bool

    public init(keepPaused: Bool = false) { self.keepPaused = keepPaused }

    enum CodingKeys: String, CodingKey {
        case keepPaused = "keep_paused"
    }
}

/// A stored analysis, as `smart-batch analyze --json` and `preview --json` print it.
public struct SmartBatchPlanView: Codable, Sendable, Equatable {
    /// One group: jobs that would share one container.
    public struct Group: Codable, Sendable, Equatable {
        public var jobIds: [String]
        /// The control signature (strict) or the master controls (mixed).
        public var controls: [String]
        public var size: Int
        public var limit: Int
        /// Why the limit is below the configured one (`--max-batch`, an out-of-memory run); null otherwise.
        public var limitNote: String?
        public var expectedSpeedup: Double
        /// L, c and where they come from, for this group's image and controls.
        public var setupSeconds: Double
        public var itemSeconds: Double
        public var estimate: String
        public var samples: Int

        public init(
            jobIds: [String],
            controls: [String],
            size: Int,
            limit: Int,
            limitNote: String?,
            expectedSpeedup: Double,
            setupSeconds: Double,
            itemSeconds: Double,
            estimate: String,
            samples: Int
        ) {
            self.jobIds = jobIds
            self.controls = controls
            self.size = size
            self.limit = limit
            self.limitNote = limitNote
            self.expectedSpeedup = expectedSpeedup
            self.setupSeconds = setupSeconds
            self.itemSeconds = itemSeconds
            self.estimate = estimate
            self.samples = samples
        }

        enum CodingKeys: String, CodingKey {
            case jobIds = "job_ids"
            case controls, size, limit
            case limitNote = "limit_note"
            case expectedSpeedup = "expected_speedup"
            case setupSeconds = "setup_seconds"
            case itemSeconds = "item_seconds"
            case estimate, samples
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(jobIds, forKey: .jobIds)
            try c.encode(controls, forKey: .controls)
            try c.encode(size, forKey: .size)
            try c.encode(limit, forKey: .limit)
            try c.encode(limitNote, forKey: .limitNote)
            try c.encode(expectedSpeedup, forKey: .expectedSpeedup)
            try c.encode(setupSeconds, forKey: .setupSeconds)
            try c.encode(itemSeconds, forKey: .itemSeconds)
            try c.encode(estimate, forKey: .estimate)
            try c.encode(samples, forKey: .samples)
        }
    }

    public var id: String
    /// `strict` or `mixed`.
    public var mode: SmartBatchPlanner.Mode
    public var stale: Bool
    /// What changed since the analysis, when it is stale; null otherwise.
    public var changes: String?
    public var createdAt: String
    public var groups: [Group]
    /// Jobs that stay alone, each with its reason (`{"job_id", "reason"}`).
    public var excluded: [SmartBatchPlanner.Exclusion]
    public var jobsBefore: Int
    public var runsAfter: Int
    /// Over the grouped jobs: their time alone over their time in the planned runs.
    public var expectedSpeedup: Double
    /// `learned` when every group's estimate comes from measured runs, else `default`.
    public var estimate: String

    public init(
        id: String,
        mode: SmartBatchPlanner.Mode,
        stale: Bool,
        changes: String?,
        createdAt: String,
        groups: [Group],
        excluded: [SmartBatchPlanner.Exclusion],
        jobsBefore: Int,
        runsAfter: Int,
        expectedSpeedup: Double,
        estimate: String
    ) {
        self.id = id
        self.mode = mode
        self.stale = stale
        self.changes = changes
        self.createdAt = createdAt
        self.groups = groups
        self.excluded = excluded
        self.jobsBefore = jobsBefore
        self.runsAfter = runsAfter
        self.expectedSpeedup = expectedSpeedup
        self.estimate = estimate
    }

    enum CodingKeys: String, CodingKey {
        case id, mode, stale, changes, groups, excluded, estimate
        case createdAt = "created_at"
        case jobsBefore = "jobs_before"
        case runsAfter = "runs_after"
        case expectedSpeedup = "expected_speedup"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(mode, forKey: .mode)
        try c.encode(stale, forKey: .stale)
        try c.encode(changes, forKey: .changes)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(groups, forKey: .groups)
        try c.encode(excluded, forKey: .excluded)
        try c.encode(jobsBefore, forKey: .jobsBefore)
        try c.encode(runsAfter, forKey: .runsAfter)
        try c.encode(expectedSpeedup, forKey: .expectedSpeedup)
        try c.encode(estimate, forKey: .estimate)
    }
}

/// `smart-batch execute --json`.
public struct SmartBatchExecutedView: Codable, Sendable, Equatable {
    public var planId: String
    /// The parent job of each batch run made.
    public var runs: [String]
    /// Jobs regrouped.
    public var jobs: Int
    /// Whether the queue was resumed.
    public var resumed: Bool

    public init(planId: String, runs: [String], jobs: Int, resumed: Bool) {
        self.planId = planId
        self.runs = runs
        self.jobs = jobs
        self.resumed = resumed
    }

    enum CodingKeys: String, CodingKey {
        case planId = "plan_id"
        case runs, jobs, resumed
    }
}

/// `smart-batch discard --json`.
public struct SmartBatchDiscardedView: Codable, Sendable, Equatable {
    public var planId: String

    public init(planId: String) { self.planId = planId }

    enum CodingKeys: String, CodingKey {
        case planId = "plan_id"
    }
}

/// `smart-batch report --json`: the last executed plan, predicted against measured.
public struct SmartBatchReportView: Codable, Sendable, Equatable {
    /// One batch run of the plan.
    public struct Run: Codable, Sendable, Equatable {
        public var parentId: String
        public var size: Int
        /// The parent's state (`queued` … `succeeded`, `failed`).
        public var state: String
        public var predictedSeconds: Double
        /// Null until the run has ended.
        public var measuredSeconds: Double?
        /// The same jobs run alone, from the cost model.
        public var aloneSeconds: Double
        public var failedItems: [String]
        /// Items put back alone because the run failed as a whole.
        public var requeuedItems: [String]

        public init(
            parentId: String,
            size: Int,
            state: String,
            predictedSeconds: Double,
            measuredSeconds: Double?,
            aloneSeconds: Double,
            failedItems: [String],
            requeuedItems: [String]
        ) {
            self.parentId = parentId
            self.size = size
            self.state = state
            self.predictedSeconds = predictedSeconds
            self.measuredSeconds = measuredSeconds
            self.aloneSeconds = aloneSeconds
            self.failedItems = failedItems
            self.requeuedItems = requeuedItems
        }

        enum CodingKeys: String, CodingKey {
            case parentId = "parent_id"
            case size, state
            case predictedSeconds = "predicted_seconds"
            case measuredSeconds = "measured_seconds"
            case aloneSeconds = "alone_seconds"
            case failedItems = "failed_items"
            case requeuedItems = "requeued_items"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(parentId, forKey: .parentId)
            try c.encode(size, forKey: .size)
            try c.encode(state, forKey: .state)
            try c.encode(predictedSeconds, forKey: .predictedSeconds)
            try c.encode(measuredSeconds, forKey: .measuredSeconds)
            try c.encode(aloneSeconds, forKey: .aloneSeconds)
            try c.encode(failedItems, forKey: .failedItems)
            try c.encode(requeuedItems, forKey: .requeuedItems)
        }
    }

    public var planId: String
    public var predictedSpeedup: Double
    /// Alone over measured, over the runs that ended; null until one has.
    public var measuredSpeedup: Double?
    /// Items that failed, over all runs.
    public var failedItems: Int
    public var runs: [Run]

    public init(planId: String, predictedSpeedup: Double, measuredSpeedup: Double?, failedItems: Int, runs: [Run]) {
        self.planId = planId
        self.predictedSpeedup = predictedSpeedup
        self.measuredSpeedup = measuredSpeedup
        self.failedItems = failedItems
        self.runs = runs
    }

    enum CodingKeys: String, CodingKey {
        case planId = "plan_id"
        case predictedSpeedup = "predicted_speedup"
        case measuredSpeedup = "measured_speedup"
        case failedItems = "failed_items"
        case runs
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(planId, forKey: .planId)
        try c.encode(predictedSpeedup, forKey: .predictedSpeedup)
        try c.encode(measuredSpeedup, forKey: .measuredSpeedup)
        try c.encode(failedItems, forKey: .failedItems)
        try c.encode(runs, forKey: .runs)
    }
}

/// One (image, control signature) of `cosmosctl cost-model --json`.
public struct CostModelView: Codable, Sendable, Equatable {
    public var image: String
    public var controls: [String]
    public var samples: Int
    /// L: container start and model load.
    public var setupSeconds: Double
    /// c: one item.
    public var itemSeconds: Double
    /// 1 + L/c, the most any run size can save; null when c is 0.
    public var bound: Double?
    /// Whether L and c are learned (else the configured defaults).
    public var learned: Bool

    public init(
        image: String,
        controls: [String],
        samples: Int,
        setupSeconds: Double,
        itemSeconds: Double,
        bound: Double?,
        learned: Bool
    ) {
        self.image = image
        self.controls = controls
        self.samples = samples
        self.setupSeconds = setupSeconds
        self.itemSeconds = itemSeconds
        self.bound = bound
        self.learned = learned
    }

    enum CodingKeys: String, CodingKey {
        case image, controls, samples, bound, learned
        case setupSeconds = "setup_seconds"
        case itemSeconds = "item_seconds"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(image, forKey: .image)
        try c.encode(controls, forKey: .controls)
        try c.encode(samples, forKey: .samples)
        try c.encode(setupSeconds, forKey: .setupSeconds)
        try c.encode(itemSeconds, forKey: .itemSeconds)
        try c.encode(bound, forKey: .bound)
        try c.encode(learned, forKey: .learned)
    }
}
