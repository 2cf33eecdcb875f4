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
    let executor: ContainerExecutor
    /// Host health and drains.
    let registry: HostRegistry
    let live: LiveConfiguration
    /// The configuration in force (a reload may replace it between two reads).
    var configuration: DaemonConfiguration { live.current }
    let logger: Logger
    let readiness: Readiness
    let statistics: DaemonStatistics
    /// Called every 5 s while the first reconciliation runs (systemd's EXTEND_TIMEOUT_USEC).
    let onLongReconcile: @Sendable () -> Void
    private let wakeup = Wakeup()
    private let state = Mutex(State())

    private struct State {
        var pendingReasons: [String: String] = [:]
        /// The (job id, attempt) pairs a runner task is following; a runner stuck on an unreachable host
        /// never blocks the job's next attempt.
        var running: Set<String> = []
        var shuttingDown = false
        /// When each orphan container was first seen (removed after the grace period).
        var orphansSeen: [String: ContinuousClock.Instant] = [:]
        var reconcileRequested = false
        /// When the scheduler loop last turned (the watchdog's proof of progress).
        var lastTurn = ContinuousClock.now
        /// A test hook: while set, the loop stops turning as if hung.
        var blockedForTesting = false
    }

    /// How long ago the scheduler loop last turned.
    var timeSinceLastTurn: Duration { ContinuousClock.now - state.withLock { $0.lastTurn } }

    /// Test hook: makes the scheduler loop stand still (as a hung loop would) until unblocked.
    func setBlockedForTesting(_ blocked: Bool) {
        state.withLock { $0.blockedForTesting = blocked }
        wakeup.signal()
    }

    init(
        database: AppDatabase,
        executor: ContainerExecutor,
        registry: HostRegistry,
        live: LiveConfiguration,
        readiness: Readiness,
        statistics: DaemonStatistics,
        logger: Logger,
        onLongReconcile: @escaping @Sendable () -> Void = {}
    ) {
        self.onLongReconcile = onLongReconcile
        self.database = database
        self.executor = executor
        self.registry = registry
        self.live = live
        self.readiness = readiness
        self.statistics = statistics
        self.logger = logger
    }

    /// Asks for a reconciliation soon (engine events call this).
    func requestReconcile() {
        state.withLock { $0.reconcileRequested = true }
        wakeup.signal()
    }

    /// Records which orphans are seen now; returns when each was first seen.
    func noteOrphans(_ ids: [String], now: ContinuousClock.Instant) -> [String: ContinuousClock.Instant] {
        state.withLock { state in
            var seen: [String: ContinuousClock.Instant] = [:]
            for id in ids { seen[id] = state.orphansSeen[id] ?? now }
            state.orphansSeen = seen
            return seen
        }
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
        let database = self.database
        Task {
            do {
                guard let job = try await database.jobIfExists(jobID) else { return }
                guard let containerID = job.containerId else { return }  // the runner sees the cancel before start
                try await executor.engine(for: job.host).stop(containerID, timeout: timeout)
            } catch {
                logger.warning(
                    "stopping a cancelled job's container failed",
                    metadata: ["JOB_ID": "\(jobID)", "error": "\(error)"]
                )
            }
        }
    }

    /// Tells a running batch run which of its items were cancelled (`/cosmos/cancel`).
    func signalCancelledItems(parentID: String) {
        let executor = self.executor
        let logger = self.logger
        let database = self.database
        Task {
            do {
                guard let parent = try await database.jobIfExists(parentID), parent.state.isActive else { return }
                let children = try await database.children(of: parentID)
                let indices = children.filter { $0.state == .cancelled }.compactMap(\.batchIndex)
                try await executor.signalCancelledItems(parent, indices: indices)
            } catch {
                logger.warning(
                    "telling a batch run about cancelled items failed; they run and are recorded cancelled",
                    metadata: ["JOB_ID": "\(parentID)", "error": "\(error)"]
                )
            }
        }
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            // A long first reconciliation (many containers, slow engines) asks systemd for more start time.
            let extender = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(5))
                    onLongReconcile()
                }
            }
            await reconcile(into: &group)
            extender.cancel()
            readiness.reconciled()
            var lastReconcile = ContinuousClock.now
            // Testing aid, inert unless set: freeze the loop after N seconds, as a hung loop would.
            let freezeAt = ProcessInfo.processInfo.environment["COSMOS_TEST_FREEZE_SCHEDULER_AFTER"]
                .flatMap(Double.init).map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) }
            await withGracefulShutdownHandler {
                while !state.withLock({ $0.shuttingDown }) {
                    if let freezeAt, ContinuousClock.now >= freezeAt { setBlockedForTesting(true) }
                    if state.withLock({ $0.blockedForTesting }) {
                        await wakeup.wait(timeout: .milliseconds(100))
                        continue
                    }
                    state.withLock { $0.lastTurn = .now }
                    let requested = state.withLock { state in
                        defer { state.reconcileRequested = false }
                        return state.reconcileRequested
                    }
                    if requested
                        || ContinuousClock.now - lastReconcile >= .seconds(configuration.reconcileIntervalSeconds)
                    {
                        await reconcile(into: &group)
                        lastReconcile = .now
                    }
                    await requeueJobsOnDownHosts()
                    await promote(into: &group)
                    await wakeup.wait(timeout: .seconds(1))
                }
            } onGracefulShutdown: {
                self.state.withLock { $0.shuttingDown = true }
                self.wakeup.signal()
            }
            group.cancelAll()
            if configuration.onStop == .stop {
                await stopActiveJobs()
            } else {
                logger.notice("scheduler stopped promoting; running containers are left to the next start")
            }
        }
    }

    /// Adopts every active job without a runner, removes orphan containers past their grace period and staging
    /// folders of attempts that are over.
    private func reconcile(into group: inout DiscardingTaskGroup) async {
        for job in await activeJobs(for: "adopting running jobs") {
            adopt(job, in: &group)
        }
        await removeOrphans(await findContainers())
        await removeStaleStagingFolders()
    }

    /// `on_stop = "stop"`: puts active jobs back in the queue and stops their containers.
    private func stopActiveJobs() async {
        for job in await activeJobs(for: "stopping running jobs") {
            do {
                _ = try await database.finishAttempt(
                    job.id,
                    attempt: job.attempts,
                    outcome: .infrastructureFailure(
                        reason: Reason.daemonStopped,
                        error: "the daemon stopped (on_stop = stop)"
                    ),
                    policy: configuration.retry
                )
            } catch {
                // Its container is stopped all the same; the next start finds it gone and records that.
                logger.error(
                    "recording a job stopped on shutdown failed",
                    metadata: ["JOB_ID": "\(job.id)", "error": "\(error)"]
                )
            }
            if let engine = try? executor.engine(for: job.host) {
                try? await engine.stop(job.containerName, timeout: configuration.stopTimeoutSeconds)
                try? await engine.remove(job.containerName)
            }
            logger.notice("stopped a running job on shutdown", metadata: ["JOB_ID": "\(job.id)"])
        }
    }

    /// Puts the jobs of hosts down longer than the grace period back in the queue (reason `host down`).
    ///
    /// Their containers may still run on a partitioned host; if it answers again, reconciliation removes
    /// them (the attempt is no longer current) and their outputs are discarded.
    private func requeueJobsOnDownHosts() async {
        let grace = configuration.health.downGraceSeconds
        let down = Set(registry.hostsDown(longerThan: Double(grace)))
        guard !down.isEmpty else { return }
        for job in await activeJobs(for: "requeueing jobs of hosts down") {
            guard let host = job.host, down.contains(host) else { continue }
            let error =
                "host \(host) has not answered for \(grace) s (\(registry.health(of: host).lastError ?? "no answer"))"
            let updated: JobRecord
            let verdict: AttemptVerdict
            do {
                (updated, verdict) = try await database.finishAttempt(
                    job.id,
                    attempt: job.attempts,
                    outcome: .infrastructureFailure(reason: Reason.hostDown, error: error),
                    policy: configuration.retry
                )
            } catch {
                logger.error(
                    "giving up an attempt on a down host failed; trying again next round",
                    metadata: ["JOB_ID": "\(job.id)", "error": "\(error)"]
                )
                continue
            }
            logger.warning(
                "job's host is down: attempt given up",
                metadata: [
                    "JOB_ID": "\(job.id)", "HOST": "\(host)", "attempt": "\(job.attempts)",
                    "state": "\(updated.state.rawValue)", "verdict": "\(verdict)",
                ]
            )
        }
    }

    /// The starting and running jobs; a store failure is logged and the step waits for the next round.
    private func activeJobs(for purpose: String) async -> [JobRecord] {
        do {
            return try await database.activeJobs()
        } catch {
            logger.error(
                "cannot read the active jobs; skipping this step",
                metadata: ["step": "\(purpose)", "error": "\(error)"]
            )
            return []
        }
    }

    /// The hosts as placement sees them now: GPUs, whether they take work, labels, GPU memory.
    func hostCapacities() -> [HostCapacity] {
        configuration.hosts.map {
            HostCapacity(
                name: $0.name,
                devices: $0.devices,
                accepting: registry.isAccepting($0.name),
                labels: $0.labels,
                gpuMemoryGiB: $0.gpuMemoryGiB
            )
        }
    }

    /// One scheduling round: claims what fits and starts a runner for each claimed job.
    private func promote(into group: inout DiscardingTaskGroup) async {
        let hosts = hostCapacities()
        do {
            let (claimed, pending) = try await database.claimNext(hosts: hosts, policy: configuration.policy)
            state.withLock { $0.pendingReasons = pending }
            if !claimed.isEmpty { FaultInjection.hit(.afterClaim) }
            for job in claimed {
                var fields: Logger.Metadata = [
                    "JOB_ID": "\(job.id)", "HOST": "\(job.host ?? "")", "attempt": "\(job.attempts)",
                    "devices": "\(job.devices.joined(separator: ","))",
                ]
                if let batch = job.batchId { fields["BATCH_ID"] = "\(batch)" }
                logger.info("job claimed", metadata: fields)
                launch(job, adopting: false, in: &group)
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("scheduling round failed", metadata: ["error": "\(error)"])
        }
    }

    static func runnerKey(_ job: JobRecord) -> String { "\(job.id)#\(job.attempts)" }

    private func adopt(_ job: JobRecord, in group: inout DiscardingTaskGroup) {
        guard !state.withLock({ $0.running.contains(Self.runnerKey(job)) }) else { return }
        logger.notice("adopting job", metadata: ["JOB_ID": "\(job.id)", "state": "\(job.state.rawValue)"])
        launch(job, adopting: true, in: &group)
    }

    private func launch(_ job: JobRecord, adopting: Bool, in group: inout DiscardingTaskGroup) {
        let key = Self.runnerKey(job)
        let inserted = state.withLock { $0.running.insert(key).inserted }
        guard inserted else { return }
        var runner = AttemptRunner(
            job: job,
            database: database,
            executor: executor,
            live: live,
            logger: logger,
            statistics: statistics
        )
        // The GPUs are free once the end is recorded: promote the next job while the engine removes this one.
        runner.onRecorded = { [weak self] in self?.wake() }
        group.addTask {
            await runner.run(adopting: adopting)
            self.state.withLock { _ = $0.running.remove(key) }
            self.wake()
        }
    }
}
