import Foundation
import Logging
import Testing

@testable import SystemdKit

/// Whether a journald answers here: its socket and `journalctl` exist.
private let journalPresent =
    FileManager.default.fileExists(atPath: "/run/systemd/journal/socket")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/journalctl")

/// Writes a real entry and reads it back with `journalctl`; only where a journald runs (not in a plain container,
/// where `scripts/systemd-e2e.sh` covers the journal under a real systemd instead).
@Suite(.enabled(if: journalPresent, "no journald here (/run/systemd/journal/socket missing)"))
struct JournalTests {
    @Test func entryIsReadBack() async throws {
        let marker = UUID().uuidString
        let handler = JournalLogHandler(label: "systemdkit.tests", identifier: "systemdkit-tests", logLevel: .debug)
        let logger = Logger(label: "systemdkit.tests") { _ in handler }
        logger.notice("line one\nline two", metadata: ["sdkit.marker": "\(marker)", "job_id": "j-1"])

        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        var found: [String: Any]?
        while found == nil && clock.now < deadline {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
            process.arguments = ["-o", "json", "--no-pager", "SDKIT_MARKER=\(marker)"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if let line = data.split(separator: UInt8(ascii: "\n")).first {
                found = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let entry = try #require(found)
        #expect(entry["MESSAGE"] as? String == "line one\nline two")
        #expect(entry["PRIORITY"] as? String == "5")
        #expect(entry["SYSLOG_IDENTIFIER"] as? String == "systemdkit-tests")
        #expect(entry["JOB_ID"] as? String == "j-1")
        #expect(entry["LOGGER"] as? String == "systemdkit.tests")
        #expect((entry["CODE_FILE"] as? String)?.hasSuffix("JournalTests.swift") == true)
        #expect(entry["CODE_FUNC"] != nil && entry["CODE_LINE"] != nil)
    }
}
