import Foundation
import Synchronization

/// The configuration in force, replaceable at run time by a reload (SIGHUP).
///
/// Settings that need no restart (policy, images, timeouts, retries, intervals) take effect at once.
/// Settings that shape what is already open (socket, state directory, hosts, durability, inputs, log level)
/// keep their old values until a restart; a reload says so. `ConfigurationSchema` says which key is which.
final class LiveConfiguration: Sendable {
    /// The file reloads read, if the daemon was started with one.
    let path: String?
    private let value: Mutex<DaemonConfiguration>

    /// Starts with `configuration`; reloads read `path`.
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
    ///
    /// Keys are reported in schema order, each group (`hosts`, `inputs`, `batch_runs`, the health keys) once.
    func reload(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ReloadResult {
        guard let path else { return ReloadResult(applied: [], needsRestart: []) }
        let new = try DaemonConfiguration.load(path: path, environment: environment)
        return value.withLock { old in
            var merged = new
            var result = ReloadResult(applied: [], needsRestart: [])
            for key in ConfigurationSchema.keys where key.field.differs(old, new) {
                switch key.reload {
                case .live:
                    if !result.applied.contains(key.reportedAs) { result.applied.append(key.reportedAs) }
                case .restart:
                    key.field.restore(&merged, old)
                    if !result.needsRestart.contains(key.reportedAs) { result.needsRestart.append(key.reportedAs) }
                }
            }
            old = merged
            return result
        }
    }
}
