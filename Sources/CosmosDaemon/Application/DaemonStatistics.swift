import CosmosAPI
import Synchronization

/// Counters of the event stream and of coalesced writes since the daemon started (`status --json`).
final class DaemonStatistics: Sendable {
    private let counters = Mutex(Counters())

    private struct Counters {
        var events = EventStreamStatistics()
        var writes = WriteStatistics()
    }

    /// What one stream window sent: `events` log entries in `messages` messages, `aggregates` of which merged
    /// several entries, and `resyncs`.
    func recordWindow(events: Int, messages: Int, aggregates: Int, resyncs: Int) {
        counters.withLock {
            $0.events.published += events
            $0.events.messagesSent += messages
            $0.events.messagesSaved += max(events - (messages - resyncs), 0)
            $0.events.batchesCreated += aggregates
            $0.events.resyncs += resyncs
        }
    }

    /// `lines` progress lines recorded in one transaction.
    func recordProgress(lines: Int) {
        counters.withLock {
            $0.writes.progressLines += lines
            $0.writes.progressTransactions += 1
        }
    }

    /// The stream counters now.
    var events: EventStreamStatistics { counters.withLock { $0.events } }
    /// The write counters now.
    var writes: WriteStatistics { counters.withLock { $0.writes } }
}
