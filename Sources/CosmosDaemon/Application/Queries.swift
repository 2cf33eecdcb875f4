import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation

/// Every view the daemon shows, computed once: status, jobs with their pending reasons, hosts, batches.
///
/// The control API, systemd's STATUS line, and the coming metrics and dashboard all read these.
struct Queries: Sendable {
    let database: AppDatabase
    let scheduler: Scheduler
    let registry: HostRegistry
    let live: LiveConfiguration
    let instance: String
    let statistics: DaemonStatistics
    /// What each caller may see (`[access] private`).
    let access: AccessPolicy
    /// The configuration in force (a reload may replace it between two reads).
    var configuration: DaemonConfiguration { live.current }

    // MARK: Status

    /// GPUs in use by starting and running jobs, and GPUs configured.
    struct GPUUsage: Sendable, Equatable {
        var used: Int
        var total: Int
    }

    /// GPU use, from the active jobs.
    func gpuUsage(active: [JobRecord]) -> GPUUsage {
        GPUUsage(
            used: active.reduce(0) { $0 + $1.devices.count },
            total: configuration.hosts.reduce(0) { $0 + $1.devices.count }
        )
    }

    /// `cosmosctl status`: paused or not, counts per state, GPUs, hosts.
    func status() async throws -> StatusView {
        let counts = try await database.counts()
        let gpus = gpuUsage(active: try await database.activeJobs())
        return StatusView(
            paused: try await database.isPaused(),
            counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            gpusTotal: gpus.total,
            gpusUsed: gpus.used,
            hostsUp: registry.upHosts.count,
            hostsTotal: configuration.hosts.count,
            instance: instance,
            version: CosmosWorkerVersion.current,
            policy: configuration.policy.rawValue,
            eventSeq: try await database.latestEventSeq(),
            events: statistics.events,
            writes: statistics.writes
        )
    }

    /// systemd's one-line STATUS: `3/8 GPUs busy, 120 queued, 2 running, 2 hosts up, queue paused`.
    func statusLine() async throws -> String {
        let status = try await status()
        let hosts = status.hostsUp
        return "\(status.gpusUsed)/\(status.gpusTotal) GPUs busy, \(status.counts["queued"] ?? 0) queued, "
            + "\(status.counts["running"] ?? 0) running, "
            + "\(hosts) host\(hosts == 1 ? "" : "s") up, queue \(status.paused ? "paused" : "running")"
    }

    // MARK: Jobs

    /// `show ID`: the job, with its items when it is a batch-run parent (read in one transaction), the jobs that
    /// wait for it and the upscales made from it.
    ///
    /// A job `viewer` may not see is not found, as if it did not exist.
    func job(_ id: String, for viewer: CallerIdentity) async throws -> JobView {
        let (ranked, children) = try await database.jobWithChildren(id)
        guard access.maySee(ownerUID: ranked.job.ownerUid, viewer) else { throw StoreError.jobNotFound(id) }
        let reasons = try await pendingReasons(for: [ranked.job] + (children ?? []))
        var view = ranked.view(pendingReason: reasons(ranked))
        if let children { view.children = Self.childViews(children, reasons: reasons) }
        let links = try await database.links(of: id, owner: access.visibleOwners(viewer))
        view.dependents = links.dependents
        view.upscales = links.upscales
        return view
    }

    /// Views of jobs a command returned.
    func views(_ jobs: [RankedJob]) async throws -> [JobView] {
        let reasons = try await pendingReasons(for: jobs.map(\.job))
        return jobs.map { $0.view(pendingReason: reasons($0)) }
    }

    /// A batch-run parent and its items, as a command returned them.
    func view(parent: RankedJob, children: [JobRecord]) async throws -> JobView {
        let reasons = try await pendingReasons(for: [parent.job] + children)
        var view = parent.view(pendingReason: reasons(parent))
        view.children = Self.childViews(children, reasons: reasons)
        return view
    }

    /// Whether a job has ended (a missing job counts as ended): the log follower stops then.
    func hasEnded(_ id: String) async throws -> Bool {
        do {
            return try await database.job(id).job.state.isTerminal
        } catch StoreError.jobNotFound {
            return true
        }
    }

    /// A batch run's items as the API shows them (they have no queue position of their own).
    static func childViews(_ children: [JobRecord], reasons: (RankedJob) -> String?) -> [JobView] {
        children.map { child in
            let ranked = RankedJob(job: child, position: nil)
            return ranked.view(pendingReason: reasons(ranked))
        }
    }

    /// Why a queued or held job of `jobs` waits: held, the paused queue, a dependency, a retry's backoff, or the
    /// scheduler's word.
    func pendingReasons(for jobs: [JobRecord], now: Date = Date()) async throws -> @Sendable (RankedJob) -> String? {
        let paused = try await database.isPaused()
        let stoppedBatches = try await database.stoppedBatchIDs()
        let waiting = try await database.unsatisfiedDependencies(of: jobs)
        let reasons = scheduler.pendingReasons
        return { ranked in
            let job = ranked.job
            let batchPaused = job.batchId.map { stoppedBatches.contains($0) } ?? false
            switch job.state {
            case .held:
                if let run = job.heldByRun { return EnhanceRun.holdReason(parentID: run) }
                return batchPaused ? "held (batch \(job.batchId ?? "") paused)" : "held"
            case .queued:
                if paused { return "queue paused" }
                if batchPaused { return "batch \(job.batchId ?? "") paused" }
                if let (dependency, state) = waiting[job.id] { return dependency.waitingReason(state: state) }
                if let notBefore = job.notBefore, notBefore > now {
                    return "retrying after \(job.reason ?? "a failure"), not before \(Timestamp.format(notBefore))"
                }
                if let reason = reasons[job.id] { return reason }
                return ranked.position.map { "waiting its turn (position \($0))" } ?? "waiting for the scheduler"
            default:
                return nil
            }
        }
    }

    // MARK: Hosts

    /// Every configured host with its state, GPUs and running jobs.
    func hosts() async throws -> [HostView] {
        let active = try await database.activeJobs()
        return configuration.hosts.map { host in
            let jobs = active.filter { $0.host == host.name }
            let health = registry.health(of: host.name)
            let draining = registry.isDraining(host.name)
            return HostView(
                name: host.name,
                state: HostDisplayState(status: health.status, draining: draining, running: jobs.count),
                gpusTotal: host.devices.count,
                gpusUsed: gpuUsage(active: jobs).used,
                running: jobs.count,
                endpoint: host.docker,
                draining: draining,
                labels: host.labels,
                gpuMemoryGib: host.gpuMemoryGiB,
                lastError: health.lastError
            )
        }
    }

    /// One configured host.
    func host(_ name: String) async throws -> HostView {
        guard let view = try await hosts().first(where: { $0.name == name }) else {
            throw Commands.unknownHost(name, configuration)
        }
        return view
    }
}
