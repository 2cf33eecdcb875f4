import Foundation
import Testing

@testable import CosmosDaemon

/// The schema is the one list of keys: the parser, the reload, the README and the example file follow it.
@Suite("Configuration schema")
struct ConfigurationSchemaTests {
    /// The repository's root, found from this file's path.
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("the schema's tables allow exactly the keys the parser allowed before the schema")
    func allowedNames() {
        #expect(
            ConfigurationSchema.allowedNames(in: "") == [
                "daemon", "images", "hosts", "inputs", "batch_runs", "events", "smart_batch", "access",
                "maintenance", "upscale", "enhance", "web", "runners",
            ]
        )
        #expect(
            ConfigurationSchema.allowedNames(in: "web") == [
                "listen", "url", "tls_cert", "tls_key", "metrics", "session_hours", "login_seconds",
            ]
        )
        #expect(
            ConfigurationSchema.allowedNames(in: "runners") == [
                "match", "adapter", "repo_dir", "checkpoint_dir", "shm_size", "ipc", "offload",
            ]
        )
        #expect(ConfigurationSchema.allowedNames(in: "upscale") == ["image", "command", "weight"])
        #expect(ConfigurationSchema.allowedNames(in: "enhance") == ["image", "command", "model"])
        #expect(
            ConfigurationSchema.allowedNames(in: "maintenance") == [
                "prune_days", "prune_outputs", "event_retention_days", "vacuum", "backup_path", "check", "sweep",
            ]
        )
        #expect(ConfigurationSchema.allowedNames(in: "access") == ["admin_group", "private"])
        #expect(ConfigurationSchema.allowedNames(in: "events") == ["window_ms", "window_events"])
        #expect(
            ConfigurationSchema.allowedNames(in: "smart_batch") == ["default_setup_seconds", "default_item_seconds"]
        )
        #expect(
            ConfigurationSchema.allowedNames(in: "daemon") == [
                "socket", "socket_group", "state_dir", "policy", "stop_timeout_seconds", "max_attempts",
                "durable_commits",
                "log_level", "on_stop", "shutdown_timeout_seconds", "reconcile_interval_seconds",
                "orphan_grace_seconds", "probe_interval_seconds", "down_after_failures", "host_down_grace_seconds",
            ]
        )
        #expect(ConfigurationSchema.allowedNames(in: "images") == ["allow"])
        #expect(ConfigurationSchema.allowedNames(in: "inputs") == ["allow_roots", "max_size_gib"])
        #expect(
            ConfigurationSchema.allowedNames(in: "batch_runs") == [
                "max_items_one_control", "max_items_two_controls", "max_items_more_controls",
            ]
        )
        #expect(
            ConfigurationSchema.allowedNames(in: "hosts") == [
                "name", "docker", "tls_ca", "tls_cert", "tls_key", "gpus", "gpu_memory_gib", "labels", "gpu_mode",
                "network", "staging", "mounts",
            ]
        )
        #expect(ConfigurationSchema.allowedNames(in: "hosts.mounts") == ["source", "target", "read_only"])
        let paths = ConfigurationSchema.keys.map(\.path)
        #expect(Set(paths).count == paths.count, "a key is listed twice")
    }

    @Test("every key in the schema is accepted, and a value for it lands in the configuration")
    func everyKeyAccepted() throws {
        let files = try TLSFiles()
        defer { files.remove() }
        let baseline = try DaemonConfiguration.parse(toml: "")
        for key in ConfigurationSchema.keys {
            let toml = try #require(try Self.changed(key, files: files), "no accepted, changing value for \(key.path)")
            let config = try DaemonConfiguration.parse(toml: toml)
            #expect(key.field.differs(config, baseline), "\(key.path)")
        }
    }

    @Test("an unknown key in each table is refused, naming the key and the keys allowed there")
    func unknownKeys() throws {
        let cases: [String: (toml: String, key: String)] = [
            "": ("bogus = 1", "bogus"),
            "daemon": ("[daemon]\nbogus = 1", "daemon.bogus"),
            "images": ("[images]\nallow = []\nbogus = 1", "images.bogus"),
            "inputs": ("[inputs]\nbogus = 1", "inputs.bogus"),
            "batch_runs": ("[batch_runs]\nbogus = 1", "batch_runs.bogus"),
            "events": ("[events]\nbogus = 1", "events.bogus"),
            "smart_batch": ("[smart_batch]\nbogus = 1", "smart_batch.bogus"),
            "access": ("[access]\nbogus = 1", "access.bogus"),
            "maintenance": ("[maintenance]\nbogus = 1", "maintenance.bogus"),
            "upscale": ("[upscale]\nbogus = 1", "upscale.bogus"),
            "enhance": ("[enhance]\nbogus = 1", "enhance.bogus"),
            "web": ("[web]\nbogus = 1", "web.bogus"),
            "hosts": ("[[hosts]]\nname = \"a\"\nbogus = 1", "hosts[0].bogus"),
            "runners": ("[[runners]]\nmatch = \"a\"\nadapter = \"cosmos-transfer1\"\nbogus = 1", "runners[0].bogus"),
            "hosts.mounts": (
                "[[hosts]]\nname = \"a\"\nmounts = [{source = \"/m\", target = \"/m\", bogus = 1}]",
                "hosts[0].mounts[0].bogus"
            ),
        ]
        #expect(Set(cases.keys) == Set([""] + ConfigurationSchema.tables))
        for (table, test) in cases {
            let allowed = ConfigurationSchema.allowedNames(in: table)
            #expect(ConfigurationSchema.keys(in: table).allSatisfy { allowed.contains($0.name) })
            let error = try #require(throws: ConfigurationError.self) { try DaemonConfiguration.parse(toml: test.toml) }
            #expect(error.key == test.key)
            #expect(error.reason == "unknown key; allowed here: " + allowed.sorted().joined(separator: ", "))
        }
    }

    @Test("a reload applies each live key and keeps the old value of each restart-only key, as the schema says")
    func reloadFollowsSchema() throws {
        let files = try TLSFiles()
        defer { files.remove() }
        let path = files.directory + "/config.toml"
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        let baseline = try DaemonConfiguration.load(path: path, environment: [:])
        for key in ConfigurationSchema.keys {
            let live = LiveConfiguration(baseline, path: path)
            let toml = try #require(try Self.changed(key, files: files), "no accepted, changing value for \(key.path)")
            try toml.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try live.reload(environment: [:])
            switch key.reload {
            case .live:
                #expect(result.applied.contains(key.reportedAs), "\(key.path): \(result)")
                #expect(!result.needsRestart.contains(key.reportedAs), "\(key.path): \(result)")
                #expect(key.field.differs(live.current, baseline), "\(key.path) not applied")
            case .restart:
                #expect(result.needsRestart.contains(key.reportedAs), "\(key.path): \(result)")
                #expect(!result.applied.contains(key.reportedAs), "\(key.path): \(result)")
                #expect(!key.field.differs(live.current, baseline), "\(key.path) lost its old value")
            }
        }
    }

    @Test("a [[runners]] entry with an unknown adapter or a bad value refuses the configuration, naming the key")
    func runnerRefusals() {
        let runner = "[[runners]]\nmatch = \"r/cosmos:*\"\n"
        let cases: [(String, String, String)] = [
            (runner + "adapter = \"cosmos-transfer9\"", "runners[0].adapter", "unknown adapter \"cosmos-transfer9\""),
            ("[[runners]]\nadapter = \"cosmos-transfer1\"", "runners[0].match", "missing"),
            (runner, "runners[0].adapter", "missing"),
            (
                runner + "adapter = \"cosmos-transfer1\"\nshm_size = \"lots\"", "runners[0].shm_size",
                "a size of at least 1m"
            ),
            (runner + "adapter = \"cosmos-transfer1\"\nipc = \"container:x\"", "runners[0].ipc", "must be"),
            (
                runner + "adapter = \"cosmos-transfer2.5\"\noffload = [\"text_encoder\"]",
                "runners[0].offload[0]", "the cosmos-transfer2.5 adapter offloads only: guardrail"
            ),
            (runner + "adapter = \"cosmos-transfer1\"\nrepo_dir = \"workspace\"", "runners[0].repo_dir", "absolute"),
            (
                runner + "adapter = \"cosmos-transfer1\"\n[upscale]\nimage = \"r/cosmos:1\"\ncommand = [\"x\"]",
                "upscale.command", "runs through the cosmos-transfer1 adapter"
            ),
        ]
        for (toml, key, reason) in cases {
            let error = #expect(throws: ConfigurationError.self, "\(toml)") {
                try DaemonConfiguration.parse(toml: toml)
            }
            #expect(error?.key == key, "\(toml)")
            #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
        }
    }

    @Test("a reload reports the same names as before the schema")
    func reloadNames() {
        let names = Dictionary(grouping: ConfigurationSchema.keys, by: \.reportedAs).mapValues { $0[0].reload }
        #expect(
            names == [
                "daemon.socket": .restart, "daemon.state_dir": .restart, "hosts": .restart,
                "daemon.durable_commits": .restart, "daemon.shutdown_timeout_seconds": .restart,
                "daemon.policy": .live, "daemon.stop_timeout_seconds": .live, "daemon.max_attempts": .live,
                "images.allow": .live, "daemon.log_level": .restart, "daemon.on_stop": .live,
                "daemon.reconcile_interval_seconds": .live, "daemon.orphan_grace_seconds": .live,
                "daemon.probe_interval_seconds, down_after_failures, host_down_grace_seconds": .live,
                "batch_runs": .live, "inputs": .restart, "events": .live, "smart_batch": .live,
                "daemon.socket_group": .restart, "access": .live, "maintenance": .live, "upscale": .live,
                "enhance": .live, "runners": .restart, "web": .live, "web.listen, tls_cert, tls_key": .restart,
            ]
        )
        for group in Dictionary(grouping: ConfigurationSchema.keys, by: \.reportedAs).values {
            #expect(Set(group.map(\.reload)).count == 1, "\(group.map(\.path)) mix live and restart")
        }
    }

    @Test("the README's key table lists exactly the schema's keys, defaults and reload behaviour")
    func readmeMatchesSchema() throws {
        let text = try String(contentsOf: Self.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        // The rows of the table under the header, up to the first line that is not a table row.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex(of: Self.readmeHeader.components(separatedBy: "\n")[0]))
        let rows = Array(lines[(header + 2)...].prefix { $0.hasPrefix("| `") })
        let keys = rows.compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) }
        #expect(Set(keys) == Set(ConfigurationSchema.keys.map(\.path)))
        let expected = ConfigurationSchema.keys.map(Self.readmeRow)
        #expect(
            rows == expected,
            "README.md's configuration table should read:\n\(Self.readmeHeader)\n\(expected.joined(separator: "\n"))"
        )
    }

    @Test("the example in etc/ parses, its commented-out settings included (so it names only known keys)")
    func exampleNamesKnownKeys() throws {
        let url = Self.repoRoot.appendingPathComponent("etc/cosmos-worker/config.toml")
        let text = try String(contentsOf: url, encoding: .utf8)
        _ = try DaemonConfiguration.parse(toml: text)
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let body = line.dropFirst(2)
            let isSetting =
                line.hasPrefix("# ")
                && (body.hasPrefix("[") || body.range(of: #"^[a-z_]+ = "#, options: .regularExpression) != nil)
            return isSetting ? String(body) : String(line)
        }
        let files = try TLSFiles()
        defer { files.remove() }
        let full = uncommented.joined(separator: "\n").replacingOccurrences(
            of: "/etc/cosmos-worker/tls/",
            with: files.directory + "/"
        )
        let config = try DaemonConfiguration.parse(toml: full)
        #expect(config.hosts.count == 2 && config.hosts[1].tls != nil && config.hosts[0].mounts.count == 1)
        #expect(config.runners.count == 1 && config.runners[0].shmBytes == 8 << 30)
    }

    // MARK: Helpers

    /// The README table's header lines.
    static let readmeHeader = "| Key | Accepts | Default | On SIGHUP | Meaning |\n|---|---|---|---|---|"

    /// The README row for `key`.
    static func readmeRow(_ key: ConfigKey) -> String {
        let reload = key.reload == .live ? "applies" : "restart"
        return "| `\(key.path)` | \(key.acceptsText) | \(key.defaultText) | \(reload) | \(key.doc) |"
    }

    /// TOML that sets `key` to a value other than its default, if one of the candidates is accepted and differs.
    static func changed(_ key: ConfigKey, files: TLSFiles) throws -> String? {
        let baseline = try DaemonConfiguration.parse(toml: "")
        for toml in variants(key, files: files) {
            guard let config = try? DaemonConfiguration.parse(toml: toml) else { continue }
            if key.field.differs(config, baseline) { return toml }
        }
        return nil
    }

    /// Candidate TOML texts that set `key`: derived from the schema for scalars, written out for the rest.
    static func variants(_ key: ConfigKey, files: TLSFiles) -> [String] {
        if key.table == "runners" {
            let runner =
                "[[runners]]\nmatch = \"registry.example/cosmos-transfer1:*\"\nadapter = \"cosmos-transfer1\"\n"
            let lines: [String: String] = [
                "match": "", "adapter": "", "repo_dir": "repo_dir = \"/opt/cosmos\"",
                "checkpoint_dir": "checkpoint_dir = \"/checkpoints\"", "shm_size": "shm_size = \"8g\"",
                "ipc": "ipc = \"host\"", "offload": "offload = [\"text_encoder\"]",
            ]
            guard let line = lines[key.name] else { return [] }
            return [runner + line]
        }
        if key.table == "web" {
            let tls = "tls_cert = \"\(files.directory)/cert.pem\"\ntls_key = \"\(files.directory)/key.pem\""
            let lines: [String: String] = [
                "listen": "listen = \"127.0.0.1:8781\"", "url": "url = \"http://cosmos.example:8780\"",
                "tls_cert": tls, "tls_key": tls,
            ]
            if let line = lines[key.name] { return ["[web]\n" + line] }
        }
        if key.table == "hosts" || key.table == "hosts.mounts" {
            let host = "[[hosts]]\nname = \"local\"\n"
            let tls =
                "docker = \"tcp://192.0.2.7:2376\"\ntls_ca = \"\(files.directory)/ca.pem\"\n"
                + "tls_cert = \"\(files.directory)/cert.pem\"\ntls_key = \"\(files.directory)/key.pem\""
            let mount = "mounts = [{source = \"/m\", target = \"/m\", read_only = false}]"
            let lines: [String: String] = [
                "name": "", "docker": "docker = \"unix:///run/other.sock\"", "tls_ca": tls, "tls_cert": tls,
                "tls_key": tls, "gpus": "gpus = 2", "gpu_memory_gib": "gpu_memory_gib = 80",
                "labels": "labels = {gpu = \"a100\"}", "gpu_mode": "gpu_mode = \"env\"",
                "network": "network = \"bridge\"", "staging": "staging = \"archive\"",
                "source": mount, "target": mount, "read_only": mount,
            ]
            guard let line = lines[key.name] else { return [] }
            return key.name == "name" ? ["[[hosts]]\nname = \"other\""] : [host + line]
        }
        let literals: [String]
        switch key.value {
        case .integer(let range, _): literals = ["\(range.upperBound)", "\(range.lowerBound)"]
        case .number(let range, _): literals = ["\(range.upperBound)", "\(range.lowerBound)"]
        case .boolean: literals = ["false", "true"]
        case .choice(let values, _): literals = values.map { "\"\($0)\"" }
        case .other:
            let others: [String: String] = [
                "daemon.socket": "\"/tmp/other.sock\"", "daemon.state_dir": "\"/tmp/other-state\"",
                "images.allow": "[\"a/*\"]", "inputs.allow_roots": "[\"/data\"]",
                "daemon.socket_group": "\"users\"", "access.admin_group": "\"gpu-admins\"",
                "maintenance.backup_path": "\"/var/backups/cosmos.db\"",
                "upscale.image": "\"registry.example/cosmos-transfer1:latest\"",
                "upscale.command": "[\"python3\", \"/workspace/upscale.py\"]",
                "enhance.image": "\"registry.example/cosmos-prompt-upsampler:1\"",
                "enhance.command": "[\"python3\", \"/workspace/upsample.py\"]",
                "enhance.model": "\"Cosmos-UpsamplePrompt1-12B-Transfer\"",
            ]
            literals = others[key.path].map { [$0] } ?? []
        }
        return literals.map { "[\(key.table)]\n\(key.name) = \($0)" }
    }

    /// Three readable files for the TLS keys, in a temporary folder.
    struct TLSFiles {
        /// The folder holding `ca.pem`, `cert.pem` and `key.pem`.
        let directory: String

        /// Creates the folder and the files.
        init() throws {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("cosmos-schema-\(UUID())")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for name in ["ca.pem", "cert.pem", "key.pem"] {
                try "x".write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            directory = url.path
        }

        /// Removes the folder.
        func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
