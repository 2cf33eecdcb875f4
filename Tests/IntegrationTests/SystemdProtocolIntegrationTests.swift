import CosmosAPI
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A datagram socket standing in for systemd's NOTIFY_SOCKET: records every message with its arrival time.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let messages = Mutex<[(at: ContinuousClock.Instant, text: String)]>([])
    private var thread: Thread?
    /// Called (on the receiving thread) for each message as it arrives.
    let onMessage: @Sendable (String) -> Void

    init(path: String, onMessage: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.path = path
        self.onMessage = onMessage
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = unixAddress(path)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw HarnessError.command("bind \(path)", errno, "bind failed") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in receive() }
        self.thread = thread
        thread.start()
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while fd >= 0 && !Thread.current.isCancelled {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            messages.withLock { $0.append((.now, text)) }
            onMessage(text)
        }
        close(fd)
    }

    func stop() { thread?.cancel() }

    /// Messages so far.
    var all: [(at: ContinuousClock.Instant, text: String)] { messages.withLock { $0 } }
}

/// A Unix socket address for `path` (shorter than 108 bytes).
func unixAddress(_ path: String) -> sockaddr_un {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
        let bytes = Array(path.utf8)
        buffer.copyBytes(from: bytes)
        buffer[bytes.count] = 0
    }
    return address
}

/// Whether something accepts connections on the Unix stream socket at `path`.
func acceptsConnections(_ path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = unixAddress(path)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    } == 0
}

@Suite("systemd notify protocol, against the real daemon", .serialized)
struct SystemdProtocolIntegrationTests {
    @Test("READY after the socket accepts; STATUS; WATCHDOG every 250 ms; pings stop when the loop hangs; STOPPING")
    func notifyProtocol() throws {
        let harness = try DaemonHarness()
        defer { harness.tearDown() }
        let socketAcceptedAtReady = Mutex<Bool?>(nil)
        let controlSocket = harness.socket
        let notify = try NotifySocket(path: harness.directory.path + "/notify.sock") { text in
            if text.contains("READY=1") {
                // A plain connect(), so this thread is back at recv() at once (the datagram queue is short).
                socketAcceptedAtReady.withLock { $0 = $0 ?? acceptsConnections(controlSocket) }
            }
        }
        defer { notify.stop() }
        try harness.start(environment: [
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "500000", "COSMOS_TEST_FREEZE_SCHEDULER_AFTER": "6",
        ])
        try waitUntil("READY=1 arrives", timeout: 30) { notify.all.contains { $0.text.contains("READY=1") } }
        // The scheduler loop starts (and its freeze timer with it) as READY is sent.
        let started = try #require(notify.all.first { $0.text.contains("READY=1") }).at
        try waitUntil("the ready check ran", timeout: 10) { socketAcceptedAtReady.withLock { $0 } != nil }
        #expect(socketAcceptedAtReady.withLock { $0 } == true)
        try waitUntil("a STATUS line", timeout: 10) {
            notify.all.contains { $0.text.hasPrefix("STATUS=") && $0.text.contains("GPUs busy") }
        }

        // While the loop turns: pings about every 250 ms (half of WATCHDOG_USEC).
        try waitUntil("4 s after READY", timeout: 30) { ContinuousClock.now - started > .seconds(4) }
        let pingsWhileHealthy = notify.all.filter { $0.text == "WATCHDOG=1" && $0.at < started + .seconds(4) }
        #expect(pingsWhileHealthy.count >= 8, "\(pingsWhileHealthy.count) pings in the 4 s after READY")
        let gaps = zip(pingsWhileHealthy, pingsWhileHealthy.dropFirst()).map { $1.at - $0.at }.sorted()
        let median = gaps.isEmpty ? Duration.zero : gaps[gaps.count / 2]
        #expect(median >= .milliseconds(150) && median <= .milliseconds(400), "median gap \(median), gaps \(gaps)")

        // The loop freezes at 6 s; after the 3 s staleness bound the pings must stop.
        try waitUntil("12 s after READY", timeout: 40) { ContinuousClock.now - started > .seconds(12) }
        let late = notify.all.filter { $0.text == "WATCHDOG=1" && $0.at > started + .seconds(10) }
        #expect(late.isEmpty, "pings kept coming while the scheduler loop was frozen: \(late.count)")

        try harness.stop()
        try waitUntil("STOPPING=1 arrives", timeout: 10) { notify.all.contains { $0.text.contains("STOPPING=1") } }
    }

    @Test("with no NOTIFY_SOCKET the daemon works unchanged")
    func withoutSystemd() throws {
        try withDaemon { daemon in
            let id = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "true"])
            #expect(try daemon.waitFinished([id])[0].state == .succeeded)
        }
    }
}
