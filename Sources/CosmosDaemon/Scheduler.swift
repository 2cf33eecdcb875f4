import CosmosDomain
import CosmosStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Promotes queued jobs onto free GPUs in queue order and supervises their attempts.
///
/// On start it adopts the jobs the database says are starting or running. On graceful shutdown it
/// stops promoting, stops following its containers and leaves them running; the next start adopts them.
final class Scheduler: Service, Sendable {
    let database: AppDatabase
    let executor: DockerExecutor
    let configuration: DaemonConfiguration
    let logger: Logger
    private let wakeup = Wakeup()
    private let state = Mutex(State())

    private struct State {
        var pendingReasons: [String: String] = [:]
        /// Job ids whose attempt a runner task is following.
        var running: Set<String> = []
        var shuttingDown = false
    }

    init(database: AppDatabase, executor: DockerExecutor, configuration: DaemonConfiguration, logger: Logger) {
        self.database = database
        self.executor = executor
        self.configuration = configuration
        self.logger = logger
    }

    /// Why each queued job looked at in the last round waits.
    var pendingReasons: [String: String] { state.withLock { $0.pendingReasons } }

    /// Asks for a scheduling round now (after a submit, resume, release, move, or a finished job).
    func wake() { wakeup.signal() }

    /// Stops the container of a cancelled job; its runner then records the end.
    func stop(jobID: String) {
        let executor = self.executor
        let timeout = configuration.stopTimeoutSeconds
        let logger = self.logger
        Task {
            guard let job = try? await database.job(jobID).job else { return }
            guard let containerID = job.containerId else { return }  // the runner sees the cancel before start
            do {
                _ = try await executor.client(for: job.host).stopContainer(id: containerID, timeout: timeout)
            } catch {
                logger.warning("stopping a cancelled job's container failed", metadata: ["JOB_ID": "\(jobID)", "error": "\(error)"])
            }
        }
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for job in (try? await database.activeJobs()) ?? [] {
                adopt(job, in: &group)
            }
            await withGracefulShutdownHandler {
                while !state.withLock({ $0.shuttingDown }) {
                    await promote(into: &group)
                    await wakeup.wait(timeout: .seconds(1))
                }
            } onGracefulShutdown: {
                self.state.withLock { $0.shuttingDown = true }
                self.wakeup.signal()
            }
            logger.notice("scheduler stopped promoting; leaving running containers to the next start")
            group.cancelAll()
        }
    }

    /// One scheduling round: claims what fits and starts a runner for each claimed job.
    private func promote(into group: inout DiscardingTaskGroup) async {
        let hosts = configuration.hosts.map { HostCapacity(name: $0.name, devices: $0.devices) }
        do {
            let (claimed, pending) = try await database.claimNext(hosts: hosts, policy: configuration.policy)
            state.withLock { $0.pendingReasons = pending }
            for job in claimed {
                logger.info(
                    "job claimed",
                    metadata: [
                        "JOB_ID": "\(job.id)", "HOST": "\(job.host ?? "")", "attempt": "\(job.attempts)",
                        "devices": "\(job.devices.joined(separator: ","))",
                    ])
                launch(job, adopting: false, in: &group)
            }
        } catch {
            logger.error("scheduling round failed", metadata: ["error": "\(error)"])
        }
    }

    private func adopt(_ job: JobRecord, in group: inout DiscardingTaskGroup) {
        logger.notice("adopting job after start", metadata: ["JOB_ID": "\(job.id)", "state": "\(job.state.rawValue)"])
        launch(job, adopting: true, in: &group)
    }

    private func launch(_ job: JobRecord, adopting: Bool, in group: inout DiscardingTaskGroup) {
        let inserted = state.withLock { $0.running.insert(job.id).inserted }
        guard inserted else { return }
        let runner = AttemptRunner(
            job: job, database: database, executor: executor, configuration: configuration, logger: logger)
        group.addTask {
            await runner.run(adopting: adopting)
            self.state.withLock { _ = $0.running.remove(job.id) }
            self.wake()
        }
    }
}
