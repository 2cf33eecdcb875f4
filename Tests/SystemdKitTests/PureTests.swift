import Foundation
import Glibc
import Logging
import Testing

@testable import SystemdKit

@Suite struct FieldNameTests {
    @Test(arguments: [
        ("job_id", "JOB_ID"),
        ("JOB_ID", "JOB_ID"),
        ("job.id", "JOB_ID"),
        ("job-id", "JOB_ID"),
        ("caller uid", "CALLER_UID"),
        ("élan", "LAN"),  // only ASCII letters survive; then the leading underscore goes
        ("_pid", "PID"),
        ("__systemd_unit", "SYSTEMD_UNIT"),
        ("2fa", "META_2FA"),
        ("_9", "META_9"),
        ("message", "META_MESSAGE"),
        ("priority", "META_PRIORITY"),
        ("code_line", "META_CODE_LINE"),
        ("message_id", "MESSAGE_ID"),
        ("a1_b2", "A1_B2"),
    ])
    func sanitizes(key: String, expected: String) {
        #expect(JournalLogHandler.fieldName(key) == expected)
    }

    @Test func nothingLeft() {
        #expect(JournalLogHandler.fieldName("") == nil)
        #expect(JournalLogHandler.fieldName("_") == nil)
        #expect(JournalLogHandler.fieldName("...") == nil)
        #expect(JournalLogHandler.fieldName("ééé") == nil)
    }

    @Test func atMost64Characters() {
        let long = String(repeating: "k", count: 100)
        #expect(JournalLogHandler.fieldName(long) == String(repeating: "K", count: 64))
        #expect(JournalLogHandler.fieldName("9" + long)?.count == 64)
        #expect(JournalLogHandler.fieldName("9" + long)?.hasPrefix("META_9KKK") == true)
    }

    @Test func everyNameFollowsJournaldRules() {
        for key in ["a", "Z9", "x.y.z", "-", "0", "__9x", "µs", "tab\tkey", String(repeating: "_a", count: 50)] {
            guard let name = JournalLogHandler.fieldName(key) else { continue }
            #expect(!name.isEmpty && name.count <= 64)
            #expect(name.utf8.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F })
            #expect(name.first != "_" && !(name.first?.isNumber ?? true))
        }
    }
}

@Suite struct JournalEntryTests {
    @Test func priorities() {
        let expected: [(Logger.Level, Int)] = [
            (.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
        ]
        for (level, priority) in expected {
            #expect(JournalLogHandler.syslogPriority(level) == priority)
        }
    }

    @Test func fieldsOfOneEntry() {
        let fields = JournalLogHandler.fields(
            level: .warning,
            message: "first line\nsecond line",
            metadata: ["job_id": "0123abcd", "attempt": .stringConvertible(2), "__": "dropped", "message": "m"],
            label: "cosmos.scheduler",
            identifier: "cosmos-worker",
            file: "CosmosDaemon/Scheduler.swift",
            function: "run()",
            line: 42,
            error: "boom"
        )
        #expect(
            fields == [
                "MESSAGE=first line\nsecond line",
                "PRIORITY=4",
                "SYSLOG_IDENTIFIER=cosmos-worker",
                "CODE_FILE=CosmosDaemon/Scheduler.swift",
                "CODE_LINE=42",
                "CODE_FUNC=run()",
                "LOGGER=cosmos.scheduler",
                "ERROR=boom",
                "ATTEMPT=2",
                "JOB_ID=0123abcd",
                "META_MESSAGE=m",
            ]
        )
    }

    @Test func handlerKeepsValueSemantics() {
        var handler = JournalLogHandler(label: "a", identifier: "prog", logLevel: .debug)
        handler[metadataKey: "k"] = "v"
        var copy = handler
        copy[metadataKey: "k"] = "w"
        copy.logLevel = .error
        #expect(handler[metadataKey: "k"] == "v")
        #expect(handler.logLevel == .debug)
        #expect(copy.logLevel == .error)
        #expect(handler.identifier == "prog")
        #expect(JournalLogHandler(label: "x").identifier.isEmpty == false)
    }
}

@Suite struct WatchdogParsingTests {
    @Test func halfOfTimeout() {
        let watchdog = WatchdogConfiguration(environment: ["WATCHDOG_USEC": "500000"], processID: 1234)
        #expect(watchdog.isEnabled)
        #expect(watchdog.timeout == .milliseconds(500))
        #expect(watchdog.pingInterval == .milliseconds(250))
        let thirty = WatchdogConfiguration(environment: ["WATCHDOG_USEC": "30000000"], processID: 1)
        #expect(thirty.pingInterval == .seconds(15))
    }

    @Test func pidMustBeOurs() {
        let ours = WatchdogConfiguration(
            environment: ["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "1234"],
            processID: 1234
        )
        #expect(ours.pingInterval == .milliseconds(250))
        let other = WatchdogConfiguration(
            environment: ["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "99"],
            processID: 1234
        )
        #expect(other.pingInterval == nil)
        let bad = WatchdogConfiguration(environment: ["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "x"], processID: 1234)
        #expect(bad.pingInterval == nil)
    }

    @Test func disabled() {
        for value in ["", "0", "-5", "abc", "1.5", " 10"] {
            #expect(WatchdogConfiguration(environment: ["WATCHDOG_USEC": value]).pingInterval == nil)
        }
        #expect(WatchdogConfiguration(environment: [:]).pingInterval == nil)
        #expect(WatchdogConfiguration(timeout: nil) == WatchdogConfiguration(environment: [:]))
    }
}

@Suite struct NotifierFormattingTests {
    @Test func microseconds() {
        #expect(SystemdNotifier.microseconds(.seconds(30)) == 30_000_000)
        #expect(SystemdNotifier.microseconds(.milliseconds(1)) == 1_000)
        #expect(SystemdNotifier.microseconds(.nanoseconds(1_999)) == 1)
        #expect(SystemdNotifier.microseconds(.seconds(-3)) == 0)
        #expect(SystemdNotifier.microseconds(.zero) == 0)
        #expect(SystemdNotifier.microseconds(.seconds(Int64.max)) == UInt64.max)
    }

    @Test func singleLine() {
        #expect(SystemdNotifier.singleLine("a\nb\rc\0d") == "a b cd")
        #expect(SystemdNotifier.singleLine("plain") == "plain")
    }

    @Test func monotonicClockAdvances() {
        let first = SystemdNotifier.monotonicMicroseconds()
        let second = SystemdNotifier.monotonicMicroseconds()
        #expect(first > 0 && second >= first)
    }
}

@Suite struct LoggingBackendTests {
    /// `device:inode` of `descriptor` as systemd would write it in JOURNAL_STREAM.
    func streamValue(of descriptor: Int32) -> String {
        var info = stat()
        #expect(fstat(descriptor, &info) == 0)
        return "\(info.st_dev):\(info.st_ino)"
    }

    @Test func matchesOnlyTheSameFile() throws {
        let path = NSTemporaryDirectory() + "sdkit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let value = streamValue(of: descriptor)
        #expect(LoggingBackend.isUnderJournald(environment: ["JOURNAL_STREAM": value], descriptor: descriptor))
        #expect(LoggingBackend.isUnderJournald(environment: [:], descriptor: descriptor) == false)
        let parsed = try #require(LoggingBackend.parseJournalStream(value))
        let wrongInode = "\(parsed.device):\(parsed.inode + 1)"
        #expect(!LoggingBackend.isUnderJournald(environment: ["JOURNAL_STREAM": wrongInode], descriptor: descriptor))
        let wrongDevice = "\(parsed.device + 1):\(parsed.inode)"
        #expect(!LoggingBackend.isUnderJournald(environment: ["JOURNAL_STREAM": wrongDevice], descriptor: descriptor))
        #expect(!LoggingBackend.isUnderJournald(environment: ["JOURNAL_STREAM": value], descriptor: -1))
    }

    @Test func standardErrorByDefault() {
        let value = streamValue(of: STDERR_FILENO)
        #expect(LoggingBackend.isUnderJournald(environment: ["JOURNAL_STREAM": value]))
        #expect(LoggingBackend.detect(environment: ["JOURNAL_STREAM": value]) == .journal)
        #expect(LoggingBackend.detect(environment: [:]) == .standardError)
        #expect(LoggingBackend.detect(environment: ["JOURNAL_STREAM": "1:1"]) == .standardError)
    }

    @Test func parsing() {
        #expect(LoggingBackend.parseJournalStream("8:12345")! == (8, 12345))
        for bad in ["", "8", "8:", ":1", "a:b", "1:2:3", "-1:2", "8:12345 "] {
            #expect(LoggingBackend.parseJournalStream(bad) == nil)
        }
    }

    @Test func handlers() {
        #expect(LoggingBackend.journal.makeHandler(label: "x", logLevel: .debug) is JournalLogHandler)
        #expect(LoggingBackend.standardError.makeHandler(label: "x", logLevel: .debug).logLevel == .debug)
    }
}

@Suite struct ListenFDsTests {
    @Test func recognizesUnixSockets() throws {
        #expect(ListenFDs.start == 3)
        let stream = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(stream >= 0)
        defer { close(stream) }
        let path = "/tmp/sdkit-listen-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(stream, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0)
        defer { unlink(path) }
        #expect(!ListenFDs.isUnixSocket(stream))  // not listening yet
        #expect(ListenFDs.isUnixSocket(stream, listening: false))
        try #require(listen(stream, 4) == 0)
        #expect(ListenFDs.isUnixSocket(stream))
        #expect(ListenFDs.isUnixSocket(stream, listening: nil, path: path))
        #expect(!ListenFDs.isUnixSocket(stream, path: path + "x"))
        #expect(!ListenFDs.isUnixSocket(stream, type: Int32(SOCK_DGRAM.rawValue)))
        #expect(ListenFDs.isUnixSocket(stream, type: 0))

        var pipeEnds: [Int32] = [0, 0]
        try #require(pipe(&pipeEnds) == 0)
        defer {
            close(pipeEnds[0])
            close(pipeEnds[1])
        }
        #expect(!ListenFDs.isUnixSocket(pipeEnds[0], listening: nil))
    }
}
