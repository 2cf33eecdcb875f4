import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The control API's routes: thin handlers that validate input and call the store and scheduler.
struct ControlAPI: Sendable {
    let database: AppDatabase
    let scheduler: Scheduler
    let registry: HostRegistry
    let live: LiveConfiguration
    /// The configuration in force (a reload may replace it between two reads).
    var configuration: DaemonConfiguration { live.current }
    let instance: String

    /// Adds every `/v1` route to `router`.
    func register(on router: Router<ControlRequestContext>) {
        router.add(middleware: APIErrorMiddleware())
        router.get("/v1/status") { _, _ in try await status() }
        router.post("/v1/pause") { _, context in try await setPaused(true, context: context) }
        router.post("/v1/resume") { _, context in try await setPaused(false, context: context) }
        router.post("/v1/jobs") { request, context in try await submit(request, context: context) }
        router.get("/v1/jobs") { request, _ in try await list(request) }
        router.get("/v1/jobs/:id") { _, context in try await show(context) }
        router.get("/v1/jobs/:id/logs") { request, context in try await logs(request, context: context) }
        router.post("/v1/jobs/:id/cancel") { _, context in try await cancel(context) }
        router.post("/v1/jobs/:id/retry") { _, context in
            try await respond(job: try await database.retry(try jobID(context)), wake: true)
        }
        router.post("/v1/jobs/:id/hold") { _, context in
            try await respond(job: try await database.hold(try jobID(context)))
        }
        router.post("/v1/jobs/:id/release") { _, context in
            try await respond(job: try await database.release(try jobID(context)), wake: true)
        }
        router.post("/v1/jobs/:id/move") { request, context in try await move(request, context: context) }
        router.post("/v1/jobs/:id/priority") { request, context in try await priority(request, context: context) }
        router.get("/v1/hosts") { _, _ in try json(HostsResponse(hosts: try await hostViews())) }
        router.post("/v1/hosts/:name/drain") { _, context in try await drain(true, context: context) }
        router.post("/v1/hosts/:name/resume") { _, context in try await drain(false, context: context) }
        registerBatches(on: router)
        router.post("/v1/batch-runs") { request, context in try await submitBatchRun(request, context: context) }
    }

    // MARK: Handlers

    func status() async throws -> Response {
        let counts = try await database.counts()
        let active = try await database.activeJobs()
        let view = StatusView(
            paused: try await database.isPaused(),
            counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            gpusTotal: configuration.hosts.reduce(0) { $0 + $1.devices.count },
            gpusUsed: active.reduce(0) { $0 + $1.devices.count },
            hostsUp: registry.upHosts.count,
            hostsTotal: configuration.hosts.count,
            instance: instance,
            version: CosmosWorkerVersion.current,
            policy: configuration.policy.rawValue
        )
        return try json(view)
    }

    func setPaused(_ paused: Bool, context: ControlRequestContext) async throws -> Response {
        let caller = try await context.peerCredentials()
        try await database.setPaused(paused, byUID: caller.uid)
        context.logger.notice(paused ? "queue paused" : "queue resumed", metadata: ["CALLER_UID": "\(caller.uid)"])
        scheduler.wake()
        return try await status()
    }

    func submit(_ request: Request, context: ControlRequestContext) async throws -> Response {
        let caller = try await context.peerCredentials()
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let value = try JSONValue.parse(Data(buffer: body))
        guard case .object(let object) = value, case .array(let items)? = object["jobs"] else {
            throw SpecError(field: "jobs", reason: "expected {\"jobs\": [job spec, ...]}")
        }
        let specs = try validateSpecs(items, key: "jobs", caller: caller)
        let jobs = try await database.submit(specs, ownerUID: caller.uid)
        for job in jobs.map(\.job) {
            context.logger.info(
                "job submitted",
                metadata: ["JOB_ID": "\(job.id)", "CALLER_UID": "\(caller.uid)", "image": "\(job.image)"]
            )
        }
        scheduler.wake()
        let reasons = try await pendingReasons()
        return try json(JobsResponse(jobs: jobs.map { $0.view(pendingReason: reasons($0)) }), status: .created)
    }

    /// `submit --batch-run`: the items share one container; prints the parent.
    func submitBatchRun(_ request: Request, context: ControlRequestContext) async throws -> Response {
        let caller = try await context.peerCredentials()
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard case .object(let object) = try JSONValue.parse(Data(buffer: body)),
            case .array(let items)? = object["jobs"]
        else {
            throw SpecError(field: "jobs", reason: "expected {\"jobs\": [job spec, ...]}")
        }
        let specs = try validateSpecs(items, key: "items", caller: caller, nameSingle: true)
        let parentSpec = try BatchRun.parentSpec(for: specs, limits: configuration.batchRunLimits)
        let (parent, children) = try await database.submitBatchRun(
            parent: parentSpec,
            children: specs,
            ownerUID: caller.uid
        )
        context.logger.info(
            "batch run submitted",
            metadata: ["JOB_ID": "\(parent.job.id)", "items": "\(children.count)", "CALLER_UID": "\(caller.uid)"]
        )
        scheduler.wake()
        let reasons = try await pendingReasons()
        var view = parent.view(pendingReason: reasons(parent))
        view.children = Self.childViews(children, reasons: reasons)
        return try json(view, status: .created)
    }

    /// Parses and checks every item; the first refusal names `key[i].field` (just the field for a single item).
    func validateSpecs(_ items: [JSONValue], key: String, caller: PeerCredentials, nameSingle: Bool = false) throws
        -> [JobSpec]
    {
        guard !items.isEmpty else { throw SpecError(field: key, reason: "is empty: nothing to submit") }
        guard items.count <= 10_000 else {
            throw SpecError(field: key, reason: "more than 10000 jobs in one request")
        }
        let policy = InputPolicy(settings: configuration.inputs)
        var identity: CallerIdentity?  // read from /proc only when a spec names inputs
        var specs: [JobSpec] = []
        for (index, item) in items.enumerated() {
            let prefix = items.count == 1 && !nameSingle ? "" : "\(key)[\(index)]"
            do {
                let spec = try JobSpec.parse(item)
                try validateAgainstConfiguration(spec)
                if !spec.inputs.isEmpty {
                    let caller = identity ?? caller.identity
                    identity = caller
                    try policy.check(spec.inputs, caller: caller)
                }
                specs.append(spec)
            } catch let error as SpecError {
                throw prefix.isEmpty ? error : error.nested(under: prefix)
            }
        }
        return specs
    }

    /// Refusals that depend on the daemon's configuration rather than on the spec alone.
    func validateAgainstConfiguration(_ spec: JobSpec) throws {
        guard configuration.images.allows(spec.image) else {
            let patterns = configuration.images.patterns?.joined(separator: ", ") ?? ""
            throw APIError(
                .forbidden,
                "image_not_allowed",
                "image: \"\(spec.image)\" is not in the allowlist ([images] allow = \(patterns))"
            )
        }
        let largest = configuration.hosts.map(\.devices.count).max() ?? 0
        guard spec.gpus <= largest else {
            throw SpecError(field: "gpus", reason: "asks for \(spec.gpus) GPUs but the largest host has \(largest)")
        }
    }

    func list(_ request: Request) async throws -> Response {
        var state: JobState?
        if let text = request.uri.queryParameters.get("state") {
            guard let value = JobState(rawValue: text) else {
                let states = JobState.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError(.badRequest, "invalid_request", "state: unknown state \"\(text)\"; use one of \(states)")
            }
            state = value
        }
        var limit: Int?
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text), value >= 0 else {
                throw APIError(.badRequest, "invalid_request", "limit: must be a whole number >= 0 (got \"\(text)\")")
            }
            limit = value
        }
        let reasons = try await pendingReasons()
        let jobs = try await database.list(state: state, limit: limit).map { $0.view(pendingReason: reasons($0)) }
        return try json(JobsResponse(jobs: jobs))
    }

    func show(_ context: ControlRequestContext) async throws -> Response {
        let (ranked, children) = try await database.jobWithChildren(try jobID(context))
        let reasons = try await pendingReasons()
        var view = ranked.view(pendingReason: reasons(ranked))
        if let children { view.children = Self.childViews(children, reasons: reasons) }
        return try json(view)
    }

    func cancel(_ context: ControlRequestContext) async throws -> Response {
        let caller = try await context.peerCredentials()
        let outcome = try await database.cancel(try jobID(context), byUID: caller.uid)
        context.logger.notice(
            "job cancelled",
            metadata: ["JOB_ID": "\(outcome.job.id)", "CALLER_UID": "\(caller.uid)"]
        )
        if outcome.needsStop { scheduler.stop(jobID: outcome.job.id) }
        if let parent = outcome.job.parentId { scheduler.signalCancelledItems(parentID: parent) }
        return try await respond(job: try await database.job(outcome.job.id))
    }

    func move(_ request: Request, context: ControlRequestContext) async throws -> Response {
        let body = try await request.decode(as: MoveRequest.self, context: context)
        return try await respond(job: try await database.move(try jobID(context), to: try moveTarget(body)), wake: true)
    }

    /// The store's move target for a request; a missing companion field is named.
    func moveTarget(_ body: MoveRequest) throws -> MoveTarget {
        switch body.to {
        case "top": return .top
        case "bottom": return .bottom
        case "before", "after":
            guard let other = body.job, !other.isEmpty else {
                throw APIError(.badRequest, "invalid_request", "job: \(body.to) needs the other job's id")
            }
            return body.to == "before" ? .before(other) : .after(other)
        case "position":
            guard let position = body.position else {
                throw APIError(.badRequest, "invalid_request", "position: missing")
            }
            return .position(position)
        default:
            throw APIError(.badRequest, "invalid_request", "to: must be top, bottom, before, after or position")
        }
    }

    func priority(_ request: Request, context: ControlRequestContext) async throws -> Response {
        let body = try await request.decode(as: PriorityRequest.self, context: context)
        guard SpecLimits.priorityRange.contains(body.priority) else {
            let range = SpecLimits.priorityRange
            throw SpecError(field: "priority", reason: "must be in \(range.lowerBound)...\(range.upperBound)")
        }
        return try await respond(job: try await database.setPriority(try jobID(context), to: body.priority), wake: true)
    }

    func logs(_ request: Request, context: ControlRequestContext) async throws -> Response {
        let id = try jobID(context)
        _ = try await database.job(id)
        let follow = request.uri.queryParameters.get("follow") == "true"
        let path = JobLogFile.path(for: id, in: configuration.logsDirectory)
        let database = self.database
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                try await JobLogFile.stream(path: path, follow: follow, writer: &writer) {
                    (try? await database.job(id).job.state.isTerminal) ?? true
                }
                try await writer.finish(nil)
            }
        )
    }

    // MARK: Helpers

    func jobID(_ context: ControlRequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard JobID.isWellFormed(id) else { throw StoreError.jobNotFound(id) }
        return id
    }

    func respond(job: RankedJob, wake: Bool = false) async throws -> Response {
        if wake { scheduler.wake() }
        return try json(job.view(pendingReason: try await pendingReasons()(job)))
    }

    /// A batch run's items as the API shows them (they have no queue position of their own).
    static func childViews(_ children: [JobRecord], reasons: (RankedJob) -> String?) -> [JobView] {
        children.map { child in
            let ranked = RankedJob(job: child, position: nil)
            return ranked.view(pendingReason: reasons(ranked))
        }
    }

    /// Why a queued or held job waits: held, the paused queue, a retry's backoff, or the scheduler's word.
    func pendingReasons(now: Date = Date()) async throws -> @Sendable (RankedJob) -> String? {
        let paused = try await database.isPaused()
        let stoppedBatches = try await database.stoppedBatchIDs()
        let reasons = scheduler.pendingReasons
        return { ranked in
            let job = ranked.job
            let batchPaused = job.batchId.map { stoppedBatches.contains($0) } ?? false
            switch job.state {
            case .held:
                return batchPaused ? "held (batch \(job.batchId ?? "") paused)" : "held"
            case .queued:
                if paused { return "queue paused" }
                if batchPaused { return "batch \(job.batchId ?? "") paused" }
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
    func hostViews() async throws -> [HostView] {
        let active = try await database.activeJobs()
        return configuration.hosts.map { host in
            let jobs = active.filter { $0.host == host.name }
            let health = registry.health(of: host.name)
            let draining = registry.isDraining(host.name)
            return HostView(
                name: host.name,
                state: HostDisplayState(status: health.status, draining: draining, running: jobs.count).rawValue,
                gpusTotal: host.devices.count,
                gpusUsed: jobs.reduce(0) { $0 + $1.devices.count },
                running: jobs.count,
                endpoint: host.docker,
                draining: draining,
                labels: host.labels,
                gpuMemoryGib: host.gpuMemoryGiB,
                lastError: health.lastError
            )
        }
    }

    /// `hosts drain NAME` / `hosts resume NAME`: stored first, so a drain outlives a restart.
    func drain(_ draining: Bool, context: ControlRequestContext) async throws -> Response {
        let caller = try await context.peerCredentials()
        let name = context.parameters.get("name") ?? ""
        guard configuration.hosts.contains(where: { $0.name == name }) else {
            let known = configuration.hosts.map(\.name).joined(separator: ", ")
            throw APIError(.notFound, "host_not_found", "host \"\(name)\" is not configured (hosts: \(known))")
        }
        try await database.setDraining(name, draining, byUID: caller.uid)
        registry.setDraining(name, draining)
        context.logger.notice(
            draining ? "host drained: no new jobs go there" : "host resumed: it takes work again",
            metadata: ["HOST": "\(name)", "CALLER_UID": "\(caller.uid)"]
        )
        scheduler.wake()
        guard let view = try await hostViews().first(where: { $0.name == name }) else {
            throw APIError(.notFound, "host_not_found", "host \"\(name)\" is not configured")
        }
        return try json(view)
    }

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: status,
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }
}
