import Logging
import Synchronization

/// Tracks the conditions for "ready": the database is open (by construction), the first
/// reconciliation with the engines has finished, and the control socket is bound.
final class Readiness: Sendable {
    private let state = Mutex((reconciled: false, socketBound: false, announced: false))
    private let onReady: @Sendable () -> Void

    init(onReady: @escaping @Sendable () -> Void) {
        self.onReady = onReady
    }

    /// The first reconciliation finished.
    func reconciled() { update { $0.reconciled = true } }

    /// The control socket accepts connections.
    func socketBound() { update { $0.socketBound = true } }

    private func update(_ change: (inout (reconciled: Bool, socketBound: Bool, announced: Bool)) -> Void) {
        let announce = state.withLock { value -> Bool in
            change(&value)
            guard value.reconciled, value.socketBound, !value.announced else { return false }
            value.announced = true
            return true
        }
        if announce { onReady() }
    }
}
