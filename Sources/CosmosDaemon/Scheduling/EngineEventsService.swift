import CosmosDomain
import DockerEngine
import Foundation
import Logging
import ServiceLifecycle

/// Follows every engine's `/events` stream for this instance's containers and asks the scheduler to
/// reconcile when one dies, is OOM-killed or disappears. After a reconnect it resumes with `since=`.
struct EngineEventsService: Service {
    let executor: ContainerExecutor
    let scheduler: Scheduler
    let logger: Logger

    func run() async throws {
        // Graceful shutdown cancels the streams; nothing here needs finishing.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for host in executor.hosts.keys.sorted() {
                    group.addTask { await follow(host: host) }
                }
            }
        }
    }

    private func follow(host: String) async {
        guard let engine = try? executor.engine(for: host) else { return }
        var since: Date?
        var failures = 0
        while !Task.isCancelled {
            do {
                let stream = try await engine.events(since: since, labels: executor.instanceLabels)
                if since != nil { scheduler.requestReconcile() }  // resync what a reconnect may have missed
                for try await event in stream {
                    failures = 0
                    since = Date(timeIntervalSince1970: Double(event.time))
                    logger.debug(
                        "engine event",
                        metadata: [
                            "HOST": "\(host)", "action": "\(event.action)", "CONTAINER_ID": "\(event.containerID)",
                        ]
                    )
                    scheduler.requestReconcile()
                }
                // The stream ended without an error (the engine closed it): reconnect after a pause.
                since = since ?? Date()
                failures += 1
                try? await Task.sleep(for: .seconds(min(failures, 10)))
            } catch {
                if Task.isCancelled { return }
                failures += 1
                since = since ?? Date()
                if failures == 1 {
                    logger.warning(
                        "engine event stream lost; reconnecting",
                        metadata: ["HOST": "\(host)", "error": "\(error)"]
                    )
                }
                try? await Task.sleep(for: .seconds(min(failures, 10)))
            }
        }
    }
}
