/// `POST /v1/maintenance`: `cosmosctl maintenance run [flags]`.
///
/// With no field set the daemon does what its `[maintenance]` configuration says; with any field set it does
/// exactly the steps given.
public struct MaintenanceRequest: Codable, Sendable, Equatable {
    /// Prune finished jobs older than this many days (may be fractional, must be > 0).
    public var pruneDays: Double?
    /// Pruning also removes the pruned jobs' output folders.
    public var pruneOutputs: Bool?
    /// `incremental` or `full`.
    public var vacuum: String?
    /// Write an online backup to this absolute path.
    public var backup: String?
    public var check: Bool?
    public var sweep: Bool?

    public init(
        pruneDays: Double? = nil,
        pruneOutputs: Bool? = nil,
        vacuum: String? = nil,
        backup: String? = nil,
        check: Bool? = nil,
        sweep: Bool? = nil
    ) {
        self.pruneDays = pruneDays
        self.pruneOutputs = pruneOutputs
        self.vacuum = vacuum
        self.backup = backup
        self.check = check
        self.sweep = sweep
    }

    /// Whether no step was asked for, so the configuration decides.
    public var isEmpty: Bool { self == MaintenanceRequest() }

    enum CodingKeys: String, CodingKey {
        case pruneDays = "prune_days"
        case pruneOutputs = "prune_outputs"
        case vacuum, backup, check, sweep
    }
}

/// What a maintenance run did, step by step (a step that did not run is null), as `--json` prints it.
public struct MaintenanceView: Codable, Sendable, Equatable {
    /// The prune step.
    public struct Pruned: Codable, Sendable, Equatable {
        /// Jobs that finished before this were pruned, RFC 3339 (null when only events were).
        public var cutoff: String?
        public var jobs: Int
        public var batches: Int
        public var events: Int
        public var logFiles: Int
        public var outputFolders: Int

        public init(cutoff: String?, jobs: Int, batches: Int, events: Int, logFiles: Int, outputFolders: Int) {
            self.cutoff = cutoff
            self.jobs = jobs
            self.batches = batches
            self.events = events
            self.logFiles = logFiles
            self.outputFolders = outputFolders
        }

        enum CodingKeys: String, CodingKey {
            case cutoff, jobs, batches, events
            case logFiles = "log_files"
            case outputFolders = "output_folders"
        }
    }

    /// The vacuum step.
    public struct Vacuumed: Codable, Sendable, Equatable {
        public var mode: String
        public var pagesBefore: Int
        public var pagesAfter: Int
        public var bytesFreed: Int
        public var note: String?

        public init(mode: String, pagesBefore: Int, pagesAfter: Int, bytesFreed: Int, note: String?) {
            self.mode = mode
            self.pagesBefore = pagesBefore
            self.pagesAfter = pagesAfter
            self.bytesFreed = bytesFreed
            self.note = note
        }

        enum CodingKeys: String, CodingKey {
            case mode, note
            case pagesBefore = "pages_before"
            case pagesAfter = "pages_after"
            case bytesFreed = "bytes_freed"
        }
    }

    /// The backup step.
    public struct Backup: Codable, Sendable, Equatable {
        public var path: String
        public var bytes: Int64
        public var jobs: Int
        public var integrity: String

        public init(path: String, bytes: Int64, jobs: Int, integrity: String) {
            self.path = path
            self.bytes = bytes
            self.jobs = jobs
            self.integrity = integrity
        }
    }

    /// The check step.
    public struct Check: Codable, Sendable, Equatable {
        /// `ok`, or the problems found.
        public var integrity: String
        public var foreignKeyProblems: Int
        public var ok: Bool

        public init(integrity: String, foreignKeyProblems: Int, ok: Bool) {
            self.integrity = integrity
            self.foreignKeyProblems = foreignKeyProblems
            self.ok = ok
        }

        enum CodingKeys: String, CodingKey {
            case integrity, ok
            case foreignKeyProblems = "foreign_key_problems"
        }
    }

    /// The sweep step.
    public struct Swept: Codable, Sendable, Equatable {
        /// Ids of the containers removed.
        public var containers: [String]
        public var outputFolders: Int

        public init(containers: [String], outputFolders: Int) {
            self.containers = containers
            self.outputFolders = outputFolders
        }

        enum CodingKeys: String, CodingKey {
            case containers
            case outputFolders = "output_folders"
        }
    }

    public var pruned: Pruned?
    public var swept: Swept?
    public var vacuum: Vacuumed?
    public var check: Check?
    public var backup: Backup?
    /// False when the check found a problem.
    public var ok: Bool

    public init(
        pruned: Pruned? = nil,
        swept: Swept? = nil,
        vacuum: Vacuumed? = nil,
        check: Check? = nil,
        backup: Backup? = nil,
        ok: Bool = true
    ) {
        self.pruned = pruned
        self.swept = swept
        self.vacuum = vacuum
        self.check = check
        self.backup = backup
        self.ok = ok
    }

    /// Writes every step's key, null when the step did not run, so scripts can rely on the keys.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pruned, forKey: .pruned)
        try container.encode(swept, forKey: .swept)
        try container.encode(vacuum, forKey: .vacuum)
        try container.encode(check, forKey: .check)
        try container.encode(backup, forKey: .backup)
        try container.encode(ok, forKey: .ok)
    }

    enum CodingKeys: String, CodingKey {
        case pruned, swept, vacuum, check, backup, ok
    }
}
