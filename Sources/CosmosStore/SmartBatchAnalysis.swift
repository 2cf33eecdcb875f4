import CosmosDomain
import Foundation

/// A stored smart-batch analysis: the plan, what it expects, and what it saw (to tell when it is stale).
public struct SmartBatchAnalysis: Codable, Sendable, Equatable {
    /// Where the analysis stands.
    public enum State: String, Codable, Sendable {
        /// Shown, not applied: nothing in the queue changed.
        case analyzed
        /// Applied: its groups became batch runs.
        case executed
        /// Replaced by a newer analysis or discarded by a user.
        case discarded
    }

    /// One group with its cost estimate, and once executed the batch run it became.
    public struct Run: Codable, Sendable, Equatable {
        public var group: SmartBatchPlanner.Group
        /// L and c for the group's image and controls when it was analyzed.
        public var estimate: CostModel.Estimate
        /// The parent job of the batch run, once executed.
        public var parentID: String?

        public init(group: SmartBatchPlanner.Group, estimate: CostModel.Estimate, parentID: String? = nil) {
            self.group = group
            self.estimate = estimate
            self.parentID = parentID
        }

        /// n(L+c)/(L+nc).
        public var expectedSpeedup: Double { estimate.speedup(items: group.size) }
        /// L + n·c.
        public var predictedSeconds: Double { estimate.runSeconds(items: group.size) }
        /// n·(L+c).
        public var aloneSeconds: Double { estimate.aloneSeconds(items: group.size) }
    }

    public var id: String
    public var createdAt: Date
    public var state: State
    /// ``SmartBatchPlanner/fingerprint(_:active:)`` of the queue it saw.
    public var fingerprint: String
    /// The queued jobs it saw, in queue order, and the running ones: to say what changed.
    public var queueIDs: [String]
    public var activeIDs: [String]
    public var plan: SmartBatchPlanner.Plan
    public var runs: [Run]
    public var executedAt: Date?

    public init(
        id: String,
        createdAt: Date,
        state: State = .analyzed,
        fingerprint: String,
        queueIDs: [String],
        activeIDs: [String],
        plan: SmartBatchPlanner.Plan,
        runs: [Run],
        executedAt: Date? = nil
    ) {
        self.id = id
        self.createdAt = createdAt
        self.state = state
        self.fingerprint = fingerprint
        self.queueIDs = queueIDs
        self.activeIDs = activeIDs
        self.plan = plan
        self.runs = runs
        self.executedAt = executedAt
    }

    /// Over the grouped jobs: their time alone over their time in the planned runs.
    public var expectedSpeedup: Double {
        let together = runs.map(\.predictedSeconds).reduce(0, +)
        return together > 0 ? runs.map(\.aloneSeconds).reduce(0, +) / together : 1
    }

    /// Whether every group's estimate was learned (else some use the configured defaults).
    public var learned: Bool { !runs.isEmpty && runs.allSatisfy(\.estimate.learned) }

    /// What differs between what the analysis saw and `queue`/`active` now, in words; nil when nothing does.
    public func changes(queue: [SmartBatchPlanner.Candidate], active: [String]) -> String? {
        guard SmartBatchPlanner.fingerprint(queue, active: active) != fingerprint else { return nil }
        let now = queue.map(\.jobID)
        let added = now.filter { !Set(queueIDs).contains($0) }
        let removed = queueIDs.filter { !Set(now).contains($0) }
        var parts: [String] = []
        if !added.isEmpty { parts.append("\(added.count) job(s) joined the queue (\(Self.list(added)))") }
        if !removed.isEmpty { parts.append("\(removed.count) job(s) left the queue (\(Self.list(removed)))") }
        if Set(active) != Set(activeIDs) { parts.append("running jobs changed") }
        if parts.isEmpty {
            parts.append(now == queueIDs ? "a queued job's spec, hold or priority changed" : "the queue order changed")
        }
        return parts.joined(separator: "; ")
    }

    static func list(_ ids: [String]) -> String {
        ids.count <= 5 ? ids.joined(separator: ", ") : ids.prefix(5).joined(separator: ", ") + ", …"
    }
}

/// What a smart-batch command could not do, and what to do instead.
public enum SmartBatchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Analyze and execute need a paused queue.
    case notPaused
    /// Preview, execute and discard need a stored analysis.
    case noAnalysis
    /// The queue changed since the analysis; nothing was changed.
    case stale(planID: String, changes: String)
    /// Report needs an executed plan.
    case noExecutedPlan

    public var description: String {
        switch self {
        case .notPaused:
            "smart batching needs a paused queue: run cosmosctl pause first"
        case .noAnalysis:
            "there is no smart-batch analysis: run cosmosctl smart-batch analyze first"
        case .stale(let id, let changes):
            "analysis \(id) is stale (\(changes)); nothing was changed: run cosmosctl smart-batch analyze again"
        case .noExecutedPlan:
            "no smart-batch plan has been executed yet: cosmosctl smart-batch execute runs one"
        }
    }
}

/// What an executed plan predicted and what its runs took.
public struct SmartBatchReport: Sendable, Equatable {
    /// One batch run of the plan.
    public struct Run: Sendable, Equatable {
        public var parentID: String
        public var size: Int
        public var state: JobState
        public var predictedSeconds: Double
        /// From the run's start to its end; nil while it has not ended.
        public var measuredSeconds: Double?
        /// The same jobs alone, from the cost model now.
        public var aloneSeconds: Double
        public var failedItems: [String]
        /// Items that went back to the queue alone because the run failed as a whole.
        public var requeuedItems: [String]
    }

    public var planID: String
    public var predictedSpeedup: Double
    public var runs: [Run]

    /// Alone over measured, over the runs that ended; nil until one has.
    public var measuredSpeedup: Double? {
        let ended = runs.filter { $0.measuredSeconds != nil }
        let measured = ended.compactMap(\.measuredSeconds).reduce(0, +)
        return ended.isEmpty || measured <= 0 ? nil : ended.map(\.aloneSeconds).reduce(0, +) / measured
    }

    public var failedItems: Int { runs.map(\.failedItems.count).reduce(0, +) }
}

/// One (image, control signature) of the learned cost model.
public struct CostModelEntry: Sendable, Equatable {
    public var image: String
    public var controls: [String]
    public var estimate: CostModel.Estimate
}
