import Foundation

/// A point in time with nanosecond precision, as the engine writes it (RFC 3339: `2024-05-01T12:00:00.123456789Z`).
///
/// The engine writes "never" (e.g. `FinishedAt` of a running container) as `0001-01-01T00:00:00Z`; decoders in this
/// module turn that into `nil` (see ``isZeroTime``).
public struct DockerTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before).
    public var secondsSince1970: Int64
    /// Nanoseconds within the second, `0..<1_000_000_000`.
    public var nanoseconds: Int32

    /// Creates a timestamp from seconds and nanoseconds since the Unix epoch.
    public init(secondsSince1970: Int64, nanoseconds: Int32 = 0) {
        self.secondsSince1970 = secondsSince1970
        self.nanoseconds = nanoseconds
    }

    /// Creates a timestamp from a `Date` (precision limited to what `Double` holds).
    public init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        var seconds = interval.rounded(.down)
        var nanos = ((interval - seconds) * 1e9).rounded()
        if nanos >= 1e9 {
            seconds += 1
            nanos -= 1e9
        }
        self.init(secondsSince1970: Int64(seconds), nanoseconds: Int32(nanos))
    }

    /// Parses RFC 3339 with optional fraction of up to 9 digits and a `Z` or `±hh:mm` offset.
    public init?(rfc3339 text: some StringProtocol) {
        self.init(rfc3339Bytes: Array(text.utf8))
    }

    /// Parses RFC 3339 from UTF-8 bytes; see ``init(rfc3339:)``.
    public init?(rfc3339Bytes bytes: some Collection<UInt8>) {
        var parser = Parser(bytes: Array(bytes))
        guard let timestamp = parser.parse() else {
            return nil
        }
        self = timestamp
    }

    /// The engine's "never": year 1 (Go's zero `time.Time`).
    public var isZeroTime: Bool {
        self.secondsSince1970 <= Self.goZeroTimeSeconds
    }

    /// The timestamp as a `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(self.secondsSince1970) + Double(self.nanoseconds) / 1e9)
    }

    /// The value as Unix seconds with a 9-digit fraction, the form the engine accepts for `since`/`until`.
    public var unixSecondsString: String {
        let fraction = String(self.nanoseconds)
        return "\(self.secondsSince1970)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }

    /// RFC 3339 in UTC with 9 fraction digits, e.g. `2024-05-01T12:00:00.123456789Z`.
    public var description: String {
        let days = Self.floorDivide(self.secondsSince1970, 86_400)
        let secondOfDay = self.secondsSince1970 - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(Int64(self.nanoseconds), 9))Z"
    }

    public static func < (lhs: DockerTimestamp, rhs: DockerTimestamp) -> Bool {
        (lhs.secondsSince1970, lhs.nanoseconds) < (rhs.secondsSince1970, rhs.nanoseconds)
    }

    /// Seconds of 0001-01-01T00:00:00Z.
    static let goZeroTimeSeconds: Int64 = -62_135_596_800

    static func floorDivide(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let quotient = lhs / rhs
        return (lhs % rhs != 0 && (lhs < 0) != (rhs < 0)) ? quotient - 1 : quotient
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func parse() -> DockerTimestamp? {
            guard let year = self.number(digits: 4), self.expect("-"),
                let month = self.number(digits: 2), self.expect("-"),
                let day = self.number(digits: 2), self.expect("T") || self.expect("t"),
                let hour = self.number(digits: 2), self.expect(":"),
                let minute = self.number(digits: 2), self.expect(":"),
                let second = self.number(digits: 2)
            else {
                return nil
            }
            guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
                return nil
            }
            var nanos: Int64 = 0
            if self.expect(".") {
                var digits = 0
                while self.index < self.bytes.count, let digit = Self.digit(self.bytes[self.index]) {
                    if digits < 9 {
                        nanos = nanos * 10 + digit
                    }
                    digits += 1
                    self.index += 1
                }
                guard digits > 0 else {
                    return nil
                }
                for _ in digits..<max(digits, 9) {
                    nanos *= 10
                }
            }
            var offset: Int64 = 0
            if self.expect("Z") || self.expect("z") {
                offset = 0
            } else if self.index < self.bytes.count,
                self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-")
            {
                let sign: Int64 = self.bytes[self.index] == UInt8(ascii: "-") ? -1 : 1
                self.index += 1
                guard let offsetHours = self.number(digits: 2), self.expect(":"),
                    let offsetMinutes = self.number(digits: 2)
                else {
                    return nil
                }
                offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
            } else {
                return nil
            }
            guard self.index == self.bytes.count else {
                return nil
            }
            let days = DockerTimestamp.days(year: year, month: month, day: day)
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
            return DockerTimestamp(secondsSince1970: seconds, nanoseconds: Int32(nanos))
        }

        private mutating func number(digits: Int) -> Int64? {
            guard self.index + digits <= self.bytes.count else {
                return nil
            }
            var value: Int64 = 0
            for offset in 0..<digits {
                guard let digit = Self.digit(self.bytes[self.index + offset]) else {
                    return nil
                }
                value = value * 10 + digit
            }
            self.index += digits
            return value
        }

        private mutating func expect(_ character: Unicode.Scalar) -> Bool {
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: character) else {
                return false
            }
            self.index += 1
            return true
        }

        private static func digit(_ byte: UInt8) -> Int64? {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int64(byte - UInt8(ascii: "0")) : nil
        }
    }
}

extension DockerTimestamp: Codable {
    /// Decodes an RFC 3339 string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let timestamp = DockerTimestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not RFC 3339")
        }
        self = timestamp
    }

    /// Encodes as an RFC 3339 string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}

extension KeyedDecodingContainer {
    /// Decodes an RFC 3339 string, mapping absent, empty, unparsable and zero ("never") values to `nil`.
    func decodeTimestampIfPresent(forKey key: Key) throws -> DockerTimestamp? {
        guard let text = try self.decodeIfPresent(String.self, forKey: key),
            let timestamp = DockerTimestamp(rfc3339: text), !timestamp.isZeroTime
        else {
            return nil
        }
        return timestamp
    }
}
