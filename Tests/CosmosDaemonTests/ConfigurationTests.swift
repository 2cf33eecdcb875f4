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
}
