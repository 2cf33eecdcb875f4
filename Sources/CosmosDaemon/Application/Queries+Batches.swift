import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation

/// Batch views: progress, ETA, and for `show` the jobs read with the batch.
extension Queries {
    /// `batch show ID`: the batch and its jobs, read in one transaction so the counts match the jobs.
    func batch(_ id: String, for viewer: CallerIdentity) async throws -> BatchView {
        let (batch, jobs) = try await database.batchWithJobs(id)
        guard access.maySee(ownerUID: batch.ownerUid, viewer) else { throw StoreError.batchNotFound(id) }
        return try await view(batch, jobs: jobs)
    }

    /// A batch's counts as the event stream's `batch.progress` shows them; nil when the batch is gone.
    func batchProgress(_ id: String) async throws -> JSONValue? {
        let batch: BatchRecord
        do {
            batch = try await database.batch(id)
        } catch StoreError.batchNotFound {
            return nil
        }
        let view = try await view(batch)
        return .object([
            "batch_id": .string(view.id),
            "status": .string(view.status.rawValue),
            "total": .number(Double(view.total)),
            "completed": .number(Double(view.completed)),
            "failed": .number(Double(view.failed)),
            "running": .number(Double(view.running)),
            "percent": .number(Double(view.percent)),
            "eta_seconds": view.etaSeconds.map { .number(Double($0)) } ?? .null,
        ])
    }

    /// `batch list [--status S]`.
    func batches(status: BatchProgress.Status?, for viewer: CallerIdentity) async throws -> [BatchView] {
        var views: [BatchView] = []
        for batch in try await database.batches()
        where (status == nil || batch.progress.status == status) && access.maySee(ownerUID: batch.ownerUid, viewer) {
            views.append(try await view(batch))
        }
        return views
    }

    /// The batch as the API shows it, with its ETA, and for `show` its `jobs` (read with the batch).
    func view(_ batch: BatchRecord, jobs: [RankedJob]? = nil) async throws -> BatchView {
        let progress = batch.progress
        let unfinished =
            if let jobs { jobs.map(\.job).filter { !$0.state.isTerminal } } else {
                try await database.unfinishedJobs(ofBatch: batch.id)
            }
        let eta = try await eta(of: unfinished, progress: progress)
        var views: [JobView]?
        if let jobs { views = try await self.views(jobs) }
        return BatchView(
            id: batch.id,
            name: batch.name,
            status: progress.status,
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

    /// Remaining work per (image, kind), from the mean durations of finished jobs of the same image and kind;
    /// a running job that reports progress counts its own pace instead.
    func eta(of jobs: [JobRecord], progress: BatchProgress, now: Date = Date()) async throws -> Int? {
        struct Group: Hashable {
            var image: String
            var kind: JobKind
        }
        var waiting: [Group: Int] = [:]
        var running: [Group: [BatchProgress.RunningJob]] = [:]
        for job in jobs {
            let group = Group(image: job.image, kind: job.kind)
            if job.state.isInQueue {
                waiting[group, default: 0] += 1
            } else if job.state.isActive {
                let elapsed = job.startedAt.map { now.timeIntervalSince($0) } ?? 0
                running[group, default: []].append(.init(elapsed: elapsed, fraction: job.progress))
            }
        }
        var groups: [(meanSeconds: Double?, waiting: Int, running: [BatchProgress.RunningJob])] = []
        for group in Set(waiting.keys).union(running.keys) {
            let mean = try await database.meanDuration(image: group.image, kind: group.kind)
            groups.append((mean, waiting[group] ?? 0, running[group] ?? []))
        }
        return BatchProgress.eta(groups: groups, running: progress.active)
    }
}
