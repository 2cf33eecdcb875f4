import CoreMetrics
import CosmosAPI
import CosmosDomain
import Foundation
import Metrics
import Prometheus

/// The daemon's Prometheus metrics: swift-metrics handles over a registry of its own, emitted as text.
///
/// The registry is the daemon's, not the process-wide `MetricsSystem`, so several daemons in one test process
/// keep their counts apart. Counters and histograms follow the event log (``MetricsService``); gauges are read
/// from the store at each scrape (``update(_:)``).
final class DaemonMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    /// Buckets of the time histograms: 1 s to 6 h, since GPU jobs take minutes to hours.
    static let timeBuckets: [Duration] = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 10800, 21600]
        .map { .seconds($0) }
    /// Buckets of the batch-run size histogram, in items.
    static let sizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.timeBuckets
        factory.valueHistogramBuckets = [Name.batchRunSize: Self.sizeBuckets]
        self.factory = factory
        // Series that read 0 before their first event, rather than missing.
        for result in ["succeeded", "failed", "cancelled"] {
            _ = Counter(label: Name.finished, dimensions: [("result", result)], factory: factory)
        }
        for who in ["daemon", "user"] { _ = Counter(label: Name.retries, dimensions: [("by", who)], factory: factory) }
        for name in [Name.eventsPublished, Name.messagesSent, Name.loadsSaved] {
            _ = Counter(label: name, factory: factory)
        }
        _ = Metrics.Timer(label: Name.queueWait, factory: factory)
        _ = Metrics.Timer(label: Name.runTime, factory: factory)
        _ = Recorder(label: Name.batchRunSize, aggregate: true, factory: factory)
    }

    /// Registers a host's per-host counters at 0 (a host that has run nothing still has a series).
    func prime(hosts: [String]) {
        for host in hosts {
            _ = Counter(label: Name.containerStarts, dimensions: [("host", host)], factory: factory)
            _ = FloatingPointCounter(label: Name.gpuSeconds, dimensions: [("host", host)], factory: factory)
        }
    }

    /// The metric names, with the help text each `# HELP` line carries.
    enum Name {
        static let jobs = "cosmos_jobs"
        static let queued = "cosmos_queued_jobs"
        static let oldestQueuedAge = "cosmos_oldest_queued_job_age_seconds"
        static let gpusBusy = "cosmos_gpus_busy"
        static let gpus = "cosmos_gpus"
        static let hosts = "cosmos_hosts"
        static let paused = "cosmos_queue_paused"
        static let queueWait = "cosmos_queue_wait_seconds"
        static let runTime = "cosmos_job_run_seconds"
        static let batchRunSize = "cosmos_batch_run_size_items"
        static let finished = "cosmos_jobs_finished_total"
        static let retries = "cosmos_job_retries_total"
        static let containerStarts = "cosmos_container_starts_total"
        static let eventsPublished = "cosmos_events_published_total"
        static let messagesSent = "cosmos_event_messages_sent_total"
        static let gpuSeconds = "cosmos_gpu_seconds_total"
        static let speedup = "cosmos_smart_batch_last_measured_speedup_ratio"
        static let loadsSaved = "cosmos_model_loads_saved_total"

        static let help: [String: String] = [
            jobs: "Jobs in each state (batch-run items included).",
            queued: "Jobs waiting in the queue (state queued, top level).",
            oldestQueuedAge: "Seconds since the oldest queued job was submitted; 0 when none is queued.",
            gpusBusy: "GPUs held by starting and running jobs, per host.",
            gpus: "GPUs configured, per host.",
            hosts: "Hosts in each state (up, down, draining, drained).",
            paused: "1 while the queue is paused, else 0.",
            queueWait: "Seconds from submission to the first start of a job.",
            runTime: "Seconds each container attempt ran (single jobs and batch runs).",
            batchRunSize: "Items in each batch run that started.",
            finished: "Jobs that reached a final state since the daemon started, by result.",
            retries: "Attempts put back in the queue, by who asked: the daemon's retry policy or a user.",
            containerStarts: "Job containers started since the daemon started, per host.",
            eventsPublished: "Event-log entries sent to event-stream subscribers.",
            messagesSent: "Event-stream messages sent (one message may carry several entries).",
            gpuSeconds: "GPUs times run time of attempts that ended, per host.",
            speedup: "Measured speedup of the last executed smart-batch plan (NaN before it has one).",
            loadsSaved: "Model loads saved by batch runs: the items a run finished, less the one load it paid.",
        ]
    }

    // MARK: Counters and histograms (the event log)

    func jobFinished(result: String) {
        Counter(label: Name.finished, dimensions: [("result", result)], factory: factory).increment()
    }

    func retried(by who: String) {
        Counter(label: Name.retries, dimensions: [("by", who)], factory: factory).increment()
    }

    func containerStarted(host: String?) {
        Counter(label: Name.containerStarts, dimensions: [("host", host ?? "")], factory: factory).increment()
    }

    func queueWait(seconds: Double) {
        Metrics.Timer(label: Name.queueWait, factory: factory).recordSeconds(max(seconds, 0))
    }

    func ran(seconds: Double) {
        Metrics.Timer(label: Name.runTime, factory: factory).recordSeconds(max(seconds, 0))
    }

    func batchRunStarted(items: Int) {
        Recorder(label: Name.batchRunSize, aggregate: true, factory: factory).record(items)
    }

    func gpuSeconds(_ seconds: Double, host: String?) {
        FloatingPointCounter(label: Name.gpuSeconds, dimensions: [("host", host ?? "")], factory: factory)
            .increment(by: seconds)
    }

    func loadsSaved(_ count: Int) {
        Counter(label: Name.loadsSaved, factory: factory).increment(by: count)
    }

    /// Adds what the event streams sent since the last call (``DaemonStatistics`` keeps the running totals).
    func streamed(published: Int, messages: Int) {
        Counter(label: Name.eventsPublished, factory: factory).increment(by: published)
        Counter(label: Name.messagesSent, factory: factory).increment(by: messages)
    }

    // MARK: Gauges (the store, at each scrape)

    /// What a scrape reads from the store and the host registry.
    struct Snapshot: Sendable {
        var counts: [JobState: Int]
        var queued: Int
        var oldestQueuedAge: Double
        var hosts: [HostView]
        var paused: Bool
        var lastSpeedup: Double?
    }

    /// Sets every gauge from `snapshot`; states and hosts with nothing in them read 0.
    func update(_ snapshot: Snapshot) {
        for state in JobState.allCases {
            Gauge(label: Name.jobs, dimensions: [("state", state.rawValue)], factory: factory)
                .record(snapshot.counts[state] ?? 0)
        }
        Gauge(label: Name.queued, factory: factory).record(snapshot.queued)
        Gauge(label: Name.oldestQueuedAge, factory: factory).record(snapshot.oldestQueuedAge)
        for host in snapshot.hosts {
            Gauge(label: Name.gpusBusy, dimensions: [("host", host.name)], factory: factory).record(host.gpusUsed)
            Gauge(label: Name.gpus, dimensions: [("host", host.name)], factory: factory).record(host.gpusTotal)
        }
        for state in HostDisplayState.allCases {
            let count = snapshot.hosts.filter { $0.state == state }.count
            Gauge(label: Name.hosts, dimensions: [("state", state.rawValue)], factory: factory).record(count)
        }
        Gauge(label: Name.paused, factory: factory).record(snapshot.paused ? 1 : 0)
        Gauge(label: Name.speedup, factory: factory).record(snapshot.lastSpeedup ?? .nan)
    }

    /// The text exposition format, with a `# HELP` line before each family's `# TYPE` line.
    func exposition() -> String {
        var lines: [Substring] = []
        for line in registry.emitToString().split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst("# TYPE ".count).split(separator: " ").first.map(String.init) ?? ""
                if let help = Name.help[name] { lines.append("# HELP \(name) \(help)") }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
