import CosmosAPI
import CosmosDomain
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Two extra Docker engines, each in its own network namespace (`scripts/test-engines.sh`), as two GPU
/// hosts with two GPUs each in `env` mode.
@Suite("GPU hosts on two engines", .serialized)
struct MultiHostIntegrationTests {
    static let engines = ["gpu-a", "gpu-b"]
    static func socket(_ engine: String) -> String { "unix:///run/cosmos-test-engines/\(engine)/docker.sock" }

    let inputs: String

    init() throws {
        let up = DaemonHarness.run(
            "/bin/bash",
            [DaemonHarness.repoRoot + "/scripts/test-engines.sh", "up"] + Self.engines
        )
        try #require(up.status == 0, "scripts/test-engines.sh up: \(up.stderr)")
        inputs = "/tmp/cosmos-it-inputs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
        chmod(inputs, 0o755)
    }

    /// A daemon over both engines: fast probes (1 s, down after 2), a 3 s grace period. gpu-a binds `/cosmos`
    /// (`auto` on a local socket), gpu-b stages through the archive API, as a remote engine does.
    func withHosts<T>(policy: String = "backfill", _ body: (DaemonHarness) throws -> T) throws -> T {
        let hosts = Self.engines.map { engine in
            """
            [[hosts]]
            name = "\(engine)"
            docker = "\(Self.socket(engine))"
            gpus = 2
            gpu_mode = "env"
            labels = {engine = "\(engine)"}
            \(engine == "gpu-b" ? "staging = \"archive\"\n" : "")
            """
        }.joined()
        let harness = try DaemonHarness(
            daemonExtra: """
                policy = "\(policy)"
                probe_interval_seconds = 1
                down_after_failures = 2
                host_down_grace_seconds = 3
                orphan_grace_seconds = 2
                reconcile_interval_seconds = 2
                """,
            hosts: hosts,
            extra: "[inputs]\nallow_roots = [\"\(inputs)\"]\nmax_size_gib = 0.1\n"
        )
        harness.extraEngines = Self.engines.map(Self.socket)
        defer { try? FileManager.default.removeItem(atPath: inputs) }
        return try run(harness, body)
    }

    func hosts(_ daemon: DaemonHarness) throws -> [String: HostView] {
        let result = daemon.ctl(["hosts", "--json"])
        guard result.status == 0 else { throw HarnessError.command("hosts", result.status, result.stderr) }
        let views = try JSONDecoder().decode([HostView].self, from: Data(result.stdout.utf8))
        return Dictionary(uniqueKeysWithValues: views.map { ($0.name, $0) })
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    @Test("jobs spread over both hosts; jobs overlapping on one host never hold the same GPU")
    func spreadAndExclusive() throws {
        try withHosts { daemon in
            let script = "echo \"gpus=$NVIDIA_VISIBLE_DEVICES cuda=$CUDA_VISIBLE_DEVICES\"; sleep 2"
            let ids = try (0..<8).map { _ in
                try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", script])
            }
            let jobs = try daemon.waitFinished(ids, timeout: 120)
            #expect(jobs.allSatisfy { $0.state == .succeeded }, "\(jobs.map { "\($0.id) \($0.state)" })")
            #expect(Set(jobs.compactMap(\.host)) == Set(Self.engines))
            struct Run {
                var host: String
                var devices: Set<String>
                var start: Date
                var end: Date
            }
            var runs: [Run] = []
            for job in jobs {
                let logs = daemon.ctl(["logs", job.id]).stdout
                let printed = try #require(
                    logs.split(separator: "\n").first { $0.hasPrefix("gpus=") }.map(String.init),
                    "no device line in \(logs)"
                )
                let devices = job.devices.joined(separator: ",")
                #expect(printed == "gpus=\(devices) cuda=\(devices)")
                #expect(job.devices.count == 1)
                let start = try #require(Self.date(job.startedAt))
                let end = try #require(Self.date(job.finishedAt))
                runs.append(Run(host: try #require(job.host), devices: Set(job.devices), start: start, end: end))
            }
            var overlapping = 0
            for (index, first) in runs.enumerated() {
                for second in runs[(index + 1)...] where first.host == second.host {
                    guard first.start < second.end, second.start < first.end else { continue }
                    overlapping += 1
                    #expect(first.devices.isDisjoint(with: second.devices), "\(first) and \(second) share a GPU")
                }
            }
            // 8 jobs of 2 s on 4 GPUs: some runs on one host must overlap, or the check proves nothing.
            #expect(overlapping > 0)
        }
    }

    @Test("a 2-GPU job waits, with the reason, until two GPUs of one host are free")
    func twoGPUJobWaits() throws {
        try withHosts { daemon in
            let fillers = try (0..<2).map { _ in
                try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", "sleep 4"])
            }
            try waitUntil("both fillers run, one per host", timeout: 60) {
                let jobs = try fillers.map { try daemon.show($0) }
                return jobs.allSatisfy { $0.state == .running } && Set(jobs.compactMap(\.host)).count == 2
            }
            let pair = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--gpus", "2", "--", "true"])
            try waitUntil("the pair job says why it waits", timeout: 10) {
                try daemon.show(pair).pendingReason == "waiting for 2 GPUs (most free on one host: 1)"
            }
            let listed = daemon.ctl(["list"]).stdout
            #expect(listed.contains("waiting for 2 GPUs (most free on one host: 1)"), "\(listed)")
            let done = try daemon.waitFinished([pair] + fillers, timeout: 90)
            #expect(done.allSatisfy { $0.state == .succeeded })
            let pairStart = try #require(Self.date(done[0].startedAt))
            let firstFillerEnd = try #require(done[1...].compactMap { Self.date($0.finishedAt) }.min())
            #expect(pairStart >= firstFillerEnd)
            #expect(done[0].devices.count == 2)
        }
    }

    @Test("an engine dies mid-job: host down, the job retried on the other host after the grace period")
    func hostDownRetry() throws {
        try withHosts { daemon in
            let id = try daemon.submit([
                "--image", "cosmos-test/busybox:latest", "--", "sh", "-c", "echo started; sleep 5; echo done",
            ])
            try waitUntil("the job runs", timeout: 60) { try daemon.show(id).state == .running }
            let first = try #require(try daemon.show(id).host)
            let other = Self.engines.first { $0 != first }!
            let stop = DaemonHarness.run(
                "/bin/bash",
                [DaemonHarness.repoRoot + "/scripts/test-engines.sh", "stop", "--kill", first]
            )
            #expect(stop.status == 0, "\(stop.stderr)")
            defer {
                _ = DaemonHarness.run("/bin/bash", [DaemonHarness.repoRoot + "/scripts/test-engines.sh", "up", first])
            }
            try waitUntil("the host is marked down", timeout: 30) { try hosts(daemon)[first]?.state == .down }
            let job = try daemon.waitFinished([id], timeout: 120)[0]
            #expect(job.state == .succeeded)
            #expect(job.host == other)
            #expect(job.attempts == 2)
            #expect(job.reason == "host down")
            #expect(daemon.ctl(["logs", id]).stdout.contains("done"))

            let up = DaemonHarness.run("/bin/bash", [DaemonHarness.repoRoot + "/scripts/test-engines.sh", "up", first])
            #expect(up.status == 0, "\(up.stderr)")
            try waitUntil("the host is up again", timeout: 30) { try hosts(daemon)[first]?.state == .up }
            let health = daemon.ctl(["events", "--json", "--type", "host.down", "--type", "host.up"]).stdout
            let order = health.split(separator: "\n").map { $0.contains("\"event\":\"host.down\"") ? "down" : "up" }
            #expect(order == ["down", "up"] && health.contains("\"host\":\"\(first)\""), "\(health)")
            let again = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "true"])
            #expect(try daemon.waitFinished([again], timeout: 60)[0].state == .succeeded)
        }
    }

    @Test("a graceful engine stop under a running job: interrupted, not failed; it succeeds on the other host")
    func engineStoppedGracefully() throws {
        try withHosts { daemon in
            let id = try daemon.submit([
                "--image", "cosmos-test/busybox:latest", "--", "sh", "-c",
                "echo started; if [ \"$COSMOS_ATTEMPT\" = 1 ]; then sleep 60; fi; echo done",
            ])
            try waitUntil("the job runs", timeout: 60) { try daemon.show(id).state == .running }
            let first = try #require(try daemon.show(id).host)
            let other = Self.engines.first { $0 != first }!
            // SIGTERM to dockerd without live-restore: the engine stops its containers (the shell ignores SIGTERM,
            // so SIGKILL after 10 s: exit 137), then exits.
            let stop = DaemonHarness.run(
                "/bin/bash",
                [DaemonHarness.repoRoot + "/scripts/test-engines.sh", "stop", first]
            )
            #expect(stop.status == 0, "\(stop.stderr)")
            defer {
                _ = DaemonHarness.run("/bin/bash", [DaemonHarness.repoRoot + "/scripts/test-engines.sh", "up", first])
            }
            let job = try daemon.waitFinished([id], timeout: 120)[0]
            #expect(
                job.state == .succeeded && job.host == other && job.attempts == 2,
                "\(job.state) on \(job.host ?? "-")"
            )
            #expect(job.reason == Reason.engineStopped)
            #expect(daemon.ctl(["logs", id]).stdout.contains("done"))
        }
    }

    @Test("drain: no new starts on that host while its running job finishes; the drain survives a restart")
    func drain() throws {
        try withHosts { daemon in
            let long = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", "sleep 4"])
            try waitUntil("the long job runs", timeout: 60) { try daemon.show(long).state == .running }
            let drained = try #require(try daemon.show(long).host)
            let result = daemon.ctl(["hosts", "drain", drained])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try hosts(daemon)[drained]?.state == .draining)
            let table = daemon.ctl(["hosts"]).stdout
            #expect(table.contains("draining") && table.contains("1/2"), "\(table)")
            let others = try (0..<4).map { _ in
                try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", "sleep 1"])
            }
            let done = try daemon.waitFinished([long] + others, timeout: 120)
            #expect(done.allSatisfy { $0.state == .succeeded })
            #expect(done[0].host == drained)
            #expect(done[1...].allSatisfy { $0.host != drained }, "\(done.map { $0.host ?? "-" })")
            try waitUntil("the host shows drained", timeout: 10) { try hosts(daemon)[drained]?.state == .drained }

            try daemon.stop()
            try daemon.start()
            #expect(try hosts(daemon)[drained]?.state == .drained)
            #expect(daemon.ctl(["hosts", "resume", drained]).status == 0)
            #expect(try hosts(daemon)[drained]?.state == .up)
            #expect(daemon.ctl(["hosts", "drain", "nowhere"]).status != 0)
        }
    }

    @Test("a 50 MB input arrives intact bound (gpu-a) and through the archive (gpu-b): the checksums inside match")
    func stagedInput() throws {
        try withHosts { daemon in
            let path = inputs + "/clip.bin"
            var generator = SystemRandomNumberGenerator()
            var bytes = [UInt8](repeating: 0, count: 50 << 20)
            for index in stride(from: 0, to: bytes.count, by: 8) {
                withUnsafeBytes(of: generator.next() as UInt64) { raw in
                    for offset in 0..<8 { bytes[index + offset] = raw[offset] }
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let expected = DaemonHarness.run("/usr/bin/sha256sum", [path]).stdout.split(separator: " ").first
            for engine in Self.engines {
                let spec = """
                    {"image": "cosmos-test/busybox:latest", "inputs": ["\(path)"], "selector": {"engine": "\(engine)"},
                     "command": ["sh", "-c", "sha256sum /cosmos/in/clip.bin; grep -o '/cosmos/in/clip.bin' /cosmos/job.json; sha256sum /cosmos/in/clip.bin > /cosmos/out/sum"]}
                    """
                let submitted = daemon.ctl(["submit", "--json", "--file", "-"], stdin: spec)
                #expect(submitted.status == 0, "\(submitted.stderr)")
                let id = try #require(
                    try JSONDecoder().decode([JobView].self, from: Data(submitted.stdout.utf8)).first?.id
                )
                let job = try daemon.waitFinished([id], timeout: 120)[0]
                #expect(job.state == .succeeded && job.host == engine, "\(job.reason ?? "") \(job.error ?? "")")
                let logs = daemon.ctl(["logs", id]).stdout
                #expect(expected.map { logs.contains("\($0)  /cosmos/in/clip.bin") } == true, "\(logs)")
                #expect(logs.contains("/cosmos/in/clip.bin\n"))
                let sum = try String(contentsOfFile: daemon.stateDirectory + "/outputs/\(id)/sum", encoding: .utf8)
                #expect(expected.map { sum.hasPrefix(String($0)) } == true, "\(engine): \(sum)")
            }
        }
    }

    @Test(
        "bad inputs and impossible GPU counts are refused at submit, naming the field; nothing is queued",
        arguments: [
            ("missing", "inputs[0]", "does not exist"),
            ("directory", "inputs[0]", "is a directory"),
            ("oversize", "inputs[0]", "over the limit"),
            ("outside", "inputs[0]", "outside the allowed roots"),
            ("unreadable", "inputs[0]", "not readable by uid 65534"),
            ("gpus", "gpus", "the largest host has 2"),
        ]
    )
    func refusals(kind: String, field: String, message: String) throws {
        try withHosts { daemon in
            try FileManager.default.createDirectory(atPath: inputs + "/folder", withIntermediateDirectories: true)
            try Data(count: 200 << 20).write(to: URL(fileURLWithPath: inputs + "/big.bin"))
            try Data("secret".utf8).write(to: URL(fileURLWithPath: inputs + "/secret.bin"))
            chmod(inputs + "/secret.bin", 0o600)
            let input: String? =
                switch kind {
                case "missing": inputs + "/nope.mp4"
                case "directory": inputs + "/folder"
                case "oversize": inputs + "/big.bin"
                case "outside": daemon.configPath
                case "unreadable": inputs + "/secret.bin"
                default: nil
                }
            var spec = "{\"image\": \"cosmos-test/busybox:latest\""
            if let input { spec += ", \"inputs\": [\"\(input)\"]" }
            if kind == "gpus" { spec += ", \"gpus\": 3" }
            spec += "}"
            // The unreadable case runs cosmosctl as nobody. The socket, its folder and a copy of cosmosctl are
            // opened up for it: the checkout (and so .build) may sit where nobody cannot enter, say under /root.
            chmod(daemon.directory.path, 0o755)
            chmod(daemon.socket, 0o666)
            let result: DaemonHarness.Result
            if kind == "unreadable" {
                let ctl = daemon.directory.path + "/cosmosctl"
                try FileManager.default.copyItem(atPath: DaemonHarness.binDirectory + "/cosmosctl", toPath: ctl)
                chmod(ctl, 0o755)
                result = DaemonHarness.run(
                    "/usr/bin/setpriv",
                    [
                        "--reuid=65534", "--regid=65534", "--clear-groups", ctl,
                        "--socket", daemon.socket, "submit", "--file", "-",
                    ],
                    stdin: spec
                )
            } else {
                result = daemon.ctl(["submit", "--file", "-"], stdin: spec)
            }
            #expect(result.status != 0)
            #expect(result.stderr.contains(field) && result.stderr.contains(message), "\(result.stderr)")
            #expect(try daemon.ctlJSON([JobView].self, ["list"]).isEmpty)
        }
    }

    @Test("a plain tcp:// engine that is not loopback is refused at startup, naming the key")
    func plainRemoteTCPRefused() throws {
        let harness = try DaemonHarness(hosts: "[[hosts]]\nname = \"far\"\ndocker = \"tcp://192.0.2.10:2375\"\n")
        defer { harness.tearDown() }
        let result = DaemonHarness.run(DaemonHarness.binDirectory + "/cosmos-worker", ["--config", harness.configPath])
        #expect(result.status == 78)
        #expect(result.stderr.contains("hosts[0].docker") && result.stderr.contains("loopback"), "\(result.stderr)")
    }
}
