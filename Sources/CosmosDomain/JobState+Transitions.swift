/// A refused state change: the event does not apply to the job's current state.
public struct IllegalTransition: Error, Equatable, CustomStringConvertible, Sendable {
    /// The state the job was in.
    public let from: JobState
    /// The event that was refused.
    public let event: JobEvent

    public init(from: JobState, event: JobEvent) {
        self.from = from
        self.event = event
    }

    public var description: String {
        let hint: String
        switch event {
        case .cancel: hint = "only queued, held, starting or running jobs can be cancelled"
        case .retry: hint = "only failed or cancelled jobs can be retried"
        case .hold: hint = "only queued jobs can be held"
        case .release: hint = "only held jobs can be released"
        default: hint = "the scheduler does not allow it"
        }
        return "cannot \(event.verb) a job that is \(from.rawValue): \(hint)"
    }
}

extension JobState {
    /// The one function that moves a job between states.
    ///
    /// Every state change in the store goes through here, so an illegal change (for example
    /// cancelling a finished job) is refused in one place with one message.
    public func applying(_ event: JobEvent) throws(IllegalTransition) -> JobState {
        switch (self, event) {
        case (.queued, .claim): return .starting
        case (.starting, .start): return .running
        case (.starting, .succeed), (.running, .succeed): return .succeeded
        case (.starting, .fail), (.running, .fail), (.queued, .fail): return .failed
        case (.starting, .requeue), (.running, .requeue): return .queued
        case (.queued, .cancel), (.held, .cancel), (.starting, .cancel), (.running, .cancel): return .cancelled
        case (.queued, .hold): return .held
        case (.held, .release): return .queued
        case (.failed, .retry), (.cancelled, .retry): return .queued
        default: throw IllegalTransition(from: self, event: event)
        }
    }
}
