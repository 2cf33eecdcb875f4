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

    /// Every entry.
    public static let all = EventFilter()

    /// A filter by any of jobs, batches and types.
    public init(jobs: Set<String>? = nil, batches: Set<String>? = nil, types: Set<EventType>? = nil) {
        self.jobs = jobs
        self.batches = batches
        self.types = types
    }

    /// Whether some set is empty, so nothing can match.
    var matchesNothing: Bool {
        jobs?.isEmpty == true || batches?.isEmpty == true || types?.isEmpty == true
    }
}
