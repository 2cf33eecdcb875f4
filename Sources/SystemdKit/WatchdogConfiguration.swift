import CSystemd
import Glibc

/// The service watchdog as systemd configured it for this process (`WatchdogSec=`, `sd_watchdog_enabled(3)`).
///
/// systemd passes `WATCHDOG_USEC` (the timeout) and `WATCHDOG_PID` (the process that must ping). A service pings
/// with ``SystemdNotifier/watchdogPing()`` every ``pingInterval``, half the timeout, as `sd_watchdog_enabled(3)`
/// recommends. The variables are read, never unset.
public struct WatchdogConfiguration: Sendable, Equatable {
    /// `WATCHDOG_USEC`: how long systemd waits for a ping before it acts; nil when there is no watchdog for us.
    public let timeout: Duration?

    /// A configuration with the given timeout (nil: disabled).
    public init(timeout: Duration?) {
        self.timeout = timeout
    }

    /// Parses the watchdog variables the way `sd_watchdog_enabled(3)` does.
    ///
    /// Disabled when `WATCHDOG_USEC` is missing, not a positive decimal integer, or when `WATCHDOG_PID` is set and
    /// is not `processID`.
    public init(environment: [String: String], processID: Int32 = getpid()) {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else {
            self.timeout = nil
            return
        }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let pid = Int32(pidText), pid > 0, pid == processID else {
                self.timeout = nil
                return
            }
        }
        self.timeout = Self.duration(microseconds: usec)
    }

    /// This process's watchdog, read from its environment with `sd_watchdog_enabled(0, &usec)`.
    public static func fromEnvironment() -> WatchdogConfiguration {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return WatchdogConfiguration(timeout: nil) }
        return WatchdogConfiguration(timeout: duration(microseconds: usec))
    }

    /// Whether systemd expects pings from this process.
    public var isEnabled: Bool { timeout != nil }

    /// How often to send `WATCHDOG=1`: half of ``timeout``; nil when the watchdog is disabled.
    public var pingInterval: Duration? {
        timeout.map { $0 / 2 }
    }

    static func duration(microseconds usec: UInt64) -> Duration {
        .seconds(Int64(usec / 1_000_000)) + .microseconds(Int64(usec % 1_000_000))
    }
}
