import CSystemd
import Glibc

/// Tells the service manager about the service's state through `sd_notify(3)`.
///
/// Every call is a no-op (returning ``Outcome/notUnderSystemd``) when `NOTIFY_SOCKET` is not set, so a daemon can
/// call these unconditionally. `NOTIFY_SOCKET` is never unset (`unset_environment = 0`): the watchdog pings and the
/// later state changes need it, as do child processes that were told to report for the main process.
///
/// ```swift
/// let notifier = SystemdNotifier()
/// notifier.status("adopting running jobs")
/// notifier.ready()
/// ```
public struct SystemdNotifier: Sendable {
    /// What one notification did.
    public enum Outcome: Sendable, Equatable {
        /// The service manager's socket accepted the datagram.
        case sent
        /// `NOTIFY_SOCKET` is not set: not started by systemd (or `Type=` does not listen), nothing was sent.
        case notUnderSystemd
        /// Sending failed; `errno` is the positive error number (e.g. `ECONNREFUSED`).
        case failed(errno: Int32)
    }

    /// The process the notifications are sent on behalf of (`sd_pid_notify(3)`), or nil for this process.
    ///
    /// Sending for another process needs privileges (or `NotifyAccess=all`); this is for a helper that reports
    /// for the main process.
    public let processID: Int32?

    /// A notifier that sends on behalf of `processID` (nil: this process).
    public init(processID: Int32? = nil) {
        self.processID = processID
    }

    /// Whether notifications go anywhere: `NOTIFY_SOCKET` is set and not empty.
    public var isEnabled: Bool {
        guard let value = getenv("NOTIFY_SOCKET") else { return false }
        return value.pointee != 0
    }

    /// `READY=1`: start-up is finished (for `Type=notify`, `systemctl start` returns now), or a reload is done.
    @discardableResult
    public func ready() -> Outcome {
        send("READY=1")
    }

    /// `STATUS=text`: a one-line status shown by `systemctl status`.
    ///
    /// Newlines (which would end the assignment) become spaces and NUL bytes are dropped.
    @discardableResult
    public func status(_ text: String) -> Outcome {
        send("STATUS=" + Self.singleLine(text))
    }

    /// `WATCHDOG=1`: the keep-alive ping for `WatchdogSec=` (see ``WatchdogConfiguration``).
    @discardableResult
    public func watchdogPing() -> Outcome {
        send("WATCHDOG=1")
    }

    /// `STOPPING=1`: the service is shutting down.
    @discardableResult
    public func stopping() -> Outcome {
        send("STOPPING=1")
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (the `CLOCK_MONOTONIC` time in µs, which `Type=notify-reload` requires):
    /// the service is reloading its configuration. Send ``ready()`` when done.
    @discardableResult
    public func reloading() -> Outcome {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// `EXTEND_TIMEOUT_USEC=`: asks for `duration` more before the current start, stop or runtime timeout hits.
    ///
    /// Negative durations count as zero; the value is rounded down to whole microseconds.
    @discardableResult
    public func extendTimeout(_ duration: Duration) -> Outcome {
        send("EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))")
    }

    /// Sends `state`, newline-separated `NAME=value` assignments, as they are.
    @discardableResult
    public func send(_ state: String) -> Outcome {
        guard isEnabled else { return .notUnderSystemd }
        let result: Int32
        if let processID {
            result = sd_pid_notify(processID, 0, state)
        } else {
            result = sd_notify(0, state)
        }
        if result > 0 { return .sent }
        if result == 0 { return .notUnderSystemd }
        return .failed(errno: -result)
    }

    /// The current `CLOCK_MONOTONIC` time in microseconds, as systemd's `MONOTONIC_USEC=` wants it.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// `duration` in whole microseconds, clamped to `0...UInt64.max`.
    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, duration > .zero else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000)
        if overflow { return .max }
        let (total, carry) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000_000))
        return carry ? .max : total
    }

    /// `text` with line breaks turned into spaces and NUL bytes removed.
    static func singleLine(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where scalar != "\0" {
            scalars.append(scalar == "\n" || scalar == "\r" ? " " : scalar)
        }
        return String(scalars)
    }
}
