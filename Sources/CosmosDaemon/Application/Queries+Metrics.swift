import CosmosStore
import Foundation

extension Queries {
    /// `/metrics`: the gauges read now from the store and the hosts, then every metric as Prometheus text.
    func metricsText(_ metrics: DaemonMetrics, now: Date = Date()) async throws -> String {
        let counts = try await database.counts()
        let oldest = try await database.oldestQueuedAt()
        var speedup: Double?
        if let report = try? await database.smartBatchReport(defaults: configuration.smartBatch.defaults) {
            speedup = report.measuredSpeedup
        }
        metrics.update(
            DaemonMetrics.Snapshot(
                counts: counts,
                queued: try await database.queuedCount(),
                oldestQueuedAge: oldest.map { max(now.timeIntervalSince($0), 0) } ?? 0,
                hosts: try await hosts(),
                paused: try await database.isPaused(),
                lastSpeedup: speedup
            )
        )
        return metrics.exposition()
    }
}
