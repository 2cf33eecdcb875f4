import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A testing aid: `COSMOS_FAULT=<point>` makes the daemon exit abruptly (`_exit`) at that step.
///
/// Compiled in but inert unless the variable is set. The crash-safety tests crash the daemon at each
/// point, restart it without the variable, and check that no job is lost or run twice.
enum FaultPoint: String, CaseIterable, Sendable {
    /// After a claim is committed (job `starting`, no container yet).
    case afterClaim = "after-claim"
    /// After the container is created, before it is started.
    case afterCreate = "after-create"
    /// After the container is started, before the job is marked running.
    case afterStart = "after-start"
    /// While following a running container.
    case whileWaiting = "while-waiting"
    /// After the container exited, before the result is recorded.
    case afterExit = "after-exit"
}

enum FaultInjection {
    /// The armed point, read once from `COSMOS_FAULT`.
    static let armed: FaultPoint? = ProcessInfo.processInfo.environment["COSMOS_FAULT"].flatMap(FaultPoint.init)

    /// Exits the process at once, without cleanup, if `point` is armed.
    static func hit(_ point: FaultPoint) {
        guard armed == point else { return }
        let message = "cosmos-worker: COSMOS_FAULT=\(point.rawValue): exiting abruptly (testing aid)\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        _exit(86)
    }
}
