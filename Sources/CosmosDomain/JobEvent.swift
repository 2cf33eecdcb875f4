/// Something that happens to a job; the input of ``JobState/applying(_:)``.
public enum JobEvent: Sendable, Equatable {
    /// The scheduler claimed the job for a start.
    case claim
    /// Its container started.
    case start
    /// Its container ended with exit code 0.
    case succeed
    /// It ended unsuccessfully and will not be retried.
    case fail
    /// It is put back in the queue for another attempt (infrastructure failure, retry policy).
    case requeue
    /// A user cancelled it.
    case cancel
    /// A user held it in the queue.
    case hold
    /// A user released a held job.
    case release
    /// A user retried a finished, unsuccessful job.
    case retry

    /// A short verb for messages ("cannot cancel a job that is succeeded").
    public var verb: String {
        switch self {
        case .claim: "claim"
        case .start: "start"
        case .succeed: "succeed"
        case .fail: "fail"
        case .requeue: "requeue"
        case .cancel: "cancel"
        case .hold: "hold"
        case .release: "release"
        case .retry: "retry"
        }
    }
}
