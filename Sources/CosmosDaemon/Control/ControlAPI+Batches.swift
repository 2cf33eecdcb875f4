import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import Hummingbird

/// The batch routes: create (all or nothing), list, show, pause, resume, cancel, move, retry-failed, delete.
extension ControlAPI {
    func registerBatches(on router: Router<ControlRequestContext>) {
        router.post("/v1/batches") { request, context in try await createBatch(request, context: context) }
        router.get("/v1/batches") { request, _ in try await listBatches(request) }
        router.get("/v1/batches/:id") { _, context in
            let (batch, jobs) = try await database.batchWithJobs(try batchID(context))
            return try json(try await batchView(batch, jobs: jobs))
        }
        router.post("/v1/batches/:id/pause") { _, context in
            let caller = try await context.peerCredentials()
            let batch = try await database.pauseBatch(try batchID(context), byUID: caller.uid)
            context.logger.notice("batch paused", metadata: ["BATCH_ID": "\(batch.id)", "CALLER_UID": "\(caller.uid)"])
            return try json(try await batchView(batch))
        }
        router.post("/v1/batches/:id/resume") { _, context in
            let caller = try await context.peerCredentials()
            let batch = try await database.resumeBatch(try batchID(context), byUID: caller.uid)
            context.logger.notice(
                "batch resumed",
                metadata: ["BATCH_ID": "\(batch.id)", "CALLER_UID": "\(caller.uid)"]
            )
            scheduler.wake()
            return try json(try await batchView(batch))
        }
        router.post("/v1/batches/:id/cancel") { request, context in
            let caller = try await context.peerCredentials()
            let body = try await request.decode(as: BatchCancelRequest.self, context: context)
            let (batch, toStop) = try await database.cancelBatch(
                try batchID(context),
                running: body.running,
                byUID: caller.uid
            )
            for job in toStop { scheduler.stop(jobID: job.id) }
            context.logger.notice(
                "batch cancelled",
                metadata: ["BATCH_ID": "\(batch.id)", "CALLER_UID": "\(caller.uid)", "stopped": "\(toStop.count)"]
            )
            return try json(try await batchView(batch))
        }
        router.post("/v1/batches/:id/retry-failed") { _, context in
            let batch = try await database.retryFailed(try batchID(context))
            scheduler.wake()
            return try json(try await batchView(batch))
        }
        router.post("/v1/batches/:id/move") { request, context in
            let body = try await request.decode(as: MoveRequest.self, context: context)
            let batch = try await database.moveBatch(try batchID(context), to: try moveTarget(body))
            scheduler.wake()
            return try json(try await batchView(batch))
        }
        router.delete("/v1/batches/:id") { _, context in
            let id = try batchID(context)
            let jobs = try await database.deleteBatch(id)
            for job in jobs {
                try? FileManager.default.removeItem(atPath: JobLogFile.path(for: job, in: configuration.logsDirectory))
                try? FileManager.default.removeItem(atPath: configuration.outputsDirectory + "/" + job)
            }
            context.logger.notice("batch deleted", metadata: ["BATCH_ID": "\(id)", "jobs": "\(jobs.count)"])
            return try json(BatchDeletedResponse(id: id, jobs: jobs.count))
        }
    }

    func createBatch(_ request: Request, context: ControlRequestContext) async throws -> Response {
        let caller = try await context.peerCredentials()
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let value = try JSONValue.parse(Data(buffer: body))
        guard case .object(let object) = value, case .array(let items)? = object["jobs"] else {
            throw SpecError(field: "jobs", reason: "expected {\"name\": \"...\", \"jobs\": [job spec, ...]}")
        }
        guard case .string(let name)? = object["name"], !name.isEmpty, name.count <= SpecLimits.maxNameLength else {
            throw SpecError(
                field: "name",
                reason: "a batch needs a name of 1 to \(SpecLimits.maxNameLength) characters"
            )
        }
        let specs = try validateSpecs(items, key: "items", caller: caller, nameSingle: true)
        let (batch, jobs) = try await database.createBatch(name: name, specs: specs, ownerUID: caller.uid)
        for job in jobs.map(\.job) {
            context.logger.info(
                "job submitted",
                metadata: ["JOB_ID": "\(job.id)", "BATCH_ID": "\(batch.id)", "CALLER_UID": "\(caller.uid)"]
            )
        }
        scheduler.wake()
        return try json(try await batchView(batch), status: .created)
    }

    func listBatches(_ request: Request) async throws -> Response {
        var status: BatchProgress.Status?
        if let text = request.uri.queryParameters.get("status") {
            guard let value = BatchProgress.Status(rawValue: text) else {
                let all = BatchProgress.Status.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError(.badRequest, "invalid_request", "status: unknown status \"\(text)\"; use one of \(all)")
            }
            status = value
        }
        var views: [BatchView] = []
        for batch in try await database.batches() where status == nil || batch.progress.status == status {
            views.append(try await batchView(batch))
        }
        return try json(BatchesResponse(batches: views))
    }

    /// The batch as the API shows it, with its ETA, and for `show` its `jobs` (read with the batch).
    func batchView(_ batch: BatchRecord, jobs: [RankedJob]? = nil) async throws -> BatchView {
        let progress = batch.progress
        let unfinished =
            if let jobs { jobs.map(\.job).filter { !$0.state.isTerminal } } else {
                try await database.unfinishedJobs(ofBatch: batch.id)
            }
        let eta = try await eta(of: unfinished, progress: progress)
        var views: [JobView]?
        if let jobs {
            let reasons = try await pendingReasons()
            views = jobs.map { $0.view(pendingReason: reasons($0)) }
        }
        return BatchView(
            id: batch.id,
            name: batch.name,
            status: progress.status.rawValue,
            ownerUid: batch.ownerUid,
            total: progress.total,
            completed: progress.succeeded,
            failed: progress.failed,
            running: progress.active,
            queued: progress.waiting,
            held: progress.held,
            cancelled: progress.cancelled,
            percent: progress.percent,
            etaSeconds: eta,
            createdAt: Timestamp.format(batch.createdAt),
            updatedAt: Timestamp.format(batch.updatedAt),
            jobs: views
        )
    }

    /// Remaining work per (image, kind), from the mean durations of finished jobs of the same image and kind.
    func eta(of jobs: [JobRecord], progress: BatchProgress, now: Date = Date()) async throws -> Int? {
        struct Group: Hashable {
            var image: String
            var kind: JobKind
        }
        var waiting: [Group: Int] = [:]
        var elapsed: [Group: [Double]] = [:]
        for job in jobs {
            let group = Group(image: job.image, kind: job.kind)
            if job.state.isInQueue {
                waiting[group, default: 0] += 1
            } else if job.state.isActive {
                elapsed[group, default: []].append(job.startedAt.map { now.timeIntervalSince($0) } ?? 0)
            }
        }
        var remaining: [(meanSeconds: Double?, waiting: Int, runningElapsed: [Double])] = []
        for group in Set(waiting.keys).union(elapsed.keys) {
            let mean = try await database.meanDuration(image: group.image, kind: group.kind)
            remaining.append((mean, waiting[group] ?? 0, elapsed[group] ?? []))
        }
        return BatchProgress.eta(remaining: remaining, running: progress.active)
    }

    func batchID(_ context: ControlRequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard JobID.isWellFormed(id) else {
            throw StoreError.batchNotFound(id)
        }
        return id
    }
}
