import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP: applies what can change live, keeps the old configuration when
/// the new file is invalid, and logs which is which.
struct ReloadService: Service {
    let live: LiveConfiguration
    let scheduler: Scheduler
    let logger: Logger
    /// Told when a reload starts and ends (systemd's RELOADING=1 / READY=1).
    var onReloading: @Sendable () -> Void = {}
    var onReloaded: @Sendable () -> Void = {}

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withGracefulShutdownHandler {
            for await _ in signals.cancelOnGracefulShutdown() {
                reload()
            }
        } onGracefulShutdown: {
        }
    }

    func reload() {
        onReloading()
        defer { onReloaded() }
        guard let path = live.path else {
            logger.notice("SIGHUP: running on the embedded default; nothing to reload")
            return
        }
        do {
            let result = try live.reload()
            if !result.needsRestart.isEmpty {
                logger.warning(
                    "configuration reloaded, but some changes need a restart and were not applied",
                    metadata: ["path": "\(path)", "keys": "\(result.needsRestart.joined(separator: ","))"]
                )
            }
            logger.notice(
                "configuration reloaded",
                metadata: ["path": "\(path)", "applied": "\(result.applied.joined(separator: ","))"]
            )
            scheduler.wake()
        } catch {
            logger.error("configuration reload refused; keeping the old configuration", metadata: ["error": "\(error)"])
        }
    }
}
