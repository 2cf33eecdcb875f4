/// A batch's job counts by state and the user's flags; derives its status, progress and ETA (pure).
public struct BatchProgress: Sendable, Equatable {
    public var total = 0
    public var queued = 0
    public var held = 0
    public var starting = 0
    public var running = 0
    public var succeeded = 0
    public var failed = 0
    public var cancelled = 0
    /// Paused by the user (its queued jobs are held) until resumed.
    public var paused = false
    /// Cancelled by the user.
    public var cancelledByUser = false

    public init() {}

    /// A batch's status: `pending`, `running`, `paused`, `completed`, `failed` or `cancelled`.
    public enum Status: String, Sendable, Equatable, CaseIterable, Codable {
        case pending, running, paused, completed, failed, cancelled

        /// Whether nothing more will happen to the batch unless a user acts.
        public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
    }

    /// Jobs that have ended (succeeded, failed or cancelled).
    public var finished: Int { succeeded + failed + cancelled }
    /// Jobs starting or running.
    public var active: Int { starting + running }
    /// Jobs waiting (queued or held).
    public var waiting: Int { queued + held }

    /// The documented rules, in order:
    /// 1. cancelled by the user → `cancelled`;
    /// 2. paused by the user → `paused` (until resumed);
    /// 3. any job starting or running → `running`;
    /// 4. everything ended → `failed` if any job failed, else `completed`;
    /// 5. nothing started yet → `pending`; otherwise (between jobs) → `running`.
    public var status: Status {
        if cancelledByUser { return .cancelled }
        if paused { return .paused }
        if active > 0 { return .running }
        if waiting == 0 { return failed > 0 ? .failed : .completed }
        return finished == 0 ? .pending : .running
    }

    /// Ended jobs as a percentage of all, rounded down (100 for an empty batch).
    public var percent: Int { total == 0 ? 100 : finished * 100 / total }

    /// Seconds until the batch is done, from the mean durations of finished jobs of the same image and kind.
    ///
    /// `remaining` lists, per (image, kind), the mean duration (nil: no data yet), how many jobs wait and how
    /// many seconds the running ones have already run. Work is spread over the batch's running jobs (at least
    /// one). Nil (unknown) while any remaining group has no data.
    public static func eta(remaining: [(meanSeconds: Double?, waiting: Int, runningElapsed: [Double])], running: Int)
        -> Int?
    {
        eta(
            groups: remaining.map { ($0.meanSeconds, $0.waiting, $0.runningElapsed.map { RunningJob(elapsed: $0) }) },
            running: running
        )
    }

    /// A running job for the ETA: how long it has run and, if it reports progress, how far it is.
    public struct RunningJob: Sendable, Equatable {
        public var elapsed: Double
        /// From the job's progress lines (0...1); nil when it reports none.
        public var fraction: Double?

        public init(elapsed: Double, fraction: Double? = nil) {
            self.elapsed = elapsed
            self.fraction = fraction
        }

        /// Seconds left: from its own pace when it reports progress, else from the group's mean.
        func remaining(mean: Double?) -> Double? {
            if let fraction, fraction > 0 { return elapsed * (1 - fraction) / fraction }
            return mean.map { max(0, $0 - elapsed) }
        }
    }

    /// ``eta(remaining:running:)`` with running jobs that may report progress: a job that says how far it is
    /// counts its remaining time from its own pace, even before the group has a mean duration.
    public static func eta(groups: [(meanSeconds: Double?, waiting: Int, running: [RunningJob])], running: Int) -> Int?
    {
        var work = 0.0
        for group in groups where group.waiting > 0 || !group.running.isEmpty {
            if group.waiting > 0 {
                guard let mean = group.meanSeconds else { return nil }
                work += mean * Double(group.waiting)
            }
            for job in group.running {
                guard let left = job.remaining(mean: group.meanSeconds) else { return nil }
                work += left
            }
        }
        return Int((work / Double(max(1, running))).rounded(.up))
    }
}
