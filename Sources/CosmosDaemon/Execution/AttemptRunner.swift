import AsyncAlgorithms
import CosmosDomain
import CosmosStore
import DockerEngine
import Foundation
import Logging

/// Carries one attempt of one job to its end: prepare (create, stage), supervise (start, follow), collect.
///
/// The container name is fixed per (job, attempt), so creation is idempotent: a `409 Conflict`
/// means the container exists and is adopted after its labels are checked. The wait is registered
/// before `start`, as `docker run` does. If the daemon shuts down, the runner is cancelled and
/// leaves the container running without recording anything; the next start adopts it.
struct AttemptRunner: Sendable {
    let job: JobRecord
    let database: AppDatabase
    let executor: ContainerExecutor
    let live: LiveConfiguration
    /// The configuration in force (a reload may replace it between two reads).
    var configuration: DaemonConfiguration { live.current }
    let logger: Logger
    let statistics: DaemonStatistics
    /// Called once the attempt's end is recorded (its GPUs are free), before the container is removed: the
    /// scheduler can start the next job while the engine removes this one.
    var onRecorded: @Sendable () -> Void = {}

    var metadata: Logger.Metadata {
        var fields: Logger.Metadata = [
            "JOB_ID": "\(job.id)", "HOST": "\(job.host ?? "")", "attempt": "\(job.attempts)",
            "container": "\(job.containerName)",
        ]
        if let batch = job.batchId { fields["BATCH_ID"] = "\(batch)" }
        return fields
    }

    /// Runs (or, when `adopting`, resumes) the attempt; returns when it is recorded or the task is cancelled.
    ///
    /// Three steps: ``prepare(engine:adopting:)`` (create or find, stage), ``supervise(_:engine:)`` (start,
    /// follow, wait) and ``collect(exit:containerID:engine:)`` (outputs, verdicts, record, remove).
    func run(adopting: Bool) async {
        do {
            let engine = try executor.engine(for: job.host)
            guard let (containerID, fresh) = try await prepare(engine: engine, adopting: adopting) else {
                if !Task.isCancelled { executor.discardStaging(job) }
                return
            }
            let exit = try await supervise(containerID, engine: engine, fresh: fresh)
            try await collect(exit: exit, containerID: containerID, engine: engine)
            executor.discardStaging(job)
        } catch is CancellationError {
            logger.debug("runner cancelled; leaving the container", metadata: metadata)
        } catch AttemptError.containerLost(let id) {
            if Task.isCancelled { return }
            logger.warning("the job's container disappeared", metadata: metadata)
            await record(
                .infrastructureFailure(reason: Reason.containerLost, error: "container \(id.prefix(12)) is gone")
            )
            executor.discardStaging(job)
        } catch {
            if Task.isCancelled { return }
            logger.error("attempt failed in the engine", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            // Never remove a container of the same name that is not ours: the error says to remove it by hand.
            let foreign = if case ExecutorError.foreignContainer = error { true } else { false }
            if !foreign, let engine = try? executor.engine(for: job.host) {
                try? await engine.remove(job.containerName)
            }
            await record(.infrastructureFailure(reason: Reason.engineError(Self.shortText(error)), error: "\(error)"))
            executor.discardStaging(job)
        }
    }

    /// How the container ended.
    struct Exit: Sendable, Equatable {
        var code: Int
        var oomKilled: Bool
        var error: String?
        /// What the container said of its failure (`##cosmos error`, `##cosmos oom`).
        var report = RunnerReport()

        /// An OOM kill, or a non-zero exit after the container reported running out of memory.
        var outOfMemory: Bool { oomKilled || (code != 0 && report.outOfMemory) }
        /// The container's own error text first, else the engine's.
        var errorText: String? { report.error ?? error }
    }

    /// The one place that dispatches on the run's shape: a batch-run parent hands its items their verdicts.
    private func collect(exit: Exit, containerID: String, engine: any ContainerEngine) async throws {
        if job.shape == .batchParent {
            try await finishBatchRun(exit: exit, containerID: containerID, engine: engine)
        } else {
            try await finishSingle(exit: exit, containerID: containerID, engine: engine)
        }
    }

    /// Collects a single job's outputs and records its end.
    private func finishSingle(exit: Exit, containerID: String, engine: any ContainerEngine) async throws {
        let outputs: [String]
        var collectError: String?
        do {
            outputs = try await executor.collectOutputs(job, containerID: containerID)
        } catch {
            outputs = []
            collectError = "collecting outputs failed: \(error)"
            logger.warning("collecting outputs failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        // Only this runner removes the container: one that vanished was deleted behind the daemon's back
        // (`docker rm -f` kills, so the wait saw 137), and the job did not really end.
        if await containerVanished(containerID, engine: engine, killed: exit.code == 137 && !exit.oomKilled) {
            throw AttemptError.containerLost(containerID)
        }
        // Record first, then remove: a crash in between leaves an orphan to clean up, never a re-run.
        if let reason = await interruption(exit, containerID: containerID, engine: engine) {
            logger.warning(
                "the job's container was stopped from outside: the job goes back to the queue",
                metadata: metadata.merging(["reason": "\(reason)", "exit_code": "\(exit.code)"]) { $1 }
            )
            await record(
                .infrastructureFailure(reason: reason, error: "container exited \(exit.code): \(reason)")
            )
        } else {
            await record(
                .exited(
                    code: exit.code,
                    oomKilled: exit.outOfMemory,
                    outputs: outputs,
                    error: exit.errorText ?? collectError
                )
            )
        }
        try? await engine.remove(containerID)
    }

    // MARK: Steps

    /// Creates (or finds) and stages the container; nil when the job was cancelled before it ran. `fresh`: this
    /// call created it, so it is known to be created and not started.
    private func prepare(engine: any ContainerEngine, adopting: Bool) async throws -> (id: String, fresh: Bool)? {
        var details: EngineContainer?
        if adopting {
            do {
                details = try await engine.inspect(job.containerName)
            } catch let error as EngineError where EngineError.isNotFound(error) {
                details = nil
            } catch {
                // The engine does not answer (its host may be down): keep looking until it does, or until
                // the host-down grace period gives the attempt up.
                logger.warning(
                    "cannot reach the engine to adopt the job; waiting",
                    metadata: metadata.merging(["error": "\(error)"]) { $1 }
                )
                return (job.containerName, false)
            }
            if let details, !labelsMatch(details) {
                throw ExecutorError.foreignContainer(name: job.containerName, labels: details.labels)
            }
            if details == nil, job.state == .running {
                await record(
                    .infrastructureFailure(
                        reason: Reason.containerLost,
                        error: "container \(job.containerName) is gone"
                    )
                )
                return nil
            }
        }
        var fresh = false
        if details == nil {
            let config = try await executor.containerConfig(for: job)
            do {
                let id = try await engine.create(name: job.containerName, config: config)
                FaultInjection.hit(.afterCreate)
                // Just created: nothing to ask the engine (an inspect here cost a round trip per job).
                details = EngineContainer(
                    id: id,
                    name: job.containerName,
                    labels: [:],
                    status: .created,
                    exitCode: 0,
                    oomKilled: false,
                    error: ""
                )
                fresh = true
            } catch EngineError.conflict {
                // A create whose answer was lost: adopt the container if it is ours, never make a second.
                let existing = try await engine.inspect(job.containerName)
                guard labelsMatch(existing) else {
                    throw ExecutorError.foreignContainer(name: job.containerName, labels: existing.labels)
                }
                details = existing
            }
        }
        guard let details else { return nil }
        try await database.recordContainer(job.id, attempt: job.attempts, containerID: details.id)
        guard details.status == .created else {
            if details.status == .running {
                _ = try await database.markRunning(job.id, attempt: job.attempts, containerID: details.id)
            }
            return (details.id, false)
        }
        do {
            let items = job.shape == .batchParent ? try await runItems() : nil
            let (staged, outputs) = try await resolvingJobInputs(job)
            try await executor.stage(staged, items: items, containerID: details.id, jobOutputs: outputs)
        } catch let error as JobInputError {
            logger.warning("a job: input is unavailable", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            try? await engine.remove(details.id)
            await record(.unrunnable(reason: Reason.inputUnavailable("\(error)")))
            return nil
        } catch let error as ExecutorError {
            logger.warning("staging failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            try? await engine.remove(details.id)
            await record(.infrastructureFailure(reason: Reason.staging("\(error)"), error: "\(error)"))
            return nil
        }
        guard try await database.job(job.id).job.state == .starting else {
            logger.info("job cancelled before its container started", metadata: metadata)
            try? await engine.remove(details.id)
            await record(.cancelledBeforeStart)
            return nil
        }
        return (details.id, fresh)
    }

    /// Starts the container if needed, follows its logs and waits for its end.
    ///
    /// If the connection to the engine drops (an engine restart, a network blip), it waits for the
    /// engine and looks again instead of failing the job: the container is adopted where it stands.
    private func supervise(_ containerID: String, engine: any ContainerEngine, fresh: Bool) async throws -> Exit {
        let logPath = JobLogFile.path(for: job.id, in: configuration.logsDirectory)
        var engineFailures = 0
        var report = RunnerReport()
        // A container this runner just created is known to be created; after any failure, ask the engine.
        var known: EngineContainer.Status? = fresh ? .created : nil
        while true {
            do {
                let status: EngineContainer.Status
                if let known {
                    status = known
                } else {
                    status = try await engine.inspect(containerID).status
                }
                known = nil
                if status == .created {
                    let wait = try await engine.registerWait(containerID, condition: .nextExit)
                    try await engine.start(containerID)
                    FaultInjection.hit(.afterStart)
                    let marked = try await database.markRunning(job.id, attempt: job.attempts, containerID: containerID)
                    if !marked {
                        logger.info("job cancelled while starting; stopping its container", metadata: metadata)
                        try? await engine.stop(containerID, timeout: configuration.stopTimeoutSeconds)
                    }
                    logger.info(
                        "container started",
                        metadata: metadata.merging(["CONTAINER_ID": "\(containerID)"]) { $1 }
                    )
                    try await followLogs(containerID, engine: engine, path: logPath, header: true, report: &report) {
                        try await wait.result()
                    }
                } else if status == .running {
                    let wait = try await engine.registerWait(containerID, condition: .notRunning)
                    try await followLogs(containerID, engine: engine, path: logPath, header: false, report: &report) {
                        try await wait.result()
                    }
                } else {
                    // Exited while nobody watched: copy what the log file is missing.
                    try await followLogs(containerID, engine: engine, path: logPath, header: false, report: &report) {}
                }
                FaultInjection.hit(.afterExit)
                var final = try await engine.inspect(containerID)
                // The engine can set OOMKilled a moment after the exit: look again briefly for a SIGKILLed
                // container that had a memory limit.
                let deadline = ContinuousClock.now + .seconds(3)
                while final.exitCode == 137, !final.oomKilled, job.spec.memoryBytes != nil,
                    ContinuousClock.now < deadline
                {
                    try await Task.sleep(for: .milliseconds(250))
                    final = try await engine.inspect(containerID)
                }
                return Exit(
                    code: final.exitCode,
                    oomKilled: final.oomKilled,
                    error: final.error.isEmpty ? nil : final.error,
                    report: report
                )
            } catch EngineError.notFound {
                throw AttemptError.containerLost(containerID)
            } catch let error as EngineError {
                throw error
            } catch {
                if error is CancellationError || Task.isCancelled { throw error }
                engineFailures += 1
                // The scheduler gives the attempt up when the host stays down; a superseded runner just ends.
                guard await isCurrent() else {
                    logger.notice("attempt superseded while its engine was unreachable", metadata: metadata)
                    throw CancellationError()
                }
                logger.warning(
                    "lost the engine while following the container; looking again",
                    metadata: metadata.merging(["error": "\(error)", "tries": "\(engineFailures)"]) { $1 }
                )
                try await Task.sleep(for: .seconds(min(engineFailures, 5)))
            }
        }
    }

    /// Copies the container's output into the job's log file while `waitForExit` runs, then drains it.
    ///
    /// Starts after the last container line the file already has (see ``JobLogFile``). The container's
    /// `##cosmos error` and `##cosmos oom` lines go into `report`.
    private func followLogs(
        _ containerID: String,
        engine: any ContainerEngine,
        path: String,
        header: Bool,
        report: inout RunnerReport,
        waitForExit: @escaping @Sendable () async throws -> Void
    ) async throws {
        // Lines up to the file's last one are there already. Only those are skipped: the engine writes stdout and
        // stderr lines in the order its two readers hand them over, so their timestamps need not ascend.
        let cursor = JobLogFile.lastContainerTimestamp(path: path)
        let log = try JobLogFile(path: path)
        defer { log.close() }
        if header { log.note("=== attempt \(job.attempts) on \(job.host ?? "?") (\(job.containerName)) ===") }
        let since = cursor.map { Date(timeIntervalSince1970: Double($0.secondsSince1970)) }
        let stream = try await engine.logs(containerID, since: since)
        // Progress lines are recorded per window (500 ms or 10 lines), one transaction each: a batch run's
        // lines all apply; of a single job's, the last of the window says how far it is.
        let (progress, lines) = AsyncStream<ProgressLine>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await waitForExit() }
            group.addTask {
                for await window in progress.chunks(ofCount: 10, or: .repeating(every: .milliseconds(500))) {
                    await record(window)
                }
            }
            defer { lines.finish() }
            for try await chunk in stream {
                guard let (timestamp, message) = chunk.splitTimestamp() else { continue }
                if let cursor, timestamp <= cursor { continue }
                log.append(message, stream: chunk.stream, timestamp: timestamp)
                if chunk.stream == .stdout, message.starts(with: Self.reportPrefix) {
                    if report.apply(line: String(decoding: message, as: UTF8.self).trimmingCharacters(in: .newlines)) {
                        continue
                    }
                    if let line = progressLine(message, at: timestamp.date) { lines.yield(line) }
                }
                FaultInjection.hit(.whileWaiting)
            }
            lines.finish()
            try await group.waitForAll()
        }
    }

    /// Whether the container is gone; after a SIGKILL exit, looks for up to a second (a forced removal
    /// kills first and removes a moment later).
    func containerVanished(_ containerID: String, engine: any ContainerEngine, killed: Bool) async -> Bool {
        // A container removed behind the daemon's back was killed first (`docker rm -f`): only then look.
        guard killed else { return false }
        let deadline = ContinuousClock.now + .seconds(1)
        repeat {
            do {
                _ = try await engine.inspect(containerID)
            } catch EngineError.notFound {
                return true
            } catch {
                return false
            }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(100))
        } while true
    }

    // MARK: Recording

    /// Records the attempt's end; runs in its own task so a shutdown cannot cut it off half-way.
    func record(_ outcome: AttemptOutcome) async {
        do {
            let (database, job, policy) = (self.database, self.job, configuration.retry)
            let (updated, verdict) = try await Task {
                try await database.finishAttempt(job.id, attempt: job.attempts, outcome: outcome, policy: policy)
            }.value
            var fields = metadata
            fields["state"] = "\(updated.state.rawValue)"
            fields["reason"] = "\(updated.reason ?? "")"
            fields["exit_code"] = "\(updated.exitCode.map(String.init) ?? "")"
            fields["verdict"] = "\(verdict)"
            logger.info("job attempt ended", metadata: fields)
            onRecorded()
        } catch {
            logger.error("recording an attempt failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// Whether this runner's attempt is still the job's current one (unknown counts as current).
    private func isCurrent() async -> Bool {
        guard let current = try? await database.job(job.id).job else { return true }
        return current.attempts == job.attempts && (current.state.isActive || current.state == .cancelled)
    }

    private func labelsMatch(_ details: EngineContainer) -> Bool {
        let labels = details.labels
        return labels[ContainerLabel.job] == job.id && labels[ContainerLabel.attempt] == String(job.attempts)
            && labels[ContainerLabel.instance] == executor.instance
    }

    /// Why an attempt ended outside the job's own command.
    enum AttemptError: Error {
        case containerLost(String)
    }

    /// The start of every line of the runner contract (`##cosmos `).
    static let reportPrefix = Array("##cosmos ".utf8)

    static func shortText(_ error: any Error) -> String {
        let text = "\(error)"
        return text.count > 200 ? String(text.prefix(200)) + "..." : text
    }
}
