import Logging

/// Sets up swift-log for the daemon: readable lines with metadata on standard error.
public enum DaemonLogging {
    /// Bootstraps the logging system once, at `level`.
    public static func bootstrap(level: String) {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
    }
}
