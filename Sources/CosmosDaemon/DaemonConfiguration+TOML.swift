import CosmosDomain
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
        try checkKeys(root, allowed: ["daemon", "images", "hosts"], prefix: "")

        if let daemon = try table(root, "daemon", prefix: "") {
            try checkKeys(
                daemon,
                allowed: [
                    "socket", "state_dir", "policy", "stop_timeout_seconds", "max_attempts", "durable_commits",
                    "log_level", "on_stop", "shutdown_timeout_seconds", "reconcile_interval_seconds",
                    "orphan_grace_seconds",
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
        try checkKeys(table, allowed: ["name", "docker", "gpus", "gpu_mode", "network"], prefix: prefix)
        guard let name = try string(table, "name", prefix: prefix), !name.isEmpty else {
            throw ConfigurationError(key: prefix + "name", reason: "missing: every host needs a name")
        }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ConfigurationError(key: prefix + "name", reason: "use letters, digits, '-', '_' and '.'")
        }
        let docker = try string(table, "docker", prefix: prefix) ?? "unix:///var/run/docker.sock"
        try validateEndpoint(docker, key: prefix + "docker")
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
        return HostConfiguration(name: name, docker: docker, devices: devices, gpuMode: mode, network: network)
    }

    /// Accepts `unix:///absolute/path` and `tcp://host:port`.
    static func validateEndpoint(_ text: String, key: String) throws {
        if text.hasPrefix("unix://") {
            guard text.dropFirst("unix://".count).hasPrefix("/") else {
                throw ConfigurationError(
                    key: key,
                    reason: "a unix endpoint needs an absolute path: unix:///var/run/docker.sock"
                )
            }
        } else if text.hasPrefix("tcp://") {
            throw ConfigurationError(key: key, reason: "tcp:// engines are not supported yet; use a unix:// socket")
        } else {
            throw ConfigurationError(key: key, reason: "must start with unix:// (got \"\(text)\")")
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
