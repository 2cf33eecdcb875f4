/// The stable texts of a job's `reason` field: its last failure or retry reason.
///
/// Scripts match on these, so they never change form.
public enum Reason {
    /// The job's command exited with a non-zero code.
    public static func exitCode(_ code: Int) -> String { "exit code \(code)" }
    /// The container was killed for exceeding its memory limit.
    public static let oom = "oom"
    /// A user cancelled the job.
    public static func cancelled(byUID uid: UInt32) -> String { "cancelled by uid \(uid)" }
    /// The job's container disappeared.
    public static let containerLost = "container lost"
    /// The job's host stopped answering.
    public static let hostDown = "host down"
    /// The job's engine shut down (its containers were stopped by it) while the job ran.
    public static let engineStopped = "interrupted: engine stopped"
    /// Someone stopped or killed the job's container through the engine (`docker stop`, `docker kill`).
    public static let stoppedOutside = "stopped outside cosmos-worker"
    /// The daemon stopped with `on_stop = "stop"` and put the job back.
    public static let daemonStopped = "daemon stopped"
    /// The engine could not create or start the container.
    public static func engineError(_ message: String) -> String { "engine error: \(message)" }
    /// A `job:` input cannot be had: its job did not succeed or did not write the file.
    public static func inputUnavailable(_ message: String) -> String { "input unavailable: \(message)" }
    /// Its inputs could not be staged or its outputs collected.
    public static func staging(_ message: String) -> String { "staging failed: \(message)" }
}
