import Foundation
import Testing

@testable import CosmosDaemon

@Suite("Configuration")
struct ConfigurationTests {
    @Test("the embedded default needs no set-up, and follows systemd's directories")
    func embeddedDefault() {
        let plain = DaemonConfiguration.embeddedDefault(environment: [:])
        #expect(plain.stateDirectory == "./cosmos-state" && plain.socketPath == "./cosmos-state/cosmos.sock")
        #expect(plain.hosts.map(\.docker) == ["unix:///var/run/docker.sock"] && plain.hosts[0].devices == ["0"])
        let systemd = DaemonConfiguration.embeddedDefault(
            environment: ["STATE_DIRECTORY": "/var/lib/cosmos-worker", "RUNTIME_DIRECTORY": "/run/cosmos-worker"])
        #expect(
            systemd.stateDirectory == "/var/lib/cosmos-worker" && systemd.socketPath == "/run/cosmos-worker/cosmos.sock"
        )
    }

    @Test("a full file parses")
    func fullFile() throws {
        let config = try DaemonConfiguration.parse(
            toml: """
                [daemon]
                socket = "/run/x.sock"
                state_dir = "/var/lib/x"
                policy = "strict"
                on_stop = "stop"
                orphan_grace_seconds = 5
                [images]
                allow = ["a/*"]
                [[hosts]]
                name = "gpu1"
                docker = "unix:///var/run/docker.sock"
                gpus = ["GPU-aaa", "GPU-bbb"]
                gpu_mode = "nvidia"
                network = "bridge"
                """
        )
        #expect(config.socketPath == "/run/x.sock" && config.stateDirectory == "/var/lib/x")
        #expect(config.policy == .strict && config.onStop == .stop && config.orphanGraceSeconds == 5)
        #expect(config.images.patterns == ["a/*"])
        #expect(
            config.hosts == [
                HostConfiguration(
                    name: "gpu1",
                    docker: "unix:///var/run/docker.sock",
                    devices: ["GPU-aaa", "GPU-bbb"],
                    gpuMode: .nvidia,
                    network: "bridge"
                )
            ]
        )
    }

    @Test(
        "invalid files are refused, naming the key",
        arguments: [
            ("[daemon]\nsockett = \"/x\"", "daemon.sockett"),
            ("[daemon]\npolicy = \"fast\"", "daemon.policy"),
            ("[daemon]\nstop_timeout_seconds = -1", "daemon.stop_timeout_seconds"),
            ("[images]\nallow = \"x\"", "images.allow"),
            ("[[hosts]]\nname = \"a\"\ngpus = -2", "hosts[0].gpus"),
            ("[[hosts]]\nname = \"a\"\ngpu_mode = \"cuda\"", "hosts[0].gpu_mode"),
            ("[[hosts]]\nname = \"a\"\ndocker = \"http://x\"", "hosts[0].docker"),
            ("[[hosts]]\nname = \"a\"\n[[hosts]]\nname = \"a\"", "hosts[1].name"),
            ("[[hosts]]\ngpus = 1", "hosts[0].name"),
            ("[[hosts]]\nname = \"a\"\nnetwork = \"container:db\"", "hosts[0].network"),
            ("[[hosts]]\nname = \"a\"\nprivileged = true", "hosts[0].privileged"),
            ("[[hosts]]\nname = \"a\"\ndocker = \"tcp://10.0.0.5:2375\"", "hosts[0].docker"),
            ("[[hosts]]\nname = \"a\"\ndocker = \"tcp://gpu7.example:2375\"", "hosts[0].docker"),
            ("[[hosts]]\nname = \"a\"\ntls_ca = \"/nonexistent/ca.pem\"", "hosts[0].tls_ca"),
            ("[[hosts]]\nname = \"a\"\nmounts = [{source = \"rel\", target = \"/m\"}]", "hosts[0].mounts[0].source"),
            (
                "[[hosts]]\nname = \"a\"\nmounts = [{source = \"/m\", target = \"/cosmos/in\"}]",
                "hosts[0].mounts[0].target"
            ),
            (
                "[[hosts]]\nname = \"a\"\nmounts = [{source = \"/m\", target = \"/m\", propagation = \"shared\"}]",
                "hosts[0].mounts[0].propagation"
            ),
            ("[[hosts]]\nname = \"a\"\nlabels = {gpu = 100}", "hosts[0].labels.gpu"),
            ("[[hosts]]\nname = \"a\"\ngpu_memory_gib = \"80\"", "hosts[0].gpu_memory_gib"),
            ("[inputs]\nallow_roots = [\"data\"]", "inputs.allow_roots[0]"),
            ("[inputs]\nmax_size_gib = 0", "inputs.max_size_gib"),
            ("[daemon]\ndown_after_failures = 0", "daemon.down_after_failures"),
            ("not toml [", ""),
        ]
    )
    func refusals(toml: String, key: String) {
        #expect {
            try DaemonConfiguration.parse(toml: toml)
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }

    @Test("hosts: loopback tcp without TLS, labels, GPU memory, mounts; inputs and health settings")
    func hostsAndInputs() throws {
        let config = try DaemonConfiguration.parse(
            toml: """
                [daemon]
                probe_interval_seconds = 2
                down_after_failures = 4
                host_down_grace_seconds = 30
                [inputs]
                allow_roots = ["/data", "/home"]
                max_size_gib = 0.5
                [[hosts]]
                name = "local-tcp"
                docker = "tcp://127.0.0.1:2375"
                gpus = 4
                gpu_memory_gib = 80
                labels = {gpu = "a100", zone = "eu"}
                mounts = [{source = "/models", target = "/models"}, {source = "/scratch", target = "/scratch", read_only = false}]
                """
        )
        #expect(config.health.probeIntervalSeconds == 2 && config.health.downAfterFailures == 4)
        #expect(config.health.downGraceSeconds == 30)
        #expect(config.inputs.allowRoots == ["/data", "/home"] && config.inputs.maxBytes == 1 << 29)
        let host = try #require(config.hosts.first)
        #expect(host.tls == nil && host.devices == ["0", "1", "2", "3"] && host.gpuMemoryGiB == 80)
        #expect(host.labels == ["gpu": "a100", "zone": "eu"])
        #expect(
            host.mounts == [
                HostMount(source: "/models", target: "/models"),
                HostMount(source: "/scratch", target: "/scratch", readOnly: false),
            ]
        )
    }

    @Test("defaults: probes every 5 s, down after 3 failures, 60 s grace, no inputs, 10 GiB limit")
    func healthDefaults() throws {
        let config = try DaemonConfiguration.parse(toml: "")
        #expect(config.health == HostHealthSettings())
        #expect(config.health.probeIntervalSeconds == 5 && config.health.downAfterFailures == 3)
        #expect(config.health.downGraceSeconds == 60)
        #expect(config.inputs.allowRoots.isEmpty && config.inputs.maxBytes == 10 << 30)
    }

    @Test("a remote tcp engine needs all three TLS files; the error says why")
    func remoteTCPNeedsTLS() throws {
        #expect {
            try DaemonConfiguration.parse(toml: "[[hosts]]\nname = \"r\"\ndocker = \"tcp://192.0.2.7:2376\"")
        } throws: { error in
            "\(error)".contains("only allowed to a loopback address") && "\(error)".contains("tls_ca, tls_cert")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cosmos-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["ca.pem", "cert.pem", "key.pem"] {
            try "x".write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let path = directory.path
        let config = try DaemonConfiguration.parse(
            toml: """
                [[hosts]]
                name = "r"
                docker = "tcp://192.0.2.7:2376"
                tls_ca = "\(path)/ca.pem"
                tls_cert = "\(path)/cert.pem"
                tls_key = "\(path)/key.pem"
                """
        )
        #expect(config.hosts[0].tls?.certificatePath == path + "/cert.pem")
        #expect {
            try DaemonConfiguration.parse(
                toml: "[[hosts]]\nname = \"r\"\ndocker = \"tcp://192.0.2.7:2376\"\ntls_ca = \"\(path)/ca.pem\""
            )
        } throws: { error in
            (error as? ConfigurationError)?.key == "hosts[0].tls_cert"
        }
    }
}
