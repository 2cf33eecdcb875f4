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

    public init(
        paused: Bool,
        counts: [String: Int],
        gpusTotal: Int,
        gpusUsed: Int,
        hostsUp: Int,
        hostsTotal: Int,
        instance: String,
        version: String,
        policy: String
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
    }

    enum CodingKeys: String, CodingKey {
        case paused, counts
        case gpusTotal = "gpus_total"
        case gpusUsed = "gpus_used"
        case hostsUp = "hosts_up"
        case hostsTotal = "hosts_total"
        case instance, version, policy
    }
}
