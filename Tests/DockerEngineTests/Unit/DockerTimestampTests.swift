import DockerEngine
import Foundation
import Testing

@Suite("DockerTimestamp")
struct DockerTimestampTests {
    @Test("parses UTC with and without fraction")
    func utc() throws {
        let epoch = try #require(DockerTimestamp(rfc3339: "1970-01-01T00:00:00Z"))
        #expect(epoch == DockerTimestamp(secondsSince1970: 0))
        let withMillis = try #require(DockerTimestamp(rfc3339: "2024-02-29T23:59:59.5Z"))
        #expect(withMillis.secondsSince1970 == 1_709_251_199)
        #expect(withMillis.nanoseconds == 500_000_000)
        let tooPrecise = try #require(DockerTimestamp(rfc3339: "2024-02-29T23:59:59.1234567891Z"))
        #expect(tooPrecise.nanoseconds == 123_456_789)
    }

    @Test("applies offsets")
    func offsets() throws {
        let plus = try #require(DockerTimestamp(rfc3339: "2024-01-01T02:00:00+02:00"))
        let minus = try #require(DockerTimestamp(rfc3339: "2023-12-31T19:30:00-04:30"))
        #expect(plus.secondsSince1970 == 1_704_067_200)
        #expect(minus.secondsSince1970 == 1_704_067_200)
    }

    @Test("the engine's zero time means never")
    func zeroTime() throws {
        let zero = try #require(DockerTimestamp(rfc3339: "0001-01-01T00:00:00Z"))
        #expect(zero.isZeroTime)
        #expect(!DockerTimestamp(secondsSince1970: 0).isZeroTime)
    }

    @Test(
        "rejects malformed text",
        arguments: [
            "", "2024-01-01", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z",
            "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00Zjunk", "24-01-01T00:00:00Z",
        ]
    )
    func malformed(text: String) {
        #expect(DockerTimestamp(rfc3339: text) == nil)
    }

    @Test("description and Date conversion round-trip")
    func roundTrip() throws {
        let text = "2031-07-04T12:34:56.000000789Z"
        let timestamp = try #require(DockerTimestamp(rfc3339: text))
        #expect(timestamp.description == text)
        #expect(DockerTimestamp(rfc3339: timestamp.description) == timestamp)
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        #expect(DockerTimestamp(date) == DockerTimestamp(secondsSince1970: 1_700_000_000, nanoseconds: 250_000_000))
        #expect(DockerTimestamp(date).unixSecondsString == "1700000000.250000000")
        #expect(abs(DockerTimestamp(date).date.timeIntervalSince(date)) < 1e-6)
    }
}
