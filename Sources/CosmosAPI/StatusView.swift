import CosmosDomain

/// The daemon's summary, as `cosmosctl status --json` prints it.
public struct StatusView: Codable, Sendable, Equatable {
    /// Whether the queue is paused (nothing new starts).
    public var paused: Bool
    /// Jobs per state; every state is present.
    public var counts: [String: Int]
    public var gpusTotal: Int
    public var gpusUsed: Int
    public var hostsUp: Int
    public var hostsTotal: Int
    /// This installation's id (the `cosmos.instance` container label).
    public var instance: String
    public var version: String
    /// The scheduling policy in force.
    public var policy: String
    /// The sequence number of the newest event-log entry: a stream from here misses nothing that follows.
    public var eventSeq: Int64?
    /// What the event streams sent since the daemon started.
    public var events: EventStreamStatistics?
    /// Coalesced writes since the daemon started.
    public var writes: WriteStatistics?

    public init(
        paused: Bool,
        counts: [String: Int],
        gpusTotal: Int,
        gpusUsed: Int,
        hostsUp: Int,
        hostsTotal: Int,
        instance: String,
        version: String,
        policy: String,
        eventSeq: Int64? = nil,
        events: EventStreamStatistics? = nil,
        writes: WriteStatistics? = nil
    ) {
        self.paused = paused
        self.counts = counts
        self.gpusTotal = gpusTotal
        self.gpusUsed = gpusUsed
        self.hostsUp = hostsUp
        self.hostsTotal = hostsTotal
        self.instance = instance
        self.version = version
        self.policy = policy
        self.eventSeq = eventSeq
        self.events = events
        self.writes = writes
    }

    enum CodingKeys: String, CodingKey {
        case paused, counts
        case gpusTotal = "gpus_total"
        case gpusUsed = "gpus_used"
        case hostsUp = "hosts_up"
        case hostsTotal = "hosts_total"
        case instance, version, policy, events, writes
        case eventSeq = "event_seq"
    }
}

/// The event streams' counters: log entries published to streams, messages sent, messages saved by
/// aggregation, aggregate messages created, and resyncs sent.
public struct EventStreamStatistics: Codable, Sendable, Equatable {
    public var published = 0
    public var messagesSent = 0
    public var messagesSaved = 0
    public var batchesCreated = 0
    public var resyncs = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case published, resyncs
        case messagesSent = "messages_sent"
        case messagesSaved = "messages_saved"
        case batchesCreated = "batches_created"
    }
}

/// Coalesced writes: batch-run progress lines and the transactions that recorded them.
public struct WriteStatistics: Codable, Sendable, Equatable {
    public var progressLines = 0
    public var progressTransactions = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case progressLines = "progress_lines"
        case progressTransactions = "progress_transactions"
    }
}
