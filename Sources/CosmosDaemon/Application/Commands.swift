import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import Logging

/// Every user action, one function each: identify the caller, authorize, run the store transaction, wake or
/// stop what must follow, and log with the job's fields.
///
/// The control socket's controllers call these; the web dashboard and maintenance runs are to call the same
/// functions, so access checks and the audit log live here only.
struct Commands: Sendable {
    let database: AppDatabase
    let scheduler: Scheduler
    let registry: HostRegistry
    let live: LiveConfiguration
    let access: AccessPolicy
    let logger: Logger
    /// The configuration in force (a reload may replace it between two reads).
    var configuration: DaemonConfiguration { live.current }

    // MARK: Submitting

    /// `submit`: validates every spec (naming `jobs[i].field` on the first refusal), stores all or nothing.
    func submit(_ items: [JSONValue], by caller: PeerCredentials) async throws -> [RankedJob] {
        try await audited("submit", "queue", by: caller) {
            try access.authorize(.submit, by: caller)
            let specs = try validateSpecs(items, key: "jobs", caller: caller)
            try await validateDependencies(specs, key: "jobs", caller: caller)
            let jobs = try await database.submit(specs, ownerUID: caller.uid)
            for job in jobs.map(\.job) {
                logger.info(
                    "job submitted",
                    metadata: ["JOB_ID": "\(job.id)", "CALLER_UID": "\(caller.uid)", "image": "\(job.image)"]
                )
            }
            scheduler.wake()
            return jobs
        }
    }

    /// `submit --batch-run`: the items share one container; returns the parent and its items.
    func submitBatchRun(_ items: [JSONValue], by caller: PeerCredentials) async throws
        -> (parent: RankedJob, children: [JobRecord])
    {
        try await audited("submit batch run", "queue", by: caller) {
            try access.authorize(.submit, by: caller)
            let specs = try validateSpecs(items, key: "items", caller: caller, nameSingle: true)
            for (index, spec) in specs.enumerated() where !spec.dependencies.isEmpty {
                throw SpecError(
                    field: "items[\(index)]",
                    reason: "an item of a batch run cannot wait for other jobs (after, after_any, job: inputs); "
                        + "submit the run once they have finished, or submit the jobs alone"
                )
            }
            let parentSpec = try BatchRun.parentSpec(for: specs, limits: configuration.batchRunLimits)
            let (parent, children) = try await database.submitBatchRun(
                parent: parentSpec,
                children: specs,
                ownerUID: caller.uid
            )
            logger.info(
                "batch run submitted",
                metadata: [
                    "JOB_ID": "\(parent.job.id)", "items": "\(children.count)", "CALLER_UID": "\(caller.uid)",
                ]
            )
            scheduler.wake()
            return (parent, children)
        }
    }

    // MARK: One job

    /// `cancel`: ends a queued or held job at once; a running one is stopped and its runner records the end.
    func cancel(_ id: String, by caller: PeerCredentials) async throws -> RankedJob {
        try await audited("cancel", "job \(id)", by: caller) {
            try access.authorize(.changeJob(try await database.job(id).job, verb: "cancel"), by: caller)
            let outcome = try await database.cancel(id, byUID: caller.uid)
            logger.notice("job cancelled", metadata: ["JOB_ID": "\(outcome.job.id)", "CALLER_UID": "\(caller.uid)"])
            if outcome.needsStop { scheduler.stop(jobID: outcome.job.id) }
            if let parent = outcome.job.parentId { scheduler.signalCancelledItems(parentID: parent) }
            return try await database.job(outcome.job.id)
        }
    }

    /// `retry`: puts a failed or cancelled job back in the queue with a fresh retry budget.
    func retry(_ id: String, by caller: PeerCredentials) async throws -> RankedJob {
        try await change(id, verb: "retry", by: caller, wake: true) { try await database.retry(id) }
    }

    /// `hold`: the job keeps its place but is skipped.
    func hold(_ id: String, by caller: PeerCredentials) async throws -> RankedJob {
        try await change(id, verb: "hold", by: caller, wake: false) { try await database.hold(id) }
    }

    /// `release`: a held job may start again.
    func release(_ id: String, by caller: PeerCredentials) async throws -> RankedJob {
        try await change(id, verb: "release", by: caller, wake: true) { try await database.release(id) }
    }

    /// `move`: reorders a queued job within its priority level.
    ///
    /// Moving among your own jobs is always allowed; passing another user's queued job needs an admin.
    func move(_ id: String, to target: MoveTarget, by caller: PeerCredentials) async throws -> RankedJob {
        let passing = passCheck(job: id, verb: "moving it", by: caller)
        return try await change(id, verb: "move", by: caller, wake: true) {
            try await database.move(id, to: target, passing: passing)
        }
    }

    /// The check a move by `caller` runs on the owners of the jobs it passes; nil for an admin, who may pass any.
    func passCheck(job: String, verb: String, by caller: PeerCredentials) -> (@Sendable (Set<Int>) throws -> Void)? {
        let identity = caller.identity
        guard !access.isAdmin(identity) else { return nil }
        let access = self.access
        return { owners in try access.authorize(.pass(job: job, owners: owners, verb: verb), by: identity) }
    }

    /// `priority`: changes a queued job's priority (higher runs first).
    func setPriority(_ id: String, to priority: Int, by caller: PeerCredentials) async throws -> RankedJob {
        try await change(id, verb: "priority", refusing: "change the priority of", by: caller, wake: true) {
            guard SpecLimits.priorityRange.contains(priority) else {
                let range = SpecLimits.priorityRange
                throw SpecError(field: "priority", reason: "must be in \(range.lowerBound)...\(range.upperBound)")
            }
            return try await database.setPriority(id, to: priority)
        }
    }

    /// Authorizes a change of one job, applies it, logs it and wakes the scheduler when it can start work.
    ///
    /// `verb` names the action in the log and the audit entry; `refusing`, when given, is how a refusal words it.
    private func change(
        _ id: String,
        verb: String,
        refusing refusedVerb: String? = nil,
        by caller: PeerCredentials,
        wake: Bool,
        _ apply: () async throws -> RankedJob
    ) async throws -> RankedJob {
        try await audited(verb, "job \(id)", by: caller) {
            try access.authorize(.changeJob(try await database.job(id).job, verb: refusedVerb ?? verb), by: caller)
            let job = try await apply()
            logger.info("job \(verb)", metadata: ["JOB_ID": "\(id)", "CALLER_UID": "\(caller.uid)"])
            if wake { scheduler.wake() }
            return job
        }
    }

    /// `logs --follow`: only the job's owner or an admin may follow its log; checked when the stream opens.
    func authorizeFollow(_ id: String, by caller: PeerCredentials) async throws {
        try access.authorize(.changeJob(try await database.job(id).job, verb: "follow the log of"), by: caller)
    }

    // MARK: The queue and its hosts

    /// `pause` / `resume`: stops or allows new starts; running jobs carry on.
    func setPaused(_ paused: Bool, by caller: PeerCredentials) async throws {
        let verb = paused ? "pause" : "resume"
        try await audited(verb, "queue", by: caller) {
            try access.authorize(.operate(verb: verb), by: caller)
            try await database.setPaused(paused, byUID: caller.uid)
            logger.notice(paused ? "queue paused" : "queue resumed", metadata: ["CALLER_UID": "\(caller.uid)"])
            scheduler.wake()
        }
    }

    /// `hosts drain NAME` / `hosts resume NAME`: stored first, so a drain outlives a restart.
    func setDraining(_ name: String, _ draining: Bool, by caller: PeerCredentials) async throws {
        let verb = draining ? "hosts drain" : "hosts resume"
        try await audited(verb, "host \(name)", by: caller) {
            try access.authorize(.operate(verb: verb), by: caller)
            guard configuration.hosts.contains(where: { $0.name == name }) else {
                throw Self.unknownHost(name, configuration)
            }
            try await database.setDraining(name, draining, byUID: caller.uid)
            registry.setDraining(name, draining)
            logger.notice(
                draining ? "host drained: no new jobs go there" : "host resumed: it takes work again",
                metadata: ["HOST": "\(name)", "CALLER_UID": "\(caller.uid)"]
            )
            scheduler.wake()
        }
    }

    /// The error for a host name the configuration does not have.
    static func unknownHost(_ name: String, _ configuration: DaemonConfiguration) -> APIError {
        let known = configuration.hosts.map(\.name).joined(separator: ", ")
        return APIError(.notFound, "host_not_found", "host \"\(name)\" is not configured (hosts: \(known))")
    }
}
