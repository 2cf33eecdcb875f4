import Foundation
import Logging
import SystemdKit

/// Sets up swift-log for the daemon: native journal entries under journald, readable lines on stderr otherwise.
public enum DaemonLogging {
    /// Bootstraps the logging system once, at `level`.
    ///
    /// Under journald (`JOURNAL_STREAM` matches our stderr) every entry carries its metadata as journal
    /// fields (`JOB_ID`, `HOST`, ...); `COSMOS_LOG_STDERR=1` forces readable lines on stderr.
    public static func bootstrap(level: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        let backend: LoggingBackend =
            environment["COSMOS_LOG_STDERR"] == "1" ? .standardError : LoggingBackend.detect(environment: environment)
        LoggingSystem.bootstrap { label in
            backend.makeHandler(label: label, logLevel: logLevel)
        }
    }
}
