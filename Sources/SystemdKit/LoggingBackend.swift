import Foundation
import Logging

/// Where a service's logs should go: to the journal natively, or as lines on standard error.
///
/// systemd sets `JOURNAL_STREAM=<device>:<inode>` for a service whose standard output or error is connected to
/// the journal. Per `systemd.exec(5)`, a program should write native journal entries only when that pair matches
/// its standard error's `fstat(2)`: the variable is inherited by children whose stderr may point elsewhere.
public enum LoggingBackend: Sendable, Equatable {
    /// Native journal entries (``JournalLogHandler``).
    case journal
    /// Lines on standard error (swift-log's `StreamLogHandler`).
    case standardError

    /// ``journal`` when ``isUnderJournald(environment:descriptor:)``, else ``standardError``.
    public static func detect(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> LoggingBackend {
        isUnderJournald(environment: environment) ? .journal : .standardError
    }

    /// Whether `JOURNAL_STREAM` is set and names the file `descriptor` (by default standard error) refers to.
    public static func isUnderJournald(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        descriptor: Int32 = STDERR_FILENO
    ) -> Bool {
        guard let value = environment["JOURNAL_STREAM"], let stream = parseJournalStream(value) else { return false }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == stream.device && UInt64(info.st_ino) == stream.inode
    }

    /// The device and inode numbers of a `JOURNAL_STREAM` value (`"<device>:<inode>"`, both decimal).
    public static func parseJournalStream(_ value: String) -> (device: UInt64, inode: UInt64)? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        return (device, inode)
    }

    /// A handler for `label` writing to this backend, at `logLevel`.
    public func makeHandler(label: String, logLevel: Logger.Level = .info) -> any LogHandler {
        switch self {
        case .journal:
            return JournalLogHandler(label: label, logLevel: logLevel)
        case .standardError:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
    }
}
