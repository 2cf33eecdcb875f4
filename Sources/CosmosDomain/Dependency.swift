/// One job waiting for another: Slurm's `afterok` (``Condition/succeeded``) or `afterany` (``Condition/ended``).
public struct Dependency: Sendable, Equatable, Hashable, Codable {
    /// What the awaited job must do before the dependent may start.
    public enum Condition: String, Sendable, Codable, CaseIterable {
        /// It must succeed; if it fails or is cancelled, the dependent fails too (`after`).
        case succeeded = "ok"
        /// It must end, whatever the result (`after_any`).
        case ended = "any"
    }

    /// The awaited job.
    public var jobID: String
    public var condition: Condition

    public init(jobID: String, condition: Condition) {
        self.jobID = jobID
        self.condition = condition
    }

    /// Whether an awaited job in `state` lets the dependent start.
    public func isSatisfied(by state: JobState) -> Bool {
        switch condition {
        case .succeeded: state == .succeeded
        case .ended: state.isTerminal
        }
    }

    /// Whether an awaited job in `state` means the dependent can never start (an `after` job that failed or was
    /// cancelled: Slurm's DependencyNeverSatisfied, made final).
    public func isBroken(by state: JobState) -> Bool {
        condition == .succeeded && (state == .failed || state == .cancelled)
    }

    /// The pending reason of a dependent waiting for a job in `state`.
    public func waitingReason(state: JobState) -> String {
        switch condition {
        case .succeeded: "waiting for job \(jobID) (\(state.rawValue))"
        case .ended: "waiting for job \(jobID) to end (\(state.rawValue))"
        }
    }
}
