import CosmosDomain

/// One named batch as `cosmosctl batch show/list --json` prints it.
public struct BatchView: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// `pending`, `running`, `paused`, `completed`, `failed` or `cancelled`.
    public var status: BatchProgress.Status
    public var ownerUid: Int
    public var total: Int
    /// Jobs that succeeded.
    public var completed: Int
    public var failed: Int
    /// Jobs starting or running.
    public var running: Int
    /// Jobs waiting: queued or held.
    public var queued: Int
    public var held: Int
    public var cancelled: Int
    /// Ended jobs (succeeded, failed, cancelled) as a percentage of all.
    public var percent: Int
    /// Estimated seconds until done; null while unknown.
    public var etaSeconds: Int?
    public var createdAt: String
    public var updatedAt: String
    /// The batch's jobs in submission order (`show` only).
    public var jobs: [JobView]?

    public init(
        id: String,
        name: String,
        status: BatchProgress.Status,
        ownerUid: Int,
        total: Int,
        completed: Int,
        failed: Int,
        running: Int,
        queued: Int,
        held: Int,
        cancelled: Int,
        percent: Int,
        etaSeconds: Int?,
        createdAt: String,
        updatedAt: String,
        jobs: [JobView]? = nil
    ) {
        self.id = id
        self.name = name
        self.status = status
        self.ownerUid = ownerUid
        self.total = total
        self.completed = completed
        self.failed = failed
        self.running = running
        self.queued = queued
        self.held = held
        self.cancelled = cancelled
        self.percent = percent
        self.etaSeconds = etaSeconds
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.jobs = jobs
    }

    enum CodingKeys: String, CodingKey {
        case id, name, status, total, completed, failed, running, queued, held, cancelled, percent, jobs
        case ownerUid = "owner_uid"
        case etaSeconds = "eta_seconds"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Writes `eta_seconds` as null when unknown; `jobs` only when present.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(status, forKey: .status)
        try c.encode(ownerUid, forKey: .ownerUid)
        try c.encode(total, forKey: .total)
        try c.encode(completed, forKey: .completed)
        try c.encode(failed, forKey: .failed)
        try c.encode(running, forKey: .running)
        try c.encode(queued, forKey: .queued)
        try c.encode(held, forKey: .held)
        try c.encode(cancelled, forKey: .cancelled)
        try c.encode(percent, forKey: .percent)
        try c.encode(etaSeconds, forKey: .etaSeconds)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(jobs, forKey: .jobs)
    }
}

/// `GET /v1/batches`.
public struct BatchesResponse: Codable, Sendable, Equatable {
    public var batches: [BatchView]

    public init(batches: [BatchView]) { self.batches = batches }
}

/// `POST /v1/batches`: a name and the job specs, validated all or nothing.
public struct BatchCreateRequest: Codable, Sendable {
    public var name: String
    public var jobs: [JSONValue]

    public init(name: String, jobs: [JSONValue]) {
        self.name = name
        self.jobs = jobs
    }
}

/// `POST /v1/batches/{id}/cancel`.
public struct BatchCancelRequest: Codable, Sendable, Equatable {
    /// Also stop the batch's starting and running jobs.
    public var running: Bool

    public init(running: Bool) { self.running = running }
}

/// `DELETE /v1/batches/{id}`: what was removed.
public struct BatchDeletedResponse: Codable, Sendable, Equatable {
    public var id: String
    /// How many job records went with it.
    public var jobs: Int

    public init(id: String, jobs: Int) {
        self.id = id
        self.jobs = jobs
    }
}
