import Foundation
import Glibc
import Testing

@testable import SystemdKit

/// Tests that change this process's environment (`NOTIFY_SOCKET`, `WATCHDOG_*`, `LISTEN_*`): one serialized suite,
/// so no two of them run at once.
@Suite(.serialized)
struct EnvironmentTests {
    // MARK: SystemdNotifier against a real datagram socket

    @Test func readySendsReady() throws {
        let socket = try NotifySocket()
        withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            let notifier = SystemdNotifier()
            #expect(notifier.isEnabled)
            #expect(notifier.ready() == .sent)
            #expect(socket.receive() == "READY=1")
            // unset_environment = 0: the variable is still there for the next notification.
            #expect(getenv("NOTIFY_SOCKET").map { String(cString: $0) } == socket.path)
            #expect(notifier.ready() == .sent)
            #expect(socket.receive() == "READY=1")
        }
    }

    @Test func statusWatchdogStopping() throws {
        let socket = try NotifySocket()
        withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            let notifier = SystemdNotifier()
            #expect(notifier.status("3 running, 12 queued") == .sent)
            #expect(socket.receive() == "STATUS=3 running, 12 queued")
            #expect(notifier.status("two\nlines\r\n") == .sent)
            #expect(socket.receive() == "STATUS=two lines  ")
            #expect(notifier.watchdogPing() == .sent)
            #expect(socket.receive() == "WATCHDOG=1")
            #expect(notifier.stopping() == .sent)
            #expect(socket.receive() == "STOPPING=1")
            #expect(notifier.send("FDSTORE=0\nCUSTOM=x") == .sent)
            #expect(socket.receive() == "FDSTORE=0\nCUSTOM=x")
        }
    }

    @Test func reloadingCarriesMonotonicTime() throws {
        let socket = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            let before = SystemdNotifier.monotonicMicroseconds()
            #expect(SystemdNotifier().reloading() == .sent)
            let after = SystemdNotifier.monotonicMicroseconds()
            let text = try #require(socket.receive())
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            try #require(lines.count == 2)
            #expect(lines[0] == "RELOADING=1")
            #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
            let usec = try #require(UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)))
            #expect(before <= usec && usec <= after)
        }
    }

    @Test func extendTimeoutInMicroseconds() throws {
        let socket = try NotifySocket()
        withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            let notifier = SystemdNotifier()
            #expect(notifier.extendTimeout(.seconds(15)) == .sent)
            #expect(socket.receive() == "EXTEND_TIMEOUT_USEC=15000000")
            #expect(notifier.extendTimeout(.milliseconds(1500)) == .sent)
            #expect(socket.receive() == "EXTEND_TIMEOUT_USEC=1500000")
        }
    }

    @Test func abstractNamespaceSocketAddress() throws {
        // NOTIFY_SOCKET may name an abstract socket ("@name"); sd_notify must send there too.
        let name = "sdkit-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in name.utf8.enumerated() { raw[index + 1] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + name.utf8.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        try #require(bound == 0)
        try withEnvironment(["NOTIFY_SOCKET": "@" + name]) {
            #expect(SystemdNotifier().ready() == .sent)
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            try #require(poll(&poller, 1, 2_000) == 1)
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            #expect(String(decoding: buffer[0..<max(count, 0)], as: UTF8.self) == "READY=1")
        }
    }

    @Test func noOpWithoutNotifySocket() throws {
        let socket = try NotifySocket()
        withEnvironment(["NOTIFY_SOCKET": nil]) {
            let notifier = SystemdNotifier()
            #expect(!notifier.isEnabled)
            #expect(notifier.ready() == .notUnderSystemd)
            #expect(notifier.status("x") == .notUnderSystemd)
            #expect(notifier.watchdogPing() == .notUnderSystemd)
            #expect(notifier.stopping() == .notUnderSystemd)
            #expect(notifier.reloading() == .notUnderSystemd)
            #expect(notifier.extendTimeout(.seconds(1)) == .notUnderSystemd)
        }
        withEnvironment(["NOTIFY_SOCKET": ""]) {
            #expect(!SystemdNotifier().isEnabled)
            #expect(SystemdNotifier().ready() == .notUnderSystemd)
        }
        #expect(!socket.hasPending())
    }

    @Test func failureIsReportedNotThrown() throws {
        // A socket path nobody listens on: sending fails with an errno, nothing crashes.
        let missing = "/tmp/sdkit-missing-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        withEnvironment(["NOTIFY_SOCKET": missing]) {
            guard case .failed(let code) = SystemdNotifier().ready() else {
                Issue.record("expected .failed")
                return
            }
            #expect(code == ENOENT || code == ECONNREFUSED)
        }
    }

    @Test func pidNotifySendsToo() throws {
        let socket = try NotifySocket()
        withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            let notifier = SystemdNotifier(processID: getpid())
            #expect(notifier.status("on behalf") == .sent)
            #expect(socket.receive() == "STATUS=on behalf")
        }
    }

    // MARK: WatchdogConfiguration from the real environment (sd_watchdog_enabled)

    @Test func watchdogFromEnvironment() {
        withEnvironment(["WATCHDOG_USEC": "500000", "WATCHDOG_PID": nil]) {
            let watchdog = WatchdogConfiguration.fromEnvironment()
            #expect(watchdog.timeout == .milliseconds(500))
            #expect(watchdog.pingInterval == .milliseconds(250))
            // read, never unset
            #expect(getenv("WATCHDOG_USEC") != nil)
        }
        withEnvironment(["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "\(getpid())"]) {
            #expect(WatchdogConfiguration.fromEnvironment().pingInterval == .milliseconds(250))
        }
        withEnvironment(["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "\(getpid() + 1)"]) {
            #expect(WatchdogConfiguration.fromEnvironment().pingInterval == nil)
        }
        withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
            #expect(!WatchdogConfiguration.fromEnvironment().isEnabled)
        }
    }

    // MARK: ListenFDs without activation

    @Test func listenFDsEmptyWithoutActivation() {
        withEnvironment(["LISTEN_PID": nil, "LISTEN_FDS": nil, "LISTEN_FDNAMES": nil]) {
            #expect(ListenFDs.take().isEmpty)
            #expect(ListenFDs.takeNamed().isEmpty)
        }
        // Meant for another process: not ours to take.
        withEnvironment(["LISTEN_PID": "\(getpid() + 1)", "LISTEN_FDS": "1", "LISTEN_FDNAMES": nil]) {
            #expect(ListenFDs.take().isEmpty)
        }
    }
}
