import CosmosAPI
import CosmosDomain
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `[web]` listener of a real daemon on the real Docker engine: `/metrics` checked by Prometheus's own
/// `promtool`, the counts after a 10-job run, GPU accounting in `show` and `usage`, and `cosmosctl web` logins.
@Suite("Web listener, metrics and GPU accounting against the real Docker engine", .serialized)
struct WebMetricsIntegrationTests {
    static let busybox = "cosmos-test/busybox:latest"

    /// A TCP port nothing listens on now (the kernel's pick).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw HarnessError.timeout("a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A daemon with 2 slots and the dashboard on a free loopback port; `body` gets it and the base URL.
    func withWebDaemon(_ body: (DaemonHarness, String) throws -> Void) throws {
        let port = try Self.freePort()
        let harness = try DaemonHarness(gpus: 2, extra: "[web]\nlisten = \"127.0.0.1:\(port)\"\n")
        try run(harness) { daemon in try body(daemon, "http://127.0.0.1:\(port)") }
    }

    /// `curl` with `arguments`: its status and output.
    static func curl(_ arguments: [String]) -> DaemonHarness.Result {
        DaemonHarness.run("/usr/bin/curl", ["-s", "--max-time", "20"] + arguments)
    }

    /// The value of the sample `series` (name and labels exactly as exposed), nil when it is not there.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test("after a 10-job run /metrics passes promtool and its counters and histograms hold the run's counts")
    func metricsAfterTenJobs() throws {
        try withWebDaemon { daemon, base in
            #expect(daemon.ctl(["pause"]).status == 0)
            var ids: [String] = []
            for index in 0..<8 {
                ids.append(try daemon.submit(["--image", Self.busybox, "--name", "ok\(index)", "--", "sleep", "0.3"]))
            }
            ids.append(try daemon.submit(["--image", Self.busybox, "--name", "bad", "--", "sh", "-c", "exit 3"]))
            let doomed = try daemon.submit(["--image", Self.busybox, "--name", "doomed", "--", "true"])
            #expect(daemon.ctl(["hold", doomed]).status == 0)
            #expect(daemon.ctl(["cancel", doomed]).status == 0)
            ids.append(try daemon.submit(["--image", Self.busybox, "--name", "ok8", "--", "sleep", "0.3"]))
            #expect(daemon.ctl(["resume"]).status == 0)
            let finished = try daemon.waitFinished(ids)
            #expect(finished.filter { $0.state == .succeeded }.count == 9)
            var text = ""
            // The counters follow the event log: wait for them to take in the last entries.
            try waitUntil("the metrics count every finished job", timeout: 30) {
                text = Self.curl([base + "/metrics"]).stdout
                let done = Self.sample(text, #"cosmos_jobs_finished_total{result="succeeded"}"#) ?? 0
                return done >= 9 && Self.sample(text, "cosmos_job_run_seconds_count") ?? 0 >= 10
            }
            let check = DaemonHarness.run("/usr/bin/promtool", ["check", "metrics"], stdin: text)
            #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)")
            #expect(Self.sample(text, #"cosmos_jobs_finished_total{result="succeeded"}"#) == 9)
            #expect(Self.sample(text, #"cosmos_jobs_finished_total{result="failed"}"#) == 1)
            #expect(Self.sample(text, #"cosmos_jobs_finished_total{result="cancelled"}"#) == 1)
            #expect(Self.sample(text, #"cosmos_container_starts_total{host="local"}"#) == 10)
            #expect(Self.sample(text, "cosmos_queue_wait_seconds_count") == 10)
            #expect(Self.sample(text, "cosmos_job_run_seconds_count") == 10)
            #expect(Self.sample(text, #"cosmos_job_run_seconds_bucket{le="+Inf"}"#) == 10)
            #expect(Self.sample(text, #"cosmos_jobs{state="succeeded"}"#) == 9)
            #expect(Self.sample(text, #"cosmos_jobs{state="cancelled"}"#) == 1)
            #expect(Self.sample(text, "cosmos_queued_jobs") == 0)
            #expect(Self.sample(text, #"cosmos_gpus{host="local"}"#) == 2)
            #expect(Self.sample(text, #"cosmos_hosts{state="up"}"#) == 1)
            #expect(Self.sample(text, "cosmos_queue_paused") == 0)
            // GPU-seconds: the counter, each job's own figure and `usage` agree.
            let jobs = try ids.map { try daemon.show($0) }
            let perJob = jobs.reduce(0) { $0 + $1.gpuSeconds }
            #expect(jobs.allSatisfy { $0.gpuSeconds > 0 })
            let counted = try #require(Self.sample(text, #"cosmos_gpu_seconds_total{host="local"}"#))
            #expect(abs(counted - perJob) < 0.01, "counter \(counted), jobs \(perJob)")
            let usage = try daemon.ctlJSON(UsageView.self, ["usage"])
            #expect(usage.rows.count == 1 && usage.rows[0].jobs == 10 && usage.rows[0].key == String(getuid()))
            #expect(abs(usage.totalGpuSeconds - perJob) < 0.01)
            let byImage = try daemon.ctlJSON(UsageView.self, ["usage", "--by", "image", "--since", "1h"])
            #expect(byImage.rows.map(\.key) == [Self.busybox])
            let future = try daemon.ctlJSON(UsageView.self, ["usage", "--since", "2999-01-01"])
            #expect(future.rows.isEmpty && future.totalGpuSeconds == 0)
            let shown = daemon.ctl(["show", ids[0]])
            #expect(shown.stdout.contains("GPU-seconds"))
            let refused = daemon.ctl(["usage", "--by", "host"])
            #expect(refused.status != 0 && refused.stderr.contains("--by"))
        }
    }

    @Test("cosmosctl web prints a one-time login URL; the page without a session says how to get one")
    func login() throws {
        try withWebDaemon { daemon, base in
            let printed = daemon.ctl(["web"])
            #expect(printed.status == 0)
            let url = printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(url.hasPrefix(base + "/login?token=") && !url.contains("\n"))
            let jar = daemon.directory.path + "/cookies"
            let first = Self.curl(["-c", jar, "-o", "/dev/null", "-w", "%{http_code}", url])
            #expect(first.stdout == "303")
            let page = Self.curl(["-b", jar, "-w", "\n%{http_code}", base + "/"])
            #expect(page.stdout.hasSuffix("\n200") && page.stdout.contains("<title>Queue"))
            let again = Self.curl(["-o", "/dev/null", "-w", "%{http_code}", url])
            #expect(again.stdout == "401")
            let anonymous = Self.curl(["-w", "\n%{http_code}", base + "/"])
            #expect(anonymous.stdout.hasSuffix("\n401") && anonymous.stdout.contains("cosmosctl web"))
            let api = Self.curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/v1/jobs"])
            #expect(api.stdout == "401")
            let json = try daemon.ctlJSON(WebLoginView.self, ["web"])
            #expect(json.url.hasPrefix(base + "/login?token=") && Timestamp.parse(json.expiresAt) != nil)
        }
    }

    @Test("without [web] listen, cosmosctl web says how to turn the dashboard on and exits non-zero")
    func off() throws {
        try withDaemon { daemon in
            let result = daemon.ctl(["web"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("[web] listen"))
        }
    }
}
