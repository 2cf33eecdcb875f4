/// The control API's versioned paths: the one table both the server's routes and the client's requests use.
///
/// The server registers templates made with ``parameter(_:)`` (`/v1/jobs/:id/cancel`); the client fills in ids.
public enum APIPath {
    public static let version = "/v1"
    public static let status = "/v1/status"
    public static let jobs = "/v1/jobs"
    public static let pause = "/v1/pause"
    public static let resume = "/v1/resume"
    public static let hosts = "/v1/hosts"
    public static let batches = "/v1/batches"
    public static let batchRuns = "/v1/batch-runs"
    /// Upscale jobs: POST makes one.
    public static let upscales = "/v1/upscales"
    /// Enhance runs (`enhance-batch`): POST makes one.
    public static let enhanceRuns = "/v1/enhance-runs"
    /// The event stream (Server-Sent Events).
    public static let events = "/v1/events"
    /// The stored smart-batch analysis: GET previews it, DELETE discards it.
    public static let smartBatch = "/v1/smart-batch"
    /// The learned cost model.
    public static let costModel = "/v1/cost-model"
    public static let maintenance = "/v1/maintenance"
    /// GPU-seconds summed by owner or image (`?since=&by=`).
    public static let usage = "/v1/usage"
    /// A one-time dashboard login token for the caller (`cosmosctl web`).
    public static let webLogin = "/v1/web-login"

    /// `/v1/smart-batch/{action}`.
    public static func smartBatch(_ action: SmartBatchAction) -> String { "/v1/smart-batch/\(action.rawValue)" }

    /// A route parameter as the server's router names it (`:id`).
    public static func parameter(_ name: String) -> String { ":" + name }

    /// `/v1/batches/{id}`.
    public static func batch(_ id: String) -> String { "/v1/batches/\(id)" }
    /// `/v1/batches/{id}/{action}`.
    public static func batch(_ id: String, _ action: BatchAction) -> String { "/v1/batches/\(id)/\(action.rawValue)" }

    /// `/v1/hosts/{name}/{action}`.
    public static func host(_ name: String, _ action: HostAction) -> String { "/v1/hosts/\(name)/\(action.rawValue)" }

    /// `/v1/jobs/{id}`.
    public static func job(_ id: String) -> String { "/v1/jobs/\(id)" }
    /// `/v1/jobs/{id}/{action}`.
    public static func job(_ id: String, _ action: JobAction) -> String { "/v1/jobs/\(id)/\(action.rawValue)" }
}

/// What can be done to one job, as the last path component.
public enum JobAction: String, Sendable, CaseIterable {
    case cancel, retry, hold, release, move, priority, logs
}

/// What can be done to one named batch, as the last path component.
public enum BatchAction: String, Sendable, CaseIterable {
    case pause, resume, cancel, move
    case retryFailed = "retry-failed"
}

/// Smart-batch actions besides preview and discard, as the last path component.
public enum SmartBatchAction: String, Sendable, CaseIterable {
    case analyze, execute, report
}

/// What can be done to one host, as the last path component.
public enum HostAction: String, Sendable, CaseIterable {
    case drain, resume
}
