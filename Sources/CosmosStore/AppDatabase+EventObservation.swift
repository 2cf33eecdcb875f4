import GRDB

/// Watching the event log for new entries, so streams wake on a commit instead of polling.
extension AppDatabase {
    /// Calls `onChange` after every committed transaction that wrote to the event log, until cancelled.
    ///
    /// `onChange` runs on the writer's queue: keep it short (signal a waiter).
    public func observeEvents(onChange: @escaping @Sendable () -> Void) -> EventObservation {
        let observation = DatabaseRegionObservation(tracking: Table("event"))
        let cancellable = observation.start(in: writer, onError: { _ in }, onChange: { _ in onChange() })
        return EventObservation(cancellable: cancellable)
    }
}

/// A running observation of the event log; ``cancel()`` ends it (so does dropping it).
public final class EventObservation: Sendable {
    private let cancellable: AnyDatabaseCancellable

    init(cancellable: AnyDatabaseCancellable) {
        self.cancellable = cancellable
    }

    /// Stops the observation.
    public func cancel() { cancellable.cancel() }
}
