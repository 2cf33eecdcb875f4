import Foundation
import Synchronization

/// The configuration in force, replaceable at run time by a reload (SIGHUP).
///
/// Settings that need no restart (policy, images, timeouts, retries, intervals, log level) take effect
/// at once. Settings that shape what is already open (socket, state directory, hosts, durability) keep
/// their old values until a restart; a reload says so.
final class LiveConfiguration: Sendable {
    /// The file reloads read, if the daemon was started with one.
    let path: String?
    private let value: Mutex<DaemonConfiguration>

    init(_ configuration: DaemonConfiguration, path: String?) {
        self.path = path
        self.value = Mutex(configuration)
    }

    /// The configuration in force now.
    var current: DaemonConfiguration { value.withLock { $0 } }

    /// What a reload did.
    struct ReloadResult: Sendable, Equatable {
        /// Keys whose new values are in force.
        var applied: [String]
        /// Keys that changed in the file but need a restart; their old values stay.
        var needsRestart: [String]
    }

    /// Reads the file again and applies what can change live; an invalid file throws and changes nothing.
    func reload(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ReloadResult {
        guard let path else { return ReloadResult(applied: [], needsRestart: []) }
        let new = try DaemonConfiguration.load(path: path, environment: environment)
        return value.withLock { old in
            var merged = new
            var result = ReloadResult(applied: [], needsRestart: [])
            func keep<T: Equatable>(_ key: String, _ keyPath: WritableKeyPath<DaemonConfiguration, T>) {
                if old[keyPath: keyPath] != new[keyPath: keyPath] {
                    result.needsRestart.append(key)
                    merged[keyPath: keyPath] = old[keyPath: keyPath]
                }
            }
            func note<T: Equatable>(_ key: String, _ keyPath: KeyPath<DaemonConfiguration, T>) {
                if old[keyPath: keyPath] != new[keyPath: keyPath] { result.applied.append(key) }
            }
            keep("daemon.socket", \.socketPath)
            keep("daemon.state_dir", \.stateDirectory)
            keep("hosts", \.hosts)
            keep("daemon.durable_commits", \.durableCommits)
            keep("daemon.shutdown_timeout_seconds", \.shutdownTimeoutSeconds)
            note("daemon.policy", \.policy)
            note("daemon.stop_timeout_seconds", \.stopTimeoutSeconds)
            note("daemon.max_attempts", \.retry)
            note("images.allow", \.images)
            keep("daemon.log_level", \.logLevel)
            note("daemon.on_stop", \.onStop)
            note("daemon.reconcile_interval_seconds", \.reconcileIntervalSeconds)
            note("daemon.orphan_grace_seconds", \.orphanGraceSeconds)
            note("daemon.probe_interval_seconds, down_after_failures, host_down_grace_seconds", \.health)
            note("batch_runs", \.batchRunLimits)
            keep("inputs", \.inputs)
            old = merged
            return result
        }
    }
}
