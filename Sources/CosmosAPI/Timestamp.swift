import Foundation

/// RFC 3339 timestamps in UTC with milliseconds (`2026-11-24T10:00:00.123Z`), as the API prints them.
public enum Timestamp {
    /// Formats `date`.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    /// Formats `date`, or nil.
    public static func format(_ date: Date?) -> String? {
        date.map { format($0) }
    }

    /// Parses a timestamp in the API's format.
    public static func parse(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text)
    }
}
