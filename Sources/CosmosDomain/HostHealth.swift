/// What probes say of one host: up or down, and since when (pure; the monitor feeds it).
///
/// A host starts `up`. It goes `down` after `downAfterFailures` failed probes in a row, and `up`
/// again on the first probe that answers. Times are seconds on a monotonic clock.
public struct HostHealth: Sendable, Equatable {
    /// Whether the engine answers.
    public enum Status: String, Sendable, Equatable {
        case up, down
    }

    /// A change worth acting on.
    public enum Transition: Sendable, Equatable {
        case wentDown
        case cameUp
    }

    public private(set) var status: Status = .up
    /// Failed probes since the last answer.
    public private(set) var consecutiveFailures = 0
    /// When the host went down (nil while up).
    public private(set) var downSince: Double?
    /// What the last failed probe said.
    public private(set) var lastError: String?

    public init() {}

    /// Records an answered probe; `.cameUp` if the host was down.
    public mutating func recordSuccess() -> Transition? {
        consecutiveFailures = 0
        lastError = nil
        guard status == .down else { return nil }
        status = .up
        downSince = nil
        return .cameUp
    }

    /// Records a failed probe; `.wentDown` when this one reaches the threshold.
    public mutating func recordFailure(_ error: String, at now: Double, downAfterFailures: Int) -> Transition? {
        consecutiveFailures += 1
        lastError = error
        guard status == .up, consecutiveFailures >= downAfterFailures else { return nil }
        status = .down
        downSince = now
        return .wentDown
    }

    /// Whether the host has been down for at least `grace` seconds: its jobs go back to the queue.
    public func graceExpired(at now: Double, grace: Double) -> Bool {
        guard status == .down, let downSince else { return false }
        return now - downSince >= grace
    }
}

/// A host's state as `cosmosctl hosts` shows it.
public enum HostDisplayState: String, Sendable, Equatable, CaseIterable, Codable {
    /// Answers and takes work.
    case up
    /// Does not answer; takes no work.
    case down
    /// Drained by an operator, with jobs still running.
    case draining
    /// Drained by an operator, nothing running.
    case drained

    /// Combines health, the operator's drain and what runs there; `down` wins over a drain.
    public init(status: HostHealth.Status, draining: Bool, running: Int) {
        if status == .down {
            self = .down
        } else if draining {
            self = running > 0 ? .draining : .drained
        } else {
            self = .up
        }
    }
}
