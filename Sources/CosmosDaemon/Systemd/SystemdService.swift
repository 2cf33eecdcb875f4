import CosmosStore
import Foundation
import Logging
import ServiceLifecycle
import SystemdKit

/// Keeps systemd told: a one-line STATUS kept current, WATCHDOG pings that mean "healthy", STOPPING on
/// shutdown. Everything is a no-op when the daemon is not started by systemd.
///
/// A ping is sent only while the scheduler loop makes progress (it turns at least once a second) and the
/// database answers; a hung loop or a stuck database makes the pings stop, and systemd restarts the daemon.
struct SystemdService: Service {
    let notifier: SystemdNotifier
    let watchdog: WatchdogConfiguration
    let database: AppDatabase
    let scheduler: Scheduler
    let queries: Queries
    let logger: Logger

    func run() async throws {
        guard notifier.isEnabled else {
            // Not started by systemd: nothing to tell, so no status queries either.
            try? await gracefulShutdown()
            return
        }
        let interval = watchdog.pingInterval.map { min($0, .seconds(2)) } ?? .seconds(2)
        await withGracefulShutdownHandler {
            try? await cancelWhenGracefulShutdown {
                var lastStatus = ""
                while !Task.isCancelled {
                    if let text = await statusLine(), text != lastStatus {
                        notifier.status(text)
                        lastStatus = text
                    }
                    if watchdog.isEnabled, await isHealthy(staleAfter: watchdog.pingInterval ?? .seconds(10)) {
                        notifier.watchdogPing()
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } onGracefulShutdown: {
            notifier.stopping()
        }
    }

    /// Healthy: the scheduler loop turned recently and the database answers a read.
    func isHealthy(staleAfter: Duration) async -> Bool {
        guard scheduler.timeSinceLastTurn < max(staleAfter, .seconds(3)) else {
            logger.warning("scheduler loop is not making progress; withholding the watchdog ping")
            return false
        }
        return (try? await database.isPaused()) != nil
    }

    /// `3/8 GPUs busy, 120 queued, 2 running, 2 hosts up, queue paused`, or what keeps it from being read.
    func statusLine() async -> String? {
        do {
            return try await queries.statusLine()
        } catch {
            logger.warning("cannot read the status for systemd", metadata: ["error": "\(error)"])
            return "database not answering"
        }
    }
}
