/// When a failed attempt is tried again: exponential backoff with jitter, bounded attempts.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts allowed for infrastructure failures (engine unreachable, create/start failed, lost).
    public var maxAttempts: Int
    /// The first backoff, in seconds.
    public var baseDelay: Double
    /// The largest backoff, in seconds.
    public var maxDelay: Double

    public init(maxAttempts: Int = 3, baseDelay: Double = 2, maxDelay: Double = 300) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// What failed in an attempt.
    public enum Failure: Sendable, Equatable {
        /// The job's own command exited non-zero (final unless the job asked for `retries`).
        case command
        /// The infrastructure failed (engine, container lost, host down).
        case infrastructure
        /// The job cannot run as submitted (a `job:` input its job did not write): never retried.
        case unrunnable
    }

    /// Whether a job that has made `attempts` attempts, allowed `retries` command retries, retries after `failure`.
    public func shouldRetry(after failure: Failure, attempts: Int, retries: Int) -> Bool {
        switch failure {
        case .command: attempts <= retries
        case .infrastructure: attempts < max(maxAttempts, retries + 1)
        case .unrunnable: false
        }
    }

    /// The delay before attempt `attempts + 1`, with full jitter in [delay/2, delay].
    public func delay<G: RandomNumberGenerator>(afterAttempts attempts: Int, using generator: inout G) -> Double {
        let exponent = min(max(attempts - 1, 0), 20)
        let delay = min(maxDelay, baseDelay * Double(1 << exponent))
        return delay / 2 + Double.random(in: 0...(delay / 2), using: &generator)
    }
}
