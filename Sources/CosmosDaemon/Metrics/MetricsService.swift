import CosmosDomain
import CosmosStore
import Foundation
import Logging
import ServiceLifecycle

/// Follows the event log and the GPU accounting from the daemon's start, and counts them into ``DaemonMetrics``.
///
/// Woken by the ``EventHub`` like any event stream, so it never misses an entry and never slows a writer.
struct MetricsService: Service {
    let database: AppDatabase
    let hub: EventHub
    let metrics: DaemonMetrics
    let statistics: DaemonStatistics
    let logger: Logger

    func run() async throws {
        let subscription = hub.subscribe()
        defer { hub.unsubscribe(subscription) }
        let start = (events: try await database.latestEventSeq(), usage: try await database.latestGPUUsageID())
        await cancelWhenGracefulShutdown { await follow(from: start, wakeup: subscription.wakeup) }
    }

    /// Counts what is new each time the log grows (or every few seconds), until cancelled.
    private func follow(from start: (events: Int64, usage: Int64), wakeup: Wakeup) async {
        var (cursor, usageCursor) = start
        var streamed = statistics.events
        while !Task.isCancelled {
            do {
                cursor = try await countEvents(after: cursor)
                usageCursor = try await countUsage(after: usageCursor)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("metrics could not read the event log", metadata: ["error": "\(error)"])
            }
            let now = statistics.events
            metrics.streamed(
                published: max(now.published - streamed.published, 0),
                messages: max(now.messagesSent - streamed.messagesSent, 0)
            )
            streamed = now
            await wakeup.wait(timeout: .seconds(5))
        }
    }

    /// Counts the entries after `cursor`; returns the new cursor.
    func countEvents(after cursor: Int64) async throws -> Int64 {
        var cursor = cursor
        while true {
            let events = try await database.events(after: cursor, limit: 1000)
            guard let last = events.last else { return cursor }
            let named = events.filter(\.type.touchesMetrics).compactMap(\.jobId)
            let times = try await database.jobTimes(Array(Set(named)))
            for event in events { count(event, times[event.jobId ?? ""]) }
            cursor = last.seq
            if events.count < 1000 { return cursor }
        }
    }

    /// One entry's share of the counters.
    func count(_ event: EventRecord, _ job: JobTimes?) {
        var attempt: Int?
        if case .number(let value)? = event.payload["attempt"] { attempt = Int(value) }
        switch event.type {
        case .jobStarted:
            guard let job else { return }
            if job.shape != .batchItem { metrics.containerStarted(host: job.host) }
            if job.shape == .batchParent { metrics.batchRunStarted(items: job.items) }
            if attempt == 1, job.shape != .batchParent, let started = job.startedAt {
                metrics.queueWait(seconds: started.timeIntervalSince(job.createdAt))
            }
        case .jobSucceeded, .jobFailed, .jobStopped:
            if event.type != .jobStopped, job?.shape != .batchParent {
                metrics.jobFinished(result: event.type == .jobSucceeded ? "succeeded" : "failed")
            }
            if let job, job.shape != .batchItem, let started = job.startedAt, let finished = job.finishedAt {
                metrics.ran(seconds: finished.timeIntervalSince(started))
            }
        case .jobCancelled:
            if job?.shape != .batchParent { metrics.jobFinished(result: "cancelled") }
        case .jobRequeued:
            metrics.retried(by: "daemon")
        case .jobRetried:
            metrics.retried(by: "user")
        case .batchRunEnded:
            guard let job else { return }
            metrics.loadsSaved(max(job.succeededItems - 1, 0))
        default:
            break
        }
    }

    /// Adds the GPU-seconds of usage rows after `cursor`; returns the new cursor.
    func countUsage(after cursor: Int64) async throws -> Int64 {
        var cursor = cursor
        while true {
            let rows = try await database.gpuUsage(after: cursor)
            guard let last = rows.last else { return cursor }
            for row in rows { metrics.gpuSeconds(row.seconds, host: row.host) }
            cursor = last.id
            if rows.count < 1000 { return cursor }
        }
    }
}

extension EventType {
    /// Whether the metrics read the job an entry of this type names.
    var touchesMetrics: Bool {
        [.jobStarted, .jobSucceeded, .jobFailed, .jobStopped, .jobCancelled, .batchRunEnded].contains(self)
    }
}
