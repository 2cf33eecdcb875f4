/// `cosmosctl usage --json`: GPU-seconds summed by owner or by image since a time.
public struct UsageView: Codable, Sendable, Equatable {
    /// `owner` or `image`.
    public var by: String
    /// The start of the period (RFC 3339), or null for all recorded usage.
    public var since: String?
    public var rows: [Row]
    /// The sum over every row.
    public var totalGpuSeconds: Double

    /// One owner's or image's total.
    public struct Row: Codable, Sendable, Equatable {
        /// The owner's uid (as text) or the image.
        public var key: String
        /// The owner's user name when `by` is `owner` and the daemon's host knows it; null otherwise.
        public var user: String?
        public var jobs: Int
        public var attempts: Int
        public var gpuSeconds: Double

        public init(key: String, user: String?, jobs: Int, attempts: Int, gpuSeconds: Double) {
            self.key = key
            self.user = user
            self.jobs = jobs
            self.attempts = attempts
            self.gpuSeconds = gpuSeconds
        }

        enum CodingKeys: String, CodingKey {
            case key, user, jobs, attempts
            case gpuSeconds = "gpu_seconds"
        }

        /// Encodes every key, `user` as null when unknown (scripts rely on the keys being there).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(key, forKey: .key)
            try c.encode(user, forKey: .user)
            try c.encode(jobs, forKey: .jobs)
            try c.encode(attempts, forKey: .attempts)
            try c.encode(gpuSeconds, forKey: .gpuSeconds)
        }
    }

    public init(by: String, since: String?, rows: [Row]) {
        self.by = by
        self.since = since
        self.rows = rows
        totalGpuSeconds = rows.reduce(0) { $0 + $1.gpuSeconds }
    }

    enum CodingKeys: String, CodingKey {
        case by, since, rows
        case totalGpuSeconds = "total_gpu_seconds"
    }

    /// Encodes every key, `since` as null for all recorded usage.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(by, forKey: .by)
        try c.encode(since, forKey: .since)
        try c.encode(rows, forKey: .rows)
        try c.encode(totalGpuSeconds, forKey: .totalGpuSeconds)
    }
}
