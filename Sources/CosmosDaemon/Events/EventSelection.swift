import CosmosDomain
import CosmosStore

/// What one client asked the stream for: which log entries to read and send, and which derived messages.
///
/// Derived messages are computed from the log for named batches: `batch.job_complete` for each job of a batch
/// that ends, and `batch.progress` (the batch's counts, coalesced per window). They are not entries of the log.
struct EventSelection: Sendable, Equatable {
    /// The messages derived from the log.
    enum Derived: String, Sendable, CaseIterable {
        case batchProgress = "batch.progress"
        case batchJobComplete = "batch.job_complete"
    }

    /// What is read from the log.
    var filter: EventFilter
    /// Which of the entries read are sent (nil: all); narrower than `filter` only when derived types were asked for.
    var sent: Set<EventType>?
    /// Which derived messages are sent.
    var derived: Set<Derived>

    /// Everything: every entry and every derived message.
    static let all = EventSelection(filter: .all, sent: nil, derived: Set(Derived.allCases))

    /// A selection by jobs, batches and type names; nil names mean every type and every derived message.
    ///
    /// Asking for a derived type reads every entry of the jobs and batches (its source), but sends only the log
    /// types named. Throws for a name that is neither.
    init(jobs: Set<String>?, batches: Set<String>?, typeNames: [String]?) throws(InvalidTypeName) {
        guard let typeNames, !typeNames.isEmpty else {
            self.init(filter: EventFilter(jobs: jobs, batches: batches), sent: nil, derived: Set(Derived.allCases))
            return
        }
        var types: Set<EventType> = []
        var derived: Set<Derived> = []
        for name in typeNames {
            if let type = EventType(rawValue: name), type != .legacy {
                types.insert(type)
            } else if let kind = Derived(rawValue: name) {
                derived.insert(kind)
            } else {
                throw InvalidTypeName(name: name)
            }
        }
        if derived.isEmpty {
            self.init(filter: EventFilter(jobs: jobs, batches: batches, types: types), sent: nil, derived: [])
        } else {
            self.init(filter: EventFilter(jobs: jobs, batches: batches), sent: types, derived: derived)
        }
    }

    init(filter: EventFilter, sent: Set<EventType>?, derived: Set<Derived>) {
        self.filter = filter
        self.sent = sent
        self.derived = derived
    }

    /// Whether an entry read is sent.
    func sends(_ event: EventRecord) -> Bool { sent?.contains(event.type) ?? true }

    /// Every type name a client may ask for.
    static var typeNames: [String] {
        EventType.allCases.filter { $0 != .legacy }.map(\.rawValue) + Derived.allCases.map(\.rawValue)
    }

    /// A type name that is neither an event type nor a derived message.
    struct InvalidTypeName: Error {
        var name: String
    }
}
