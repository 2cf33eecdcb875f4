/// The fixed container name of one attempt of a job: `cosmos_{displayed kind}_{id8}_{attempt}`.
///
/// Being fixed per (job, attempt) makes container creation idempotent: a create whose response was
/// lost ends in `409 Conflict` on the retry instead of a second container.
public enum ContainerName {
    /// The name for `kind` run as `shape`, `jobID` and `attempt`; a batch-run parent is `cosmos_batch_…`.
    public static func make(kind: JobKind, shape: RunShape = .single, jobID: String, attempt: Int) -> String {
        "cosmos_\(shape.displayedKind(of: kind))_\(jobID.prefix(8))_\(attempt)"
    }
}

/// The labels every container of the daemon carries, with full values.
public enum ContainerLabel {
    /// The whole job id.
    public static let job = "cosmos.job"
    /// The attempt number.
    public static let attempt = "cosmos.attempt"
    /// The installation's stable id; a daemon only touches containers with its own.
    public static let instance = "cosmos.instance"
    /// The job's displayed kind (`batch` for a batch-run parent; see ``RunShape/displayedKind(of:)``).
    public static let kind = "cosmos.kind"
    /// On the probe container of bind staging (never started), the instance's id; never on a job's container,
    /// so that nothing counting this instance's containers counts it.
    public static let stagingProbe = "cosmos.staging-probe"
}
