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
        try checkKeys(root, table: "", prefix: "")

        if let daemon = try table(root, "daemon", prefix: "") {
            try checkKeys(daemon, table: "daemon", prefix: "daemon.")
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
            if let group = try string(daemon, "socket_group", prefix: "daemon.") {
                config.socketGroup = try groupName(group, key: "daemon.socket_group")
            }
            try parseScalars(daemon, table: "daemon", into: &config)
        }

        if let images = try table(root, "images", prefix: "") {
            try checkKeys(images, table: "images", prefix: "images.")
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
            try checkKeys(inputs, table: "inputs", prefix: "inputs.")
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
            try parseScalars(inputs, table: "inputs", into: &config)
        }

        if let runs = try table(root, "batch_runs", prefix: "") {
            try checkKeys(runs, table: "batch_runs", prefix: "batch_runs.")
            try parseScalars(runs, table: "batch_runs", into: &config)
        }

        if let events = try table(root, "events", prefix: "") {
            try checkKeys(events, table: "events", prefix: "events.")
            try parseScalars(events, table: "events", into: &config)
        }

        if let smart = try table(root, "smart_batch", prefix: "") {
            try checkKeys(smart, table: "smart_batch", prefix: "smart_batch.")
            try parseScalars(smart, table: "smart_batch", into: &config)
        }

        if let access = try table(root, "access", prefix: "") {
            try checkKeys(access, table: "access", prefix: "access.")
            if let group = try string(access, "admin_group", prefix: "access.") {
                config.access.adminGroup = try groupName(group, key: "access.admin_group")
            }
            try parseScalars(access, table: "access", into: &config)
        }

        if let maintenance = try table(root, "maintenance", prefix: "") {
            try checkKeys(maintenance, table: "maintenance", prefix: "maintenance.")
            if let path = try string(maintenance, "backup_path", prefix: "maintenance.") {
                guard path.hasPrefix("/"), !path.hasSuffix("/") else {
                    throw ConfigurationError(key: "maintenance.backup_path", reason: "must be an absolute file path")
                }
                config.maintenance.backupPath = path
            }
            try parseScalars(maintenance, table: "maintenance", into: &config)
        }

        if let web = try table(root, "web", prefix: "") {
            try checkKeys(web, table: "web", prefix: "web.")
            config.web = try parseWeb(web, defaults: config.web)
            try parseScalars(web, table: "web", into: &config)
        }

        if let upscale = try table(root, "upscale", prefix: "") {
            try checkKeys(upscale, table: "upscale", prefix: "upscale.")
            (config.upscale.image, config.upscale.command) = try workflowContainer(upscale, table: "upscale")
            try parseScalars(upscale, table: "upscale", into: &config)
        }

        if let enhance = try table(root, "enhance", prefix: "") {
            try checkKeys(enhance, table: "enhance", prefix: "enhance.")
            (config.enhance.image, config.enhance.command) = try workflowContainer(enhance, table: "enhance")
            if let model = try string(enhance, "model", prefix: "enhance.") {
                guard !model.isEmpty, model.utf8.count <= 200, !model.contains(where: \.isNewline) else {
                    throw ConfigurationError(key: "enhance.model", reason: "must be a one-line name of 1 to 200 bytes")
                }
                config.enhance.model = model
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
        if let runners = root["runners"] {
            guard let array = runners.array else {
                throw ConfigurationError(key: "runners", reason: "must be an array of tables ([[runners]])")
            }
            config.runners = try array.enumerated().map { index, item in
                guard let runner = item.table else {
                    throw ConfigurationError(key: "runners[\(index)]", reason: "must be a table")
                }
                return try parseRunner(runner, prefix: "runners[\(index)].")
            }
        }
        try checkWorkflowCommands(config)
        return config
    }

    /// Reads one `[[runners]]` entry; `prefix` (`runners[0].`) starts every key its errors name.
    static func parseRunner(_ table: TOMLTable, prefix: String) throws -> RunnerConfiguration {
        try checkKeys(table, table: "runners", prefix: prefix)
        guard let match = try string(table, "match", prefix: prefix), !match.isEmpty,
            match.allSatisfy({ !$0.isWhitespace })
        else {
            throw ConfigurationError(key: prefix + "match", reason: "missing: name the image pattern the adapter runs")
        }
        guard let name = try string(table, "adapter", prefix: prefix) else {
            throw ConfigurationError(
                key: prefix + "adapter",
                reason: "missing: " + ConfigurationSchema.key("runners.adapter").choiceReason
            )
        }
        guard let adapter = RunnerConfiguration.Adapter(rawValue: name) else {
            throw ConfigurationError(
                key: prefix + "adapter",
                reason: "unknown adapter \"\(name)\"; " + ConfigurationSchema.key("runners.adapter").choiceReason
            )
        }
        var runner = RunnerConfiguration(match: match, adapter: adapter)
        for (key, path) in [("repo_dir", \RunnerConfiguration.repoDir), ("checkpoint_dir", \.checkpointDir)] {
            guard let value = try string(table, key, prefix: prefix) else { continue }
            guard value.hasPrefix("/"), !value.contains("\n"), !value.split(separator: "/").contains("..") else {
                throw ConfigurationError(key: prefix + key, reason: "must be an absolute path in the container")
            }
            runner[keyPath: path] = value
        }
        if let text = try string(table, "shm_size", prefix: prefix) {
            guard let bytes = JobSpec.parseMemory(text), bytes >= 1 << 20 else {
                throw ConfigurationError(
                    key: prefix + "shm_size",
                    reason: "expected a size of at least 1m such as \"8g\" (got \"\(text)\")"
                )
            }
            runner.shmBytes = bytes
        }
        if let text = try string(table, "ipc", prefix: prefix) {
            guard let mode = RunnerConfiguration.IPCMode(rawValue: text) else {
                throw ConfigurationError(
                    key: prefix + "ipc",
                    reason: ConfigurationSchema.key("runners.ipc").choiceReason
                )
            }
            runner.ipcMode = mode
        }
        if let value = table["offload"] {
            guard let array = value.array else {
                throw ConfigurationError(key: prefix + "offload", reason: "must be an array of strings")
            }
            let known = adapter.offloads
            runner.offload = try array.enumerated().map { index, item in
                guard let part = item.string, known.contains(part) else {
                    let allowed = known.isEmpty ? "none" : known.joined(separator: ", ")
                    throw ConfigurationError(
                        key: prefix + "offload[\(index)]",
                        reason: "the \(adapter.rawValue) adapter offloads only: \(allowed)"
                    )
                }
                return part
            }
        }
        return runner
    }

    /// A workflow image that runs through an adapter gets the adapter's command: a `command` of its own is refused.
    static func checkWorkflowCommands(_ config: DaemonConfiguration) throws {
        let workflows = [
            ("upscale", config.upscale.image, config.upscale.command),
            ("enhance", config.enhance.image, config.enhance.command),
        ]
        for (table, image, command) in workflows {
            guard let image, command != nil, let runner = config.runners.runner(for: image) else { continue }
            throw ConfigurationError(
                key: table + ".command",
                reason: "\(image) runs through the \(runner.adapter.rawValue) adapter ([[runners]] match = "
                    + "\"\(runner.match)\"), which is its command; remove \(table).command"
            )
        }
    }

    /// A group name as the group database spells them; whether the group exists is checked where it is used.
    static func groupName(_ name: String, key: String) throws -> String {
        guard !name.isEmpty, name.utf8.count <= 32,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else {
            throw ConfigurationError(key: key, reason: "must be a group name (letters, digits, '-', '_', '.')")
        }
        return name
    }

    /// Reads one `[[hosts]]` entry; `prefix` (`hosts[0].`) starts every key its errors name.
    static func parseHost(_ table: TOMLTable, prefix: String) throws -> HostConfiguration {
        try checkKeys(table, table: "hosts", prefix: prefix)
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
        let mode = try hostChoice(table, "gpu_mode", prefix: prefix) ?? HostConfiguration.GPUMode.auto
        let staging = try hostChoice(table, "staging", prefix: prefix) ?? HostConfiguration.Staging.auto
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
            gpuMemoryGiB: try number(
                table,
                "gpu_memory_gib",
                prefix: prefix,
                range: ConfigurationSchema.key("hosts.gpu_memory_gib").numberRange!
            ),
            labels: labels,
            mounts: try parseMounts(table, prefix: prefix),
            staging: staging
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
            try checkKeys(mount, table: "hosts.mounts", prefix: key)
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

    /// Reads the keys of `table` whose schema entry says where their value goes, with their ranges and choices.
    static func parseScalars(_ toml: TOMLTable, table: String, into config: inout DaemonConfiguration) throws {
        let prefix = table + "."
        for key in ConfigurationSchema.keys(in: table) {
            switch key.value {
            case .integer(let range, let assign?):
                if let value = try integer(toml, key.name, prefix: prefix, range: range) { assign(&config, value) }
            case .number(let range, let assign?):
                if let value = try number(toml, key.name, prefix: prefix, range: range) { assign(&config, value) }
            case .boolean(let assign?):
                if let value = try bool(toml, key.name, prefix: prefix) { assign(&config, value) }
            case .choice(let values, let assign?):
                if let value = try string(toml, key.name, prefix: prefix) {
                    guard values.contains(value) else {
                        throw ConfigurationError(key: key.path, reason: key.choiceReason)
                    }
                    assign(&config, value)
                }
            case .integer, .number, .boolean, .choice, .other:
                continue
            }
        }
    }

    // MARK: Typed readers

    /// Refuses the first key (in sorted order) that `ConfigurationSchema` does not allow in `table`, naming it.
    static func checkKeys(_ table: TOMLTable, table name: String, prefix: String) throws {
        let allowed = ConfigurationSchema.allowedNames(in: name)
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw ConfigurationError(
                key: prefix + key,
                reason: "unknown key; allowed here: \(allowed.sorted().joined(separator: ", "))"
            )
        }
    }

    /// The sub-table at `key`, or nil when absent; any other value is refused.
    static func table(_ table: TOMLTable, _ key: String, prefix: String) throws -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let result = value.table else { throw ConfigurationError(key: prefix + key, reason: "must be a table") }
        return result
    }

    /// The string at `key`, or nil when absent; any other value is refused.
    /// A `[[hosts]]` key whose value is one of `Choice`'s raw values; nil when absent.
    static func hostChoice<Choice: RawRepresentable<String>>(_ table: TOMLTable, _ key: String, prefix: String) throws
        -> Choice?
    {
        guard let text = try string(table, key, prefix: prefix) else { return nil }
        guard let value = Choice(rawValue: text) else {
            throw ConfigurationError(key: prefix + key, reason: ConfigurationSchema.key("hosts." + key).choiceReason)
        }
        return value
    }

    static func string(_ table: TOMLTable, _ key: String, prefix: String) throws -> String? {
        guard let value = table[key] else { return nil }
        guard let result = value.string else { throw ConfigurationError(key: prefix + key, reason: "must be a string") }
        return result
    }

    /// The boolean at `key`, or nil when absent; any other value is refused.
    static func bool(_ table: TOMLTable, _ key: String, prefix: String) throws -> Bool? {
        guard let value = table[key] else { return nil }
        guard let result = value.bool else {
            throw ConfigurationError(key: prefix + key, reason: "must be true or false")
        }
        return result
    }

    /// The number (whole or not) at `key` within `range`, or nil when absent.
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

    /// The whole number at `key` within `range`, or nil when absent.
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

    /// The `image` and `command` of a workflow's table (`[upscale]`, `[enhance]`), each optional.
    static func workflowContainer(_ values: TOMLTable, table name: String) throws -> (
        image: String?, command: [String]?
    ) {
        var image: String?
        if let given = try string(values, "image", prefix: "\(name).") {
            guard !given.isEmpty, given.allSatisfy({ !$0.isWhitespace }) else {
                throw ConfigurationError(key: "\(name).image", reason: "must be an image reference without spaces")
            }
            image = given
        }
        var command: [String]?
        if let given = values["command"] {
            guard let array = given.array, !array.isEmpty else {
                throw ConfigurationError(key: "\(name).command", reason: "must be a non-empty array of strings")
            }
            command = try array.enumerated().map { index, item in
                guard let text = item.string else {
                    throw ConfigurationError(key: "\(name).command[\(index)]", reason: "must be a string")
                }
                return text
            }
        }
        return (image, command)
    }

    /// Reads `[web]`'s address, URL and TLS files: a non-loopback `listen` needs both TLS files.
    static func parseWeb(_ table: TOMLTable, defaults: WebSettings) throws -> WebSettings {
        var web = defaults
        if let text = try string(table, "listen", prefix: "web.") {
            guard let address = WebAddress(text) else {
                throw ConfigurationError(
                    key: "web.listen",
                    reason: "must be ip:port such as \"127.0.0.1:8780\" or \"[::1]:8780\" (got \"\(text)\")"
                )
            }
            web.listen = address
        }
        if let url = try string(table, "url", prefix: "web.") {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                throw ConfigurationError(key: "web.url", reason: "must be an http:// or https:// URL (got \"\(url)\")")
            }
            web.url = url
        }
        for (key, assign) in [("tls_cert", \WebSettings.tlsCertificate), ("tls_key", \WebSettings.tlsKey)] {
            guard let path = try string(table, key, prefix: "web.") else { continue }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigurationError(key: "web.\(key)", reason: "cannot read \(path)")
            }
            web[keyPath: assign] = path
        }
        if (web.tlsCertificate == nil) != (web.tlsKey == nil) {
            throw ConfigurationError(
                key: web.tlsCertificate == nil ? "web.tls_cert" : "web.tls_key",
                reason: "missing: HTTPS needs both tls_cert and tls_key"
            )
        }
        if let listen = web.listen, !listen.isLoopback, !web.usesTLS {
            throw ConfigurationError(
                key: "web.listen",
                reason: "\(listen.urlAuthority) is reachable from other machines: set tls_cert and tls_key, "
                    + "or listen on 127.0.0.1 and use ssh -L"
            )
        }
        return web
    }
}
