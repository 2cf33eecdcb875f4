import CosmosDomain
import DockerEngine
import Foundation
import TOMLKit

extension DaemonConfiguration {
    /// Reads and validates the TOML file at `path`; every error names the key.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> DaemonConfiguration
    {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(key: "", reason: "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(toml: text, environment: environment)
    }

    /// Parses and validates TOML text; unknown keys are refused by name.
    public static func parse(toml text: String, environment: [String: String] = [:]) throws -> DaemonConfiguration {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(key: "", reason: "not valid TOML: \(error.description) at \(error.source.begin)")
        }
        var config = embeddedDefault(environment: environment)
        try checkKeys(root, allowed: ["daemon", "images", "hosts", "inputs", "batch_runs"], prefix: "")

        if let daemon = try table(root, "daemon", prefix: "") {
            try checkKeys(
                daemon,
                allowed: [
                    "socket", "state_dir", "policy", "stop_timeout_seconds", "max_attempts", "durable_commits",
                    "log_level", "on_stop", "shutdown_timeout_seconds", "reconcile_interval_seconds",
                    "orphan_grace_seconds", "probe_interval_seconds", "down_after_failures",
                    "host_down_grace_seconds",
                ],
                prefix: "daemon."
            )
            if let state = try string(daemon, "state_dir", prefix: "daemon.") {
                guard !state.isEmpty else { throw ConfigurationError(key: "daemon.state_dir", reason: "is empty") }
                let socketFollowsState = config.socketPath == config.stateDirectory + "/cosmos.sock"
                config.stateDirectory = state
                if socketFollowsState { config.socketPath = state + "/cosmos.sock" }
            }
            if let socket = try string(daemon, "socket", prefix: "daemon.") {
                guard socket.hasPrefix("/") || socket.hasPrefix("."), socket.utf8.count < 108 else {
                    throw ConfigurationError(key: "daemon.socket", reason: "must be a path shorter than 108 bytes")
                }
                config.socketPath = socket
            }
            if let policy = try string(daemon, "policy", prefix: "daemon.") {
                guard let value = SchedulingPolicy(rawValue: policy) else {
                    throw ConfigurationError(key: "daemon.policy", reason: "must be \"strict\" or \"backfill\"")
                }
                config.policy = value
            }
            if let seconds = try integer(daemon, "stop_timeout_seconds", prefix: "daemon.", range: 0...3600) {
                config.stopTimeoutSeconds = seconds
            }
            if let attempts = try integer(daemon, "max_attempts", prefix: "daemon.", range: 1...100) {
                config.retry.maxAttempts = attempts
            }
            if let durable = try bool(daemon, "durable_commits", prefix: "daemon.") { config.durableCommits = durable }
            if let onStop = try string(daemon, "on_stop", prefix: "daemon.") {
                guard let value = OnStop(rawValue: onStop) else {
                    throw ConfigurationError(key: "daemon.on_stop", reason: "must be \"leave\" or \"stop\"")
                }
                config.onStop = value
            }
            if let seconds = try integer(daemon, "shutdown_timeout_seconds", prefix: "daemon.", range: 1...600) {
                config.shutdownTimeoutSeconds = seconds
            }
            if let seconds = try integer(daemon, "reconcile_interval_seconds", prefix: "daemon.", range: 1...86400) {
                config.reconcileIntervalSeconds = seconds
            }
            if let seconds = try integer(daemon, "orphan_grace_seconds", prefix: "daemon.", range: 0...86400) {
                config.orphanGraceSeconds = seconds
            }
            if let seconds = try integer(daemon, "probe_interval_seconds", prefix: "daemon.", range: 1...3600) {
                config.health.probeIntervalSeconds = seconds
            }
            if let failures = try integer(daemon, "down_after_failures", prefix: "daemon.", range: 1...100) {
                config.health.downAfterFailures = failures
            }
            if let seconds = try integer(daemon, "host_down_grace_seconds", prefix: "daemon.", range: 0...86400) {
                config.health.downGraceSeconds = seconds
            }
            if let level = try string(daemon, "log_level", prefix: "daemon.") {
                let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                guard levels.contains(level) else {
                    throw ConfigurationError(
                        key: "daemon.log_level",
                        reason: "must be one of \(levels.joined(separator: ", "))"
                    )
                }
                config.logLevel = level
            }
        }

        if let images = try table(root, "images", prefix: "") {
            try checkKeys(images, allowed: ["allow"], prefix: "images.")
            guard let allow = images["allow"] else {
                throw ConfigurationError(key: "images.allow", reason: "missing: list the allowed image patterns")
            }
            guard let array = allow.array else {
                throw ConfigurationError(key: "images.allow", reason: "must be an array of strings")
            }
            var patterns: [String] = []
            for (index, item) in array.enumerated() {
                guard let pattern = item.string, !pattern.isEmpty else {
                    throw ConfigurationError(key: "images.allow[\(index)]", reason: "must be a non-empty string")
                }
                patterns.append(pattern)
            }
            config.images = ImageAllowlist(patterns: patterns)
        }

        if let inputs = try table(root, "inputs", prefix: "") {
            try checkKeys(inputs, allowed: ["allow_roots", "max_size_gib"], prefix: "inputs.")
            if let roots = inputs["allow_roots"] {
                guard let array = roots.array else {
                    throw ConfigurationError(key: "inputs.allow_roots", reason: "must be an array of absolute paths")
                }
                config.inputs.allowRoots = try array.enumerated().map { index, item in
                    guard let path = item.string, path.hasPrefix("/") else {
                        throw ConfigurationError(
                            key: "inputs.allow_roots[\(index)]",
                            reason: "must be an absolute path"
                        )
                    }
                    return path
                }
            }
            if let size = try number(inputs, "max_size_gib", prefix: "inputs.", range: 0.001...100_000) {
                config.inputs.maxBytes = Int64(size * Double(1 << 30))
            }
        }

        if let runs = try table(root, "batch_runs", prefix: "") {
            try checkKeys(
                runs,
                allowed: ["max_items_one_control", "max_items_two_controls", "max_items_more_controls"],
                prefix: "batch_runs."
            )
            if let n = try integer(runs, "max_items_one_control", prefix: "batch_runs.", range: 1...256) {
                config.batchRunLimits.oneControl = n
            }
            if let n = try integer(runs, "max_items_two_controls", prefix: "batch_runs.", range: 1...256) {
                config.batchRunLimits.twoControls = n
            }
            if let n = try integer(runs, "max_items_more_controls", prefix: "batch_runs.", range: 1...256) {
                config.batchRunLimits.moreControls = n
            }
        }

        if let hosts = root["hosts"] {
            guard let array = hosts.array else {
                throw ConfigurationError(key: "hosts", reason: "must be an array of tables ([[hosts]])")
            }
            config.hosts = []
            for (index, item) in array.enumerated() {
                guard let host = item.table else {
                    throw ConfigurationError(key: "hosts[\(index)]", reason: "must be a table")
                }
                config.hosts.append(try parseHost(host, prefix: "hosts[\(index)]."))
            }
            guard !config.hosts.isEmpty else {
                throw ConfigurationError(key: "hosts", reason: "needs at least one host")
            }
            var seen = Set<String>()
            for (index, host) in config.hosts.enumerated() where !seen.insert(host.name).inserted {
                throw ConfigurationError(key: "hosts[\(index)].name", reason: "duplicate host name \"\(host.name)\"")
            }
        }
        return config
    }

    static func parseHost(_ table: TOMLTable, prefix: String) throws -> HostConfiguration {
        try checkKeys(
            table,
            allowed: [
                "name", "docker", "tls_ca", "tls_cert", "tls_key", "gpus", "gpu_memory_gib", "labels", "gpu_mode",
                "network", "mounts",
            ],
            prefix: prefix
        )
        guard let name = try string(table, "name", prefix: prefix), !name.isEmpty else {
            throw ConfigurationError(key: prefix + "name", reason: "missing: every host needs a name")
        }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ConfigurationError(key: prefix + "name", reason: "use letters, digits, '-', '_' and '.'")
        }
        let docker = try string(table, "docker", prefix: prefix) ?? "unix:///var/run/docker.sock"
        let tls = try parseTLS(table, prefix: prefix)
        try validateEndpoint(docker, tls: tls, key: prefix + "docker")
        var devices = ["0"]
        if let gpus = table["gpus"] {
            if let count = gpus.int {
                guard (0...SpecLimits.maxGPUs).contains(count) else {
                    throw ConfigurationError(key: prefix + "gpus", reason: "must be in 0...\(SpecLimits.maxGPUs)")
                }
                devices = (0..<count).map(String.init)
            } else if let list = gpus.array {
                devices = []
                for (index, item) in list.enumerated() {
                    let id = item.string ?? item.int.map(String.init)
                    guard let id, !id.isEmpty, !id.contains(",") else {
                        throw ConfigurationError(key: prefix + "gpus[\(index)]", reason: "must be a device id or UUID")
                    }
                    devices.append(id)
                }
                guard Set(devices).count == devices.count else {
                    throw ConfigurationError(key: prefix + "gpus", reason: "lists a device twice")
                }
            } else {
                throw ConfigurationError(key: prefix + "gpus", reason: "must be a count or a list of device ids")
            }
        }
        var mode = HostConfiguration.GPUMode.auto
        if let text = try string(table, "gpu_mode", prefix: prefix) {
            guard let value = HostConfiguration.GPUMode(rawValue: text) else {
                throw ConfigurationError(key: prefix + "gpu_mode", reason: "must be \"auto\", \"nvidia\" or \"env\"")
            }
            mode = value
        }
        let network = try string(table, "network", prefix: prefix) ?? "none"
        guard !network.isEmpty, network != "container", !network.hasPrefix("container:") else {
            throw ConfigurationError(
                key: prefix + "network",
                reason: "must name a network, such as \"none\" or \"bridge\""
            )
        }
        var labels: [String: String] = [:]
        if let labelTable = try self.table(table, "labels", prefix: prefix) {
            for key in labelTable.keys.sorted() {
                guard let value = labelTable[key]?.string else {
                    throw ConfigurationError(key: prefix + "labels." + key, reason: "must be a string")
                }
                labels[key] = value
            }
        }
        return HostConfiguration(
            name: name,
            docker: docker,
            devices: devices,
            gpuMode: mode,
            network: network,
            tls: tls,
            gpuMemoryGiB: try number(table, "gpu_memory_gib", prefix: prefix, range: 0.001...100_000),
            labels: labels,
            mounts: try parseMounts(table, prefix: prefix)
        )
    }

    /// `tls_ca`, `tls_cert` and `tls_key`: all three or none, each a readable file.
    static func parseTLS(_ table: TOMLTable, prefix: String) throws -> DockerTLS? {
        let keys = ["tls_ca", "tls_cert", "tls_key"]
        var paths: [String: String] = [:]
        for key in keys {
            guard let path = try string(table, key, prefix: prefix) else { continue }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigurationError(key: prefix + key, reason: "cannot read \(path)")
            }
            paths[key] = path
        }
        if paths.isEmpty { return nil }
        if let missing = keys.first(where: { paths[$0] == nil }) {
            throw ConfigurationError(
                key: prefix + missing,
                reason: "missing: TLS client authentication needs tls_ca, tls_cert and tls_key"
            )
        }
        return DockerTLS(
            caCertificatePath: paths["tls_ca"],
            certificatePath: paths["tls_cert"],
            keyPath: paths["tls_key"]
        )
    }

    /// `mounts = [{source, target, read_only}]`: absolute paths, read-only unless the operator says otherwise.
    static func parseMounts(_ table: TOMLTable, prefix: String) throws -> [HostMount] {
        guard let value = table["mounts"] else { return [] }
        guard let array = value.array else {
            throw ConfigurationError(key: prefix + "mounts", reason: "must be an array of {source, target, read_only}")
        }
        var mounts: [HostMount] = []
        for (index, item) in array.enumerated() {
            let key = prefix + "mounts[\(index)]."
            guard let mount = item.table else {
                throw ConfigurationError(key: prefix + "mounts[\(index)]", reason: "must be a table")
            }
            try checkKeys(mount, allowed: ["source", "target", "read_only"], prefix: key)
            guard let source = try string(mount, "source", prefix: key), source.hasPrefix("/") else {
                throw ConfigurationError(key: key + "source", reason: "must be an absolute path on the host")
            }
            guard let target = try string(mount, "target", prefix: key), target.hasPrefix("/"), target != "/" else {
                throw ConfigurationError(key: key + "target", reason: "must be an absolute path in the container")
            }
            guard target != "/cosmos", !target.hasPrefix("/cosmos/") else {
                throw ConfigurationError(key: key + "target", reason: "/cosmos belongs to the job's files")
            }
            mounts.append(
                HostMount(source: source, target: target, readOnly: try bool(mount, "read_only", prefix: key) ?? true)
            )
        }
        return mounts
    }

    /// Accepts `unix:///absolute/path`, `tcp://host:port` with TLS, and plain `tcp://` to a loopback address.
    static func validateEndpoint(_ text: String, tls: DockerTLS?, key: String) throws {
        let endpoint: DockerEndpoint
        do {
            endpoint = try DockerEndpoint(parsing: text)
        } catch {
            throw ConfigurationError(key: key, reason: "\(error)")
        }
        switch endpoint {
        case .unix:
            guard tls == nil else {
                throw ConfigurationError(key: key, reason: "tls_* keys apply to tcp:// engines, not unix sockets")
            }
        case .tcp:
            guard tls != nil || endpoint.isLoopback else {
                throw ConfigurationError(
                    key: key,
                    reason: "plain tcp:// is only allowed to a loopback address; for \(text) set tls_ca, tls_cert "
                        + "and tls_key (anyone who reaches an engine's port is root on that host)"
                )
            }
        }
    }

    // MARK: Typed readers

    static func checkKeys(_ table: TOMLTable, allowed: Set<String>, prefix: String) throws {
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw ConfigurationError(
                key: prefix + key,
                reason: "unknown key; allowed here: \(allowed.sorted().joined(separator: ", "))"
            )
        }
    }

    static func table(_ table: TOMLTable, _ key: String, prefix: String) throws -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let result = value.table else { throw ConfigurationError(key: prefix + key, reason: "must be a table") }
        return result
    }

    static func string(_ table: TOMLTable, _ key: String, prefix: String) throws -> String? {
        guard let value = table[key] else { return nil }
        guard let result = value.string else { throw ConfigurationError(key: prefix + key, reason: "must be a string") }
        return result
    }

    static func bool(_ table: TOMLTable, _ key: String, prefix: String) throws -> Bool? {
        guard let value = table[key] else { return nil }
        guard let result = value.bool else {
            throw ConfigurationError(key: prefix + key, reason: "must be true or false")
        }
        return result
    }

    static func number(_ table: TOMLTable, _ key: String, prefix: String, range: ClosedRange<Double>) throws -> Double?
    {
        guard let value = table[key] else { return nil }
        guard let result = value.double ?? value.int.map(Double.init), range.contains(result) else {
            throw ConfigurationError(
                key: prefix + key,
                reason: "must be a number in \(range.lowerBound)...\(range.upperBound)"
            )
        }
        return result
    }

    static func integer(_ table: TOMLTable, _ key: String, prefix: String, range: ClosedRange<Int>) throws -> Int? {
        guard let value = table[key] else { return nil }
        guard let result = value.int, range.contains(result) else {
            throw ConfigurationError(
                key: prefix + key,
                reason: "must be a whole number in \(range.lowerBound)...\(range.upperBound)"
            )
        }
        return result
    }
}
