/// The control API's versioned paths.
public enum APIPath {
    public static let version = "/v1"
    public static let status = "/v1/status"
    public static let jobs = "/v1/jobs"
    public static let pause = "/v1/pause"
    public static let resume = "/v1/resume"
    public static let hosts = "/v1/hosts"
    public static let batches = "/v1/batches"
    public static let batchRuns = "/v1/batch-runs"

    /// `/v1/batches/{id}`, or `/v1/batches/{id}/{action}` for pause, resume, cancel, move, retry-failed.
    public static func batch(_ id: String, _ action: String? = nil) -> String {
        action.map { "/v1/batches/\(id)/\($0)" } ?? "/v1/batches/\(id)"
    }

    /// `/v1/hosts/{name}/{action}` for drain and resume.
    public static func host(_ name: String, _ action: String) -> String { "/v1/hosts/\(name)/\(action)" }

    /// `/v1/jobs/{id}`.
    public static func job(_ id: String) -> String { "/v1/jobs/\(id)" }
    /// `/v1/jobs/{id}/{action}` for cancel, retry, hold, release, move, priority, logs.
    public static func job(_ id: String, _ action: String) -> String { "/v1/jobs/\(id)/\(action)" }
}
