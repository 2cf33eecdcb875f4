import CosmosDomain

/// Which entries of the event log a reader wants; a nil set does not filter, an empty set matches nothing.
///
/// The sets combine with AND: `jobs: ["a"], types: [.jobFailed]` reads the failures of job `a`.
public struct EventFilter: Sendable, Equatable {
    /// Entries of these jobs only.
    public var jobs: Set<String>?
    /// Entries of these named batches only (their jobs' entries and the batches' own).
    public var batches: Set<String>?
    /// Entries of these types only.
    public var types: Set<EventType>?
    /// Entries of this uid's jobs and batches, and the queue's and hosts' own (`[access] private`); nil: everyone's.
    public var owner: Int?

    /// Every entry.
    public static let all = EventFilter()

    /// A filter by any of jobs, batches and types.
    public init(
        jobs: Set<String>? = nil,
        batches: Set<String>? = nil,
        types: Set<EventType>? = nil,
        owner: Int? = nil
    ) {
        self.jobs = jobs
        self.batches = batches
        self.types = types
        self.owner = owner
    }

    /// The entry types of no one's work, which every reader may see: the queue's and the hosts'.
    public static let sharedTypes: [EventType] = [
        .queuePaused, .queueResumed, .hostDown, .hostUp, .hostDrained, .hostResumed,
    ]

    /// Whether some set is empty, so nothing can match.
    var matchesNothing: Bool {
        jobs?.isEmpty == true || batches?.isEmpty == true || types?.isEmpty == true
    }
}
