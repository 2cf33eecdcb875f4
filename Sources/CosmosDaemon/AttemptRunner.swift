import CosmosDomain
import CosmosStore
import DockerEngine
import Foundation
import Logging

/// Carries one attempt of one job to its end: create, stage, start, follow, collect, remove, record.
///
/// The container name is fixed per (job, attempt), so creation is idempotent: a `409 Conflict`
/// means the container exists and is adopted after its labels are checked. The wait is registered
/// before `start`, as `docker run` does. If the daemon shuts down, the runner is cancelled and
/// leaves the container running without recording anything; the next start adopts it.
struct AttemptRunner: Sendable {
    let job: JobRecord
    let database: AppDatabase
    let executor: DockerExecutor
    let configuration: DaemonConfiguration
    let logger: Logger

    private var metadata: Logger.Metadata {
        [
            "JOB_ID": "\(job.id)", "HOST": "\(job.host ?? "")", "attempt": "\(job.attempts)",
            "container": "\(job.containerName)",
        ]
    }

    /// Runs (or, when `adopting`, resumes) the attempt; returns when it is recorded or the task is cancelled.
    func run(adopting: Bool) async {
        do {
            let client = try executor.client(for: job.host)
            guard let containerID = try await prepareContainer(client: client, adopting: adopting) else { return }
            let exit = try await superviseContainer(containerID, client: client)
            let outputs: [String]
            var collectError: String?
            do {
                outputs = try await executor.collectOutputs(job, containerID: containerID)
            } catch {
                outputs = []
                collectError = "collecting outputs failed: \(error)"
                logger.warning("collecting outputs failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
            // Record first, then remove: a crash in between leaves an orphan to clean up, never a re-run.
            await record(.exited(code: exit.code, oomKilled: exit.oomKilled, outputs: outputs, error: exit.error ?? collectError))
            try? await client.removeContainer(id: containerID, force: true)
        } catch is CancellationError {
            logger.debug("runner cancelled; leaving the container", metadata: metadata)
        } catch {
            if Task.isCancelled { return }
            logger.error("attempt failed in the engine", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            if let client = try? executor.client(for: job.host) {
                try? await client.removeContainer(id: job.containerName, force: true)
            }
            await record(.infrastructureFailure(reason: Reason.engineError(Self.shortText(error)), error: "\(error)"))
        }
    }

    // MARK: Steps

    /// Creates (or finds) and starts the container; nil when the job was cancelled before it ran.
    private func prepareContainer(client: DockerClient, adopting: Bool) async throws -> String? {
        var details: ContainerDetails?
        if adopting {
            details = try? await client.inspectContainer(id: job.containerName)
            if let details, !labelsMatch(details) {
                throw ExecutorError.foreignContainer(name: job.containerName, labels: details.config.labels)
            }
            if details == nil, job.state == .running {
                await record(.infrastructureFailure(reason: Reason.containerLost, error: "container \(job.containerName) is gone"))
                return nil
            }
        }
        if details == nil {
            let config = try await executor.containerConfig(for: job)
            do {
                let id = try await client.createContainer(name: job.containerName, config)
                details = try await client.inspectContainer(id: id)
            } catch let error as DockerError where error.isConflict {
                // A create whose answer was lost: adopt the container if it is ours, never make a second.
                let existing = try await client.inspectContainer(id: job.containerName)
                guard labelsMatch(existing) else {
                    throw ExecutorError.foreignContainer(name: job.containerName, labels: existing.config.labels)
                }
                details = existing
            }
        }
        guard let details else { return nil }
        try await database.recordContainer(job.id, attempt: job.attempts, containerID: details.id)
        guard details.state.status == .created else {
            if details.state.running { _ = try await database.markRunning(job.id, attempt: job.attempts, containerID: details.id) }
            return details.id
        }
        try await executor.stage(job, containerID: details.id)
        guard try await database.job(job.id).job.state == .starting else {
            logger.info("job cancelled before its container started", metadata: metadata)
            try? await client.removeContainer(id: details.id, force: true)
            await record(.exited(code: -1, oomKilled: false, outputs: [], error: nil))
            return nil
        }
        return details.id
    }

    /// Starts the container if needed, follows its logs and waits for its end.
    private func superviseContainer(_ containerID: String, client: DockerClient) async throws
        -> (code: Int, oomKilled: Bool, error: String?)
    {
        let current = try await client.inspectContainer(id: containerID)
        let logPath = JobLogs.path(for: job.id, in: configuration.logsDirectory)
        if current.state.status == .created {
            let wait = try await client.registerWait(id: containerID, condition: .nextExit)
            _ = try await client.startContainer(id: containerID)
            let marked = try await database.markRunning(job.id, attempt: job.attempts, containerID: containerID)
            if !marked {
                logger.info("job cancelled while starting; stopping its container", metadata: metadata)
                _ = try? await client.stopContainer(id: containerID, timeout: configuration.stopTimeoutSeconds)
            }
            logger.info("container started", metadata: metadata.merging(["CONTAINER_ID": "\(containerID)"]) { $1 })
            try await followLogs(containerID, client: client, path: logPath, header: true) {
                _ = try await wait.result()
            }
        } else if current.state.running {
            let wait = try await client.registerWait(id: containerID, condition: .notRunning)
            try await followLogs(containerID, client: client, path: logPath, header: false) {
                _ = try await wait.result()
            }
        } else {
            // Exited while nobody watched: copy what the log file is missing.
            try await followLogs(containerID, client: client, path: logPath, header: false) {}
        }
        let final = try await client.inspectContainer(id: containerID)
        let error = final.state.error.isEmpty ? nil : final.state.error
        return (final.state.exitCode, final.state.oomKilled, error)
    }

    /// Copies the container's output into the job's log file while `waitForExit` runs, then drains it.
    ///
    /// Lines carry engine timestamps; the last one saved is the cursor, so a resumed follow skips what
    /// the file already has: no duplicate lines, nothing lost.
    private func followLogs(
        _ containerID: String,
        client: DockerClient,
        path: String,
        header: Bool,
        waitForExit: @escaping @Sendable () async throws -> Void
    ) async throws {
        let log = try LogFileWriter(path: path)
        if header {
            log.append(Array("=== attempt \(job.attempts) on \(job.host ?? "?") (\(job.containerName)) ===\n".utf8))
        }
        var cursor = try await database.job(job.id).job.logCursor.flatMap { DockerTimestamp(rfc3339: $0) }
        let since = cursor.map { Date(timeIntervalSince1970: Double($0.secondsSince1970)) }
        let stream = try await client.logs(id: containerID, follow: true, since: since, timestamps: true)
        var savedCursor = cursor
        var lastSave = ContinuousClock.now
        // Saves the cursor at most once a second while following, and always at the end or on cancellation,
        // so a follow resumed after a restart skips what the file already has.
        func saveCursor(force: Bool) async {
            guard let cursor, cursor != savedCursor, force || ContinuousClock.now - lastSave > .seconds(1) else { return }
            let (database, job) = (self.database, self.job)
            // A fresh task: the save must happen even when this one is being cancelled by a shutdown.
            await Task { try? await database.saveLogCursor(job.id, attempt: job.attempts, cursor: cursor.description) }
                .value
            savedCursor = cursor
            lastSave = ContinuousClock.now
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await waitForExit() }
                for try await chunk in stream {
                    guard let (timestamp, message) = chunk.splitTimestamp() else {
                        log.append(chunk.bytes)
                        continue
                    }
                    if let cursor, timestamp <= cursor { continue }
                    log.append(message)
                    cursor = timestamp
                    await saveCursor(force: false)
                }
                try await group.waitForAll()
            }
        } catch {
            await saveCursor(force: true)
            log.close()
            throw error
        }
        await saveCursor(force: true)
        log.close()
    }

    // MARK: Recording

    /// Records the attempt's end; runs in its own task so a shutdown cannot cut it off half-way.
    private func record(_ outcome: AttemptOutcome) async {
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
        } catch {
            logger.error("recording an attempt failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    private func labelsMatch(_ details: ContainerDetails) -> Bool {
        let labels = details.config.labels
        return labels[ContainerLabel.job] == job.id && labels[ContainerLabel.attempt] == String(job.attempts)
            && labels[ContainerLabel.instance] == executor.instance
    }

    static func shortText(_ error: any Error) -> String {
        let text = "\(error)"
        return text.count > 200 ? String(text.prefix(200)) + "..." : text
    }
}
