import CosmosDomain
import DockerEngine
import Foundation
import Logging
import ServiceLifecycle

/// Probes every host's engine (`/_ping`) on an interval and keeps ``HostRegistry`` current.
///
/// A host that fails `down_after_failures` probes in a row is `down` and gets no new jobs; the scheduler
/// requeues its running jobs once it has been down for `host_down_grace_seconds`. The first probe that
/// answers brings it back, and a reconciliation adopts or removes what runs there.
struct HostMonitor: Service {
    let executor: ContainerExecutor
    let registry: HostRegistry
    let scheduler: Scheduler
    let live: LiveConfiguration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for host in executor.hosts.keys.sorted() {
                    group.addTask { await watch(host: host) }
                }
            }
        }
    }

    private func watch(host: String) async {
        guard let engine = try? executor.engine(for: host) else { return }
        while !Task.isCancelled {
            let settings = live.current.health
            let interval = Duration.seconds(settings.probeIntervalSeconds)
            let error = await probe(engine, timeout: min(interval, .seconds(5)))
            if Task.isCancelled { return }
            let transition = registry.recordProbe(
                host,
                error: error,
                downAfterFailures: settings.downAfterFailures
            )
            switch transition {
            case .wentDown:
                logger.error(
                    "host down: no new jobs go there",
                    metadata: [
                        "HOST": "\(host)", "error": "\(error ?? "")",
                        "failures": "\(settings.downAfterFailures)",
                        "grace_seconds": "\(live.current.health.downGraceSeconds)",
                    ]
                )
                await recordHealth(host, up: false, error: error, failures: settings.downAfterFailures)
                scheduler.wake()
            case .cameUp:
                logger.notice("host up again: reconciling its containers", metadata: ["HOST": "\(host)"])
                await recordHealth(host, up: true, error: nil, failures: 0)
                scheduler.requestReconcile()
            case nil:
                break
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Writes the transition to the event log (`host.down`, `host.up`); a store failure is logged, not fatal.
    private func recordHealth(_ host: String, up: Bool, error: String?, failures: Int) async {
        do {
            try await scheduler.database.recordHostHealth(host, up: up, error: error, failures: failures)
        } catch {
            logger.warning(
                "recording a host's health in the event log failed",
                metadata: ["HOST": "\(host)", "error": "\(error)"]
            )
        }
    }

    /// Pings the engine; nil when it answered within `timeout`, else what went wrong.
    private func probe(_ engine: any ContainerEngine, timeout: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await engine.ping()
                    return nil
                } catch {
                    return "\(error)"
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return "no answer within \(timeout)"
            }
            let first = await group.next() ?? "probe cancelled"
            group.cancelAll()
            return first
        }
    }
}
