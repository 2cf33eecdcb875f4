import CosmosStore
import Logging
import ServiceLifecycle
import Synchronization

/// Wakes every event-stream subscriber when the event log gains entries, and ends the streams on shutdown.
///
/// The log in the database is the stream's only source; the hub carries no events, only "look again", so a
/// subscriber can never miss one. On graceful shutdown it tells every stream to flush what it has and close.
final class EventHub: Service, Sendable {
    let database: AppDatabase
    let logger: Logger

    private struct State {
        var subscribers: [UInt64: Wakeup] = [:]
        var nextID: UInt64 = 0
        var shuttingDown = false
    }

    private let state = Mutex(State())

    init(database: AppDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// One stream's registration: its wake-up signal.
    struct Subscription: Sendable {
        let id: UInt64
        let wakeup: Wakeup
    }

    /// Registers a stream; call ``unsubscribe(_:)`` when it ends.
    func subscribe() -> Subscription {
        let wakeup = Wakeup()
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = wakeup
            return state.nextID
        }
        return Subscription(id: id, wakeup: wakeup)
    }

    /// Removes a stream's registration.
    func unsubscribe(_ subscription: Subscription) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: subscription.id) }
    }

    /// How many streams are registered now.
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Whether the daemon is stopping: streams flush and close.
    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Wakes every subscriber.
    func publish() {
        for wakeup in state.withLock({ Array($0.subscribers.values) }) { wakeup.signal() }
    }

    func run() async throws {
        let observation = database.observeEvents { [weak self] in self?.publish() }
        defer { observation.cancel() }
        try? await gracefulShutdown()
        beginShutdown()
    }

    /// Tells every stream to send what it has gathered and close (graceful shutdown).
    func beginShutdown() {
        state.withLock { $0.shuttingDown = true }
        publish()
        logger.debug("event streams told to flush and close")
    }
}
