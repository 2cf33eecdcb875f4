/// The life-cycle state of a job.
public enum JobState: String, Codable, Sendable, CaseIterable {
    /// Waiting in the queue, eligible to start.
    case queued
    /// In the queue, keeping its place, but skipped until released.
    case held
    /// Claimed by the scheduler; its container is being created and started.
    case starting
    /// Its container is running.
    case running
    /// Finished with exit code 0.
    case succeeded
    /// Finished unsuccessfully, out of attempts.
    case failed
    /// Cancelled by a user.
    case cancelled

    /// Whether the job has finished for good (until a user retries it).
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: true
        case .queued, .held, .starting, .running: false
        }
    }

    /// Whether the job holds a place in the queue (and so has a position).
    public var isInQueue: Bool { self == .queued || self == .held }

    /// Whether the job has (or is about to have) a container.
    public var isActive: Bool { self == .starting || self == .running }
}
