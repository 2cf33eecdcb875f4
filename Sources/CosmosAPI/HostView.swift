import CosmosDomain

/// One host as `cosmosctl hosts --json` prints it.
public struct HostView: Codable, Sendable, Equatable {
    public var name: String
    /// `up`, `down`, `draining` or `drained`.
    public var state: HostDisplayState
    public var gpusTotal: Int
    public var gpusUsed: Int
    /// Jobs starting or running there.
    public var running: Int
    /// The engine's address (`unix://...` or `tcp://...`).
    public var endpoint: String
    /// Whether an operator drained it (it stays so across restarts until resumed).
    public var draining: Bool
    public var labels: [String: String]
    public var gpuMemoryGib: Double?
    /// What the last failed probe said (null while the host answers).
    public var lastError: String?

    public init(
        name: String,
        state: HostDisplayState,
        gpusTotal: Int,
        gpusUsed: Int,
        running: Int,
        endpoint: String,
        draining: Bool,
        labels: [String: String],
        gpuMemoryGib: Double?,
        lastError: String?
    ) {
        self.name = name
        self.state = state
        self.gpusTotal = gpusTotal
        self.gpusUsed = gpusUsed
        self.running = running
        self.endpoint = endpoint
        self.draining = draining
        self.labels = labels
        self.gpuMemoryGib = gpuMemoryGib
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case name, state, running, endpoint, draining, labels
        case gpusTotal = "gpus_total"
        case gpusUsed = "gpus_used"
        case gpuMemoryGib = "gpu_memory_gib"
        case lastError = "last_error"
    }

    /// Writes nulls explicitly, so scripts see every key.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(state, forKey: .state)
        try c.encode(gpusTotal, forKey: .gpusTotal)
        try c.encode(gpusUsed, forKey: .gpusUsed)
        try c.encode(running, forKey: .running)
        try c.encode(endpoint, forKey: .endpoint)
        try c.encode(draining, forKey: .draining)
        try c.encode(labels, forKey: .labels)
        try c.encode(gpuMemoryGib, forKey: .gpuMemoryGib)
        try c.encode(lastError, forKey: .lastError)
    }
}

/// `GET /v1/hosts`.
public struct HostsResponse: Codable, Sendable, Equatable {
    public var hosts: [HostView]

    public init(hosts: [HostView]) { self.hosts = hosts }
}
