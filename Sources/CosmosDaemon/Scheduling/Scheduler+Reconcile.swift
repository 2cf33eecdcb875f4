import CosmosDomain
import CosmosStore
import DockerEngine
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Reconciliation: the database against the containers on every engine.
extension Scheduler {
    /// What one look at an engine's containers found.
    struct ContainerFinding: Sendable, Equatable {
        var host: String
        var containerID: String
        var name: String
        var jobID: String?
        var attempt: Int?
        /// When the engine created the container.
        var created: Date? = nil
    }

    /// Whether a container of this instance belongs to no current attempt (pure; unit-tested).
    ///
    /// A container is current only if its job is starting or running with the same attempt number.
    /// Anything else (unknown job, finished job, queued job, older attempt) is an orphan.
    static func isOrphan(_ finding: ContainerFinding, job: JobRecord?) -> Bool {
        guard let job, let attempt = finding.attempt else { return true }
        return !(job.state.isActive && job.attempts == attempt && job.host == finding.host)
    }

    /// Whether the container belongs to an attempt older than its job's current one (pure; unit-tested).
    static func isSuperseded(_ finding: ContainerFinding, job: JobRecord?) -> Bool {
        guard let job, let attempt = finding.attempt else { return false }
        return attempt < job.attempts
    }

    /// Lists this instance's containers on every reachable host; unreachable hosts are skipped.
    func findContainers() async -> [ContainerFinding] {
        var findings: [ContainerFinding] = []
        for host in configuration.hosts {
            guard let engine = try? executor.engine(for: host.name) else { continue }
            do {
                for container in try await engine.list(labels: executor.instanceLabels) {
                    findings.append(
                        ContainerFinding(
                            host: host.name,
                            containerID: container.id,
                            name: container.name,
                            jobID: container.labels[ContainerLabel.job],
                            attempt: container.labels[ContainerLabel.attempt].flatMap { Int($0) },
                            created: container.created.map { Date(timeIntervalSince1970: TimeInterval($0)) }
                        )
                    )
                }
            } catch {
                logger.warning("cannot list containers", metadata: ["HOST": "\(host.name)", "error": "\(error)"])
            }
        }
        return findings
    }

    /// Removes containers that belong to no current attempt once they have been seen for the grace period.
    ///
    /// Containers of other instances are never listed, so never touched.
    func removeOrphans(_ findings: [ContainerFinding], now: ContinuousClock.Instant = .now) async {
        let (orphans, superseded) = await classify(findings)
        // Unknown containers get the grace period; a superseded attempt (its job was retried, say after its
        // host was down) goes at once, its outputs discarded.
        let grace = Duration.seconds(configuration.orphanGraceSeconds)
        let due = noteOrphans(orphans.map(\.containerID), now: now)
            .filter { now - $0.value >= grace || superseded.contains($0.key) }.map(\.key)
        for orphan in orphans where due.contains(orphan.containerID) {
            _ = await remove(orphan)
        }
    }

    /// Removes staging folders whose attempt is not current (a crash between an attempt's end and the folder's
    /// removal leaves one); a folder whose job the store could not read is kept.
    func removeStaleStagingFolders() async {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: executor.stagingDirectory)) ?? []
        for name in names {
            guard let (id, attempt) = StagingFolder.parse(name) else {
                if name.hasPrefix(ContainerExecutor.stagingProbePrefix) { removeStaleProbe(name) }
                continue
            }
            let job: JobRecord?
            do {
                job = try await database.jobIfExists(id)
            } catch {
                continue
            }
            if let job, job.state.isActive, job.attempts == attempt { continue }
            let folder = StagingFolder(root: executor.stagingDirectory, job: id, attempt: attempt)
            do {
                try folder.remove()
                logger.info("removed a stale staging folder", metadata: ["JOB_ID": "\(id)", "attempt": "\(attempt)"])
            } catch {
                logger.warning(
                    "cannot remove a stale staging folder",
                    metadata: ["JOB_ID": "\(id)", "attempt": "\(attempt)", "error": "\(error)"]
                )
            }
        }
    }

    /// Removes an empty probe folder (``ContainerExecutor/resolveAutoStaging(_:image:)``) a crash left, once it
    /// is a minute old: a younger one may belong to a probe under way.
    private func removeStaleProbe(_ name: String) {
        let path = executor.stagingDirectory + "/" + name
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
            Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > 60
        else { return }
        rmdir(path)
    }

    /// `maintenance run --sweep`: removes this instance's containers that no job owns, on every reachable host,
    /// once the engine says they were created at least the orphan grace period ago; returns those removed.
    func sweepOrphans(now: Date = Date()) async -> [ContainerFinding] {
        let (orphans, superseded) = await classify(await findContainers())
        let grace = TimeInterval(configuration.orphanGraceSeconds)
        var removed: [ContainerFinding] = []
        for orphan in orphans {
            let old = orphan.created.map { now.timeIntervalSince($0) >= grace } ?? false
            guard old || superseded.contains(orphan.containerID) else { continue }
            if await remove(orphan) { removed.append(orphan) }
        }
        return removed
    }

    /// Splits findings into orphans and, among them, superseded attempts; a container whose job the store could
    /// not read is neither (never remove a container the store could not vouch for).
    private func classify(_ findings: [ContainerFinding]) async -> (
        orphans: [ContainerFinding], superseded: Set<String>
    ) {
        var orphans: [ContainerFinding] = []
        var superseded: Set<String> = []
        for finding in findings {
            var job: JobRecord?
            if let id = finding.jobID {
                do {
                    job = try await database.jobIfExists(id)
                } catch {
                    logger.warning(
                        "cannot read a container's job; keeping it for now",
                        metadata: ["JOB_ID": "\(id)", "error": "\(error)"]
                    )
                    continue
                }
            }
            if Self.isOrphan(finding, job: job) { orphans.append(finding) }
            if Self.isSuperseded(finding, job: job) { superseded.insert(finding.containerID) }
        }
        return (orphans, superseded)
    }

    /// Stops and removes one orphan; true when it is gone.
    private func remove(_ orphan: ContainerFinding) async -> Bool {
        guard let engine = try? executor.engine(for: orphan.host) else { return false }
        try? await engine.stop(orphan.containerID, timeout: configuration.stopTimeoutSeconds)
        do {
            try await engine.remove(orphan.containerID)
            logger.notice(
                "removed orphan container",
                metadata: [
                    "HOST": "\(orphan.host)", "CONTAINER_ID": "\(orphan.containerID)", "container": "\(orphan.name)",
                    "JOB_ID": "\(orphan.jobID ?? "")", "attempt": "\(orphan.attempt.map(String.init) ?? "")",
                ]
            )
            return true
        } catch EngineError.notFound {
            return true
        } catch {
            logger.warning(
                "removing an orphan container failed",
                metadata: ["CONTAINER_ID": "\(orphan.containerID)", "error": "\(error)"]
            )
            return false
        }
    }
}
