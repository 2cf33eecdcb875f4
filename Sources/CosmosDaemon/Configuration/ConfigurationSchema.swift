import CosmosDomain
import Foundation

/// The configuration file's keys, stated once.
///
/// The parser refuses every key not listed here (naming it and the keys allowed in its table), parses the scalar
/// keys with their ranges from here, `LiveConfiguration.reload` applies or keeps each key as listed here, and a
/// test checks the README's key table and the example in `etc/` against this list.
enum ConfigurationSchema {
    /// Every key, in the order the parser reads them within each table and the README lists them.
    static let keys: [ConfigKey] = [
        other(
            "daemon.socket",
            "path shorter than 108 bytes",
            default: "`<state_dir>/cosmos.sock`",
            .restart,
            .at(\.socketPath),
            "The control socket cosmosctl talks to (`$RUNTIME_DIRECTORY/cosmos.sock` under systemd)."
        ),
        other(
            "daemon.socket_group",
            "group name",
            default: "none (the daemon's own group)",
            .restart,
            .at(\.socketGroup),
            "The group the socket is given, mode 0660, when the daemon binds it (a `.socket` unit sets its own)."
        ),
        other(
            "daemon.state_dir",
            "non-empty path",
            default: "`./cosmos-state`",
            .restart,
            .at(\.stateDirectory),
            "The database (`cosmos.db`), job logs and outputs (`$STATE_DIRECTORY` under systemd)."
        ),
        choice(
            "daemon.policy",
            SchedulingPolicy.allCases.map(\.rawValue),
            \.policy,
            SchedulingPolicy.init(rawValue:),
            .live,
            "`backfill`: jobs behind a blocked head may start where they fit; `strict`: nothing starts behind it."
        ),
        integer(
            "daemon.stop_timeout_seconds",
            0...3600,
            \.stopTimeoutSeconds,
            .live,
            "Seconds a cancelled job's container gets between SIGTERM and SIGKILL."
        ),
        integer(
            "daemon.max_attempts",
            1...100,
            \.retry.maxAttempts,
            .live,
            "Attempts for infrastructure failures (engine unreachable, create/start failed, container lost)."
        ),
        boolean(
            "daemon.durable_commits",
            \.durableCommits,
            .restart,
            "fsync every commit (survives power loss); false survives a daemon crash, not a machine crash."
        ),
        choice(
            "daemon.on_stop",
            DaemonConfiguration.OnStop.allCases.map(\.rawValue),
            \.onStop,
            DaemonConfiguration.OnStop.init(rawValue:),
            .live,
            "On SIGTERM: `leave` running containers (adopted on the next start) or `stop` them (jobs requeued)."
        ),
        integer(
            "daemon.shutdown_timeout_seconds",
            1...600,
            \.shutdownTimeoutSeconds,
            .restart,
            "A graceful stop ends within this many seconds."
        ),
        integer(
            "daemon.reconcile_interval_seconds",
            1...86400,
            \.reconcileIntervalSeconds,
            .live,
            "How often a full reconciliation with the engines runs (engine events trigger more)."
        ),
        integer(
            "daemon.orphan_grace_seconds",
            0...86400,
            \.orphanGraceSeconds,
            .live,
            "How long a container of this installation with no current job lives before it is removed."
        ),
        integer(
            "daemon.probe_interval_seconds",
            1...3600,
            \.health.probeIntervalSeconds,
            .live,
            reportedAs: healthGroup,
            "Seconds between two `/_ping` probes of each host's engine."
        ),
        integer(
            "daemon.down_after_failures",
            1...100,
            \.health.downAfterFailures,
            .live,
            reportedAs: healthGroup,
            "Failed probes in a row after which a host is down and gets no new jobs."
        ),
        integer(
            "daemon.host_down_grace_seconds",
            0...86400,
            \.health.downGraceSeconds,
            .live,
            reportedAs: healthGroup,
            "Seconds a host stays down before its running jobs go back to the queue."
        ),
        choice(
            "daemon.log_level",
            ["trace", "debug", "info", "notice", "warning", "error", "critical"],
            \.logLevel,
            { $0 },
            .restart,
            "The log level."
        ),
        other(
            "images.allow",
            "array of patterns (`*` matches any run)",
            default: "every image (a warning at start)",
            .live,
            .at(\.images),
            "Only these images may be submitted; an `[images]` section must list them."
        ),
        other(
            "inputs.allow_roots",
            "array of absolute paths",
            default: "`[]` (no inputs)",
            .restart,
            reportedAs: "inputs",
            .at(\.inputs.allowRoots),
            "Job inputs must lie under one of these folders once links are resolved."
        ),
        ConfigKey(
            table: "inputs",
            name: "max_size_gib",
            value: .number(0.001...100_000, assign: { $0.inputs.maxBytes = Int64($1 * Double(1 << 30)) }),
            defaultText: "`10`",
            reload: .restart,
            reportedAs: "inputs",
            field: .at(\.inputs.maxBytes),
            doc: "The largest input file accepted, in GiB."
        ),
        integer(
            "batch_runs.max_items_one_control",
            1...256,
            \.batchRunLimits.oneControl,
            .live,
            reportedAs: "batch_runs",
            "Items one batch run may hold when its items have at most one control."
        ),
        integer(
            "batch_runs.max_items_two_controls",
            1...256,
            \.batchRunLimits.twoControls,
            .live,
            reportedAs: "batch_runs",
            "Items one batch run may hold when an item has two controls."
        ),
        integer(
            "batch_runs.max_items_more_controls",
            1...256,
            \.batchRunLimits.moreControls,
            .live,
            reportedAs: "batch_runs",
            "Items one batch run may hold when an item has more than two controls."
        ),
        integer(
            "events.window_ms",
            10...10_000,
            \.events.windowMilliseconds,
            .live,
            reportedAs: "events",
            "An event stream sends what it has gathered after this many milliseconds…"
        ),
        integer(
            "events.window_events",
            1...1000,
            \.events.windowEvents,
            .live,
            reportedAs: "events",
            "…or as soon as it has gathered this many entries. Applies to streams opened after a reload."
        ),
        integer(
            "smart_batch.default_setup_seconds",
            0...86_400,
            \.smartBatch.defaultSetupSeconds,
            .live,
            reportedAs: "smart_batch",
            "Seconds to start a container and load the model (L), until the cost model has learned it."
        ),
        integer(
            "smart_batch.default_item_seconds",
            1...86_400,
            \.smartBatch.defaultItemSeconds,
            .live,
            reportedAs: "smart_batch",
            "Seconds per item (c), until the cost model has learned it."
        ),
        other(
            "access.admin_group",
            "group name",
            default: "`\"cosmos-admin\"`",
            .live,
            reportedAs: "access",
            .at(\.access.adminGroup),
            "Its members are admins, as root is: queue-wide switches and other users' jobs."
        ),
        boolean(
            "access.private",
            \.access.privateData,
            .live,
            reportedAs: "access",
            "Hide other users' jobs, batches, logs, outputs and events from everyone but admins."
        ),
        number(
            "maintenance.prune_days",
            0...36_500,
            \.maintenance.pruneDays,
            .live,
            reportedAs: "maintenance",
            "A run prunes finished jobs older than this many days, with their events and logs; 0 keeps them."
        ),
        boolean(
            "maintenance.prune_outputs",
            \.maintenance.pruneOutputs,
            .live,
            reportedAs: "maintenance",
            "Pruning also removes the pruned jobs' output folders."
        ),
        number(
            "maintenance.event_retention_days",
            0...36_500,
            \.maintenance.eventRetentionDays,
            .live,
            reportedAs: "maintenance",
            "A run prunes event-log entries older than this many days; 0 keeps them."
        ),
        choice(
            "maintenance.vacuum",
            MaintenanceSettings.Vacuum.allCases.map(\.rawValue),
            \.maintenance.vacuum,
            MaintenanceSettings.Vacuum.init(rawValue:),
            .live,
            reportedAs: "maintenance",
            "`incremental` reclaims free pages, `full` rewrites the file (`VACUUM`), `none` skips it."
        ),
        other(
            "maintenance.backup_path",
            "absolute path",
            default: "none (no backup)",
            .live,
            reportedAs: "maintenance",
            .at(\.maintenance.backupPath),
            "A run writes an online, checked backup of the database here (under systemd: in the state directory)."
        ),
        boolean(
            "maintenance.check",
            \.maintenance.check,
            .live,
            reportedAs: "maintenance",
            "A run checks the file (`integrity_check`, `foreign_key_check`); a failure fails the run."
        ),
        boolean(
            "maintenance.sweep",
            \.maintenance.sweep,
            .live,
            reportedAs: "maintenance",
            "A run removes this instance's containers no job owns (after the orphan grace) and stale output folders."
        ),
        other(
            "upscale.image",
            "image reference",
            default: "none (`--image` is then required)",
            .live,
            reportedAs: "upscale",
            .at(\.upscale.image),
            "The image of `cosmosctl upscale` jobs; it must be in `[images] allow`."
        ),
        other(
            "upscale.command",
            "array of strings",
            default: "none (the image's own)",
            .live,
            reportedAs: "upscale",
            .at(\.upscale.command),
            "The command of upscale jobs; a command after `--` replaces it."
        ),
        number(
            "upscale.weight",
            0...1,
            \.upscale.weight,
            .live,
            reportedAs: "upscale",
            "The control weight of an upscale job when `--weight` is not given."
        ),
        other(
            "enhance.image",
            "image reference",
            default: "none (`--image` is then required)",
            .live,
            reportedAs: "enhance",
            .at(\.enhance.image),
            "The image of `cosmosctl enhance-batch` runs (a prompt upsampler); it must be in `[images] allow`."
        ),
        other(
            "enhance.command",
            "array of strings",
            default: "none (the image's own)",
            .live,
            reportedAs: "enhance",
            .at(\.enhance.command),
            "The command of enhance runs; a command after `--` replaces it."
        ),
        other(
            "enhance.model",
            "string, one line, 1 to 200 bytes",
            default: "none (the image's own)",
            .live,
            reportedAs: "enhance",
            .at(\.enhance.model),
            "The prompt-upsampling model an enhance run's `job.json` names when `--model` is not given."
        ),
        other(
            "web.listen",
            "`ip:port` (`127.0.0.1:8780`, `[::1]:8780`)",
            default: "none (off)",
            .restart,
            reportedAs: "web.listen, tls_cert, tls_key",
            .at(\.web.listen),
            "The dashboard and `/metrics` listener. A non-loopback address needs `tls_cert` and `tls_key`."
        ),
        other(
            "web.url",
            "`http://` or `https://` URL",
            default: "from `listen`",
            .live,
            reportedAs: "web",
            .at(\.web.url),
            "The address `cosmosctl web` prints, for a DNS name or the local end of an `ssh -L` tunnel."
        ),
        other(
            "web.tls_cert",
            "readable PEM file",
            default: "none (plain HTTP)",
            .restart,
            reportedAs: "web.listen, tls_cert, tls_key",
            .at(\.web.tlsCertificate),
            "The listener's certificate chain; with `tls_key`, the dashboard is served over HTTPS."
        ),
        other(
            "web.tls_key",
            "readable PEM file",
            default: "none",
            .restart,
            reportedAs: "web.listen, tls_cert, tls_key",
            .at(\.web.tlsKey),
            "The certificate's private key."
        ),
        choice(
            "web.metrics",
            WebSettings.MetricsAccess.allCases.map(\.rawValue),
            \.web.metrics,
            WebSettings.MetricsAccess.init(rawValue:),
            .live,
            reportedAs: "web",
            "Who reads `/metrics` without a session: `loopback` scrapers, `open` to all, or `login` (a session)."
        ),
        number(
            "web.session_hours",
            0.01...720,
            \.web.sessionHours,
            .live,
            reportedAs: "web",
            "How long a dashboard session lasts after its login."
        ),
        integer(
            "web.login_seconds",
            10...3600,
            \.web.loginSeconds,
            .live,
            reportedAs: "web",
            "How long the one-time token that `cosmosctl web` prints stays valid."
        ),
        host("name", "letters, digits, `-`, `_`, `.`", default: "required", "The host's name, unique."),
        host(
            "docker",
            "`unix:///path` or `tcp://host:port`",
            default: "`unix:///var/run/docker.sock`",
            "The engine; plain `tcp://` only to a loopback address, else with TLS."
        ),
        host("tls_ca", "readable file", default: "none", "The CA certificate of a `tcp://` engine's TLS."),
        host("tls_cert", "readable file", default: "none", "The client certificate for a `tcp://` engine."),
        host("tls_key", "readable file", default: "none", "The client key for a `tcp://` engine."),
        host(
            "gpus",
            "count 0...\(SpecLimits.maxGPUs) or array of device ids",
            default: "`1`",
            "A count (device ids `\"0\"`..`\"n-1\"`) or a list of device ids / UUIDs."
        ),
        ConfigKey(
            table: "hosts",
            name: "gpu_memory_gib",
            value: .number(0.001...100_000, assign: nil),
            defaultText: "none",
            reload: .restart,
            reportedAs: "hosts",
            field: .at(\.hosts),
            doc: "Memory of each GPU, for jobs with `min_gpu_memory_gib`."
        ),
        host("labels", "table of strings", default: "`{}`", "Labels that jobs' `selector` matches."),
        ConfigKey(
            table: "hosts",
            name: "gpu_mode",
            value: .choice(HostConfiguration.GPUMode.allCases.map(\.rawValue), assign: nil),
            defaultText: "`\"auto\"`",
            reload: .restart,
            reportedAs: "hosts",
            field: .at(\.hosts),
            doc: "`nvidia` device requests, `env` (visible-devices variables only), or `auto` (nvidia if listed)."
        ),
        host("network", "network name", default: "`\"none\"`", "The containers' network; a job can never change it."),
        ConfigKey(
            table: "hosts",
            name: "staging",
            value: .choice(HostConfiguration.Staging.allCases.map(\.rawValue), assign: nil),
            defaultText: "`\"auto\"`",
            reload: .restart,
            reportedAs: "hosts",
            field: .at(\.hosts),
            doc:
                "How `/cosmos` reaches the container: `bind` (a folder of the daemon's, mounted), `archive` (copied in "
                + "and out through the engine), or `auto` (bind on a local engine that accepts a probe of the daemon's "
                + "folder, for a daemon with `CAP_DAC_OVERRIDE` and `CAP_FOWNER`; see docs/hosts.md)."
        ),
        host(
            "mounts.source",
            "absolute path",
            default: "required",
            "An operator's bind mount into every container of the host: the folder on the host."
        ),
        host(
            "mounts.target",
            "absolute path, not under `/cosmos`",
            default: "required",
            "Where the mount appears in the container."
        ),
        ConfigKey(
            table: "hosts.mounts",
            name: "read_only",
            value: .boolean(assign: nil),
            defaultText: "`true`",
            reload: .restart,
            reportedAs: "hosts",
            field: .at(\.hosts),
            doc: "Whether the mount is read-only."
        ),
        runner("match", "image pattern (`*` matches any run)", default: "required", "The images this adapter runs."),
        ConfigKey(
            table: "runners",
            name: "adapter",
            value: .choice(RunnerConfiguration.Adapter.allCases.map(\.rawValue), assign: nil),
            defaultText: "required",
            reload: .restart,
            reportedAs: "runners",
            field: .at(\.runners),
            doc: "Which shipped adapter translates the runner contract into the image's Cosmos command line."
        ),
        runner(
            "repo_dir",
            "absolute path in the container",
            default: "`\"/workspace\"`",
            "Where the Cosmos code lives in the image."
        ),
        runner(
            "checkpoint_dir",
            "absolute path in the container",
            default: "`\"/workspace/checkpoints\"`",
            "Where Cosmos finds its checkpoints (bring them in with the host's `mounts`)."
        ),
        runner(
            "shm_size",
            "size such as `\"8g\"` (`b`, `k`, `m`, `g`), at least 1m",
            default: "the engine's (64m)",
            "`/dev/shm` of the containers; admin-only, a job can never set it."
        ),
        ConfigKey(
            table: "runners",
            name: "ipc",
            value: .choice(RunnerConfiguration.IPCMode.allCases.map(\.rawValue), assign: nil),
            defaultText: "the engine's (`private`)",
            reload: .restart,
            reportedAs: "runners",
            field: .at(\.runners),
            doc: "The containers' IPC namespace; admin-only, a job can never set it. `host` drops IPC isolation."
        ),
        runner(
            "offload",
            "array of names the adapter knows",
            default: "`[]`",
            "Model parts to keep off the GPU between uses: cosmos-transfer1 `diffusion_transformer`, `text_encoder`, "
                + "`guardrail`, `prompt_upsampler`; cosmos-transfer2.5 `guardrail`; the upsampler `prompt_upsampler`."
        ),
    ]

    /// The name a reload reports for any of the host health keys.
    static let healthGroup = "daemon.probe_interval_seconds, down_after_failures, host_down_grace_seconds"

    /// Every table that has keys, such as `daemon` and `hosts.mounts`.
    static var tables: [String] {
        var seen = Set<String>()
        return keys.map(\.table).filter { seen.insert($0).inserted }
    }

    /// The keys of one table, in schema order.
    static func keys(in table: String) -> [ConfigKey] {
        keys.filter { $0.table == table }
    }

    /// The names allowed directly in `table` (`""` for the file's top level): its keys and its sub-tables.
    static func allowedNames(in table: String) -> Set<String> {
        var names = Set(keys(in: table).map(\.name))
        let prefix = table.isEmpty ? "" : table + "."
        for child in tables where child.hasPrefix(prefix) {
            let rest = child.dropFirst(prefix.count)
            if !rest.isEmpty, !rest.contains(".") { names.insert(String(rest)) }
        }
        return names
    }

    /// The key at `path`, such as `hosts.gpu_mode`; a path not in the schema is a programming error.
    static func key(_ path: String) -> ConfigKey {
        guard let key = keys.first(where: { $0.path == path }) else {
            preconditionFailure("\(path) is not in ConfigurationSchema.keys")
        }
        return key
    }

    // MARK: Entries

    /// The configuration nothing changes, which the defaults shown in the README come from.
    private static let defaults = DaemonConfiguration.embeddedDefault(environment: [:])

    /// Splits `daemon.policy` into its table and name; the name is the last component.
    private static func split(_ path: String) -> (table: String, name: String) {
        let parts = path.split(separator: ".")
        return (parts.dropLast().joined(separator: "."), String(parts.last ?? ""))
    }

    /// A whole-number key stored at `keyPath`; its default is the embedded default's value.
    private static func integer(
        _ path: String,
        _ range: ClosedRange<Int>,
        _ keyPath: WritableKeyPath<DaemonConfiguration, Int> & Sendable,
        _ reload: ConfigKey.Reload,
        reportedAs: String? = nil,
        _ doc: String
    ) -> ConfigKey {
        let (table, name) = split(path)
        return ConfigKey(
            table: table,
            name: name,
            value: .integer(range, assign: { $0[keyPath: keyPath] = $1 }),
            defaultText: "`\(defaults[keyPath: keyPath])`",
            reload: reload,
            reportedAs: reportedAs ?? path,
            field: .at(keyPath),
            doc: doc
        )
    }

    /// A number key (whole or not) stored at `keyPath`; its default is the embedded default's value.
    private static func number(
        _ path: String,
        _ range: ClosedRange<Double>,
        _ keyPath: WritableKeyPath<DaemonConfiguration, Double> & Sendable,
        _ reload: ConfigKey.Reload,
        reportedAs: String? = nil,
        _ doc: String
    ) -> ConfigKey {
        let (table, name) = split(path)
        let value = defaults[keyPath: keyPath]
        return ConfigKey(
            table: table,
            name: name,
            value: .number(range, assign: { $0[keyPath: keyPath] = $1 }),
            defaultText: "`\(value.rounded() == value ? String(Int(value)) : String(value))`",
            reload: reload,
            reportedAs: reportedAs ?? path,
            field: .at(keyPath),
            doc: doc
        )
    }

    /// A `true`/`false` key stored at `keyPath`.
    private static func boolean(
        _ path: String,
        _ keyPath: WritableKeyPath<DaemonConfiguration, Bool> & Sendable,
        _ reload: ConfigKey.Reload,
        reportedAs: String? = nil,
        _ doc: String
    ) -> ConfigKey {
        let (table, name) = split(path)
        return ConfigKey(
            table: table,
            name: name,
            value: .boolean(assign: { $0[keyPath: keyPath] = $1 }),
            defaultText: "`\(defaults[keyPath: keyPath])`",
            reload: reload,
            reportedAs: reportedAs ?? path,
            field: .at(keyPath),
            doc: doc
        )
    }

    /// A key with a fixed list of string values, converted by `make` and stored at `keyPath`.
    private static func choice<T: Equatable & Sendable>(
        _ path: String,
        _ values: [String],
        _ keyPath: WritableKeyPath<DaemonConfiguration, T> & Sendable,
        _ make: @escaping @Sendable (String) -> T?,
        _ reload: ConfigKey.Reload,
        reportedAs: String? = nil,
        _ doc: String
    ) -> ConfigKey {
        let (table, name) = split(path)
        let current = values.first { make($0) == defaults[keyPath: keyPath] } ?? ""
        return ConfigKey(
            table: table,
            name: name,
            value: .choice(values, assign: { config, text in if let v = make(text) { config[keyPath: keyPath] = v } }),
            defaultText: "`\"\(current)\"`",
            reload: reload,
            reportedAs: reportedAs ?? path,
            field: .at(keyPath),
            doc: doc
        )
    }

    /// A key its section's parser reads, described by `accepts`.
    private static func other(
        _ path: String,
        _ accepts: String,
        default defaultText: String,
        _ reload: ConfigKey.Reload,
        reportedAs: String? = nil,
        _ field: ConfigKey.Field,
        _ doc: String
    ) -> ConfigKey {
        let (table, name) = split(path)
        return ConfigKey(
            table: table,
            name: name,
            value: .other(accepts),
            defaultText: defaultText,
            reload: reload,
            reportedAs: reportedAs ?? path,
            field: field,
            doc: doc
        )
    }

    /// A key of every `[[runners]]` entry: restart-only, reported as `runners`.
    private static func runner(_ name: String, _ accepts: String, default defaultText: String, _ doc: String)
        -> ConfigKey
    {
        other("runners." + name, accepts, default: defaultText, .restart, reportedAs: "runners", .at(\.runners), doc)
    }

    /// A key of every `[[hosts]]` entry (`mounts.source` for a key of its mounts): restart-only, reported as `hosts`.
    private static func host(_ name: String, _ accepts: String, default defaultText: String, _ doc: String)
        -> ConfigKey
    {
        other("hosts." + name, accepts, default: defaultText, .restart, reportedAs: "hosts", .at(\.hosts), doc)
    }
}
