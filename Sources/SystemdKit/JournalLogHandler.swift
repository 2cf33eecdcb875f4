import CSystemd
import Glibc
import Logging

/// A swift-log handler that writes native journal entries with `sd_journal_sendv(3)`.
///
/// Each entry carries `MESSAGE`, `PRIORITY` (the syslog level, see ``syslogPriority(_:)``), `SYSLOG_IDENTIFIER`,
/// `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, `LOGGER` (the logger's label), `ERROR` (when the event has one), and one
/// field per metadata key, named by ``fieldName(_:)``: `logger.info("done", metadata: ["job_id": "42"])` can be
/// found with `journalctl JOB_ID=42`. Values are sent as they are: multi-line messages stay one entry.
///
/// If the journal cannot be reached the entry is written to standard error as one line instead.
/// Use it when ``isJournalAvailable`` (the process's standard error is connected to the journal), e.g.
/// `LoggingSystem.bootstrap { JournalLogHandler(label: $0) }`.
public struct JournalLogHandler: LogHandler {
    /// The fields this handler writes itself; a metadata key that would produce one of these gets the `META_` prefix.
    public static let reservedFieldNames: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER", "ERROR",
    ]

    /// The longest field name journald accepts.
    public static let maximumFieldNameLength = 64

    /// The logger's label, sent as `LOGGER`.
    public let label: String

    /// `SYSLOG_IDENTIFIER`, the name `journalctl` shows before each line (`journalctl -t` filters on it).
    public var identifier: String

    /// Messages below this level are not logged.
    public var logLevel: Logger.Level

    /// Metadata sent with every entry of this handler.
    public var metadata: Logger.Metadata

    /// Contextual metadata (e.g. task-local values) added to every entry.
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for `label`.
    ///
    /// - Parameters:
    ///   - label: the logger's label, sent as `LOGGER`.
    ///   - identifier: `SYSLOG_IDENTIFIER`; by default the program's name (as syslog does).
    ///   - logLevel: the lowest level logged.
    ///   - metadataProvider: contextual metadata; by default the one given to `LoggingSystem.bootstrap`.
    public init(
        label: String,
        identifier: String? = nil,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.identifier = identifier ?? Self.programName
        self.logLevel = logLevel
        self.metadata = [:]
        self.metadataProvider = metadataProvider
    }

    /// Whether this process's standard error is the journal, so that native entries are the right choice
    /// (see ``LoggingBackend/isUnderJournald(environment:descriptor:)``).
    public static var isJournalAvailable: Bool {
        LoggingBackend.isUnderJournald()
    }

    /// One metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Sends `event` to the journal (or, failing that, one line to standard error).
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let own = event.metadata {
            merged.merge(own) { _, new in new }
        }
        let fields = Self.fields(
            level: event.level,
            message: event.message.description,
            metadata: merged,
            label: label,
            identifier: identifier,
            file: event.file,
            function: event.function,
            line: event.line,
            error: event.error.map { String(describing: $0) }
        )
        if Self.send(fields) < 0 {
            Self.writeToStandardError(event: event, label: label, metadata: merged)
        }
    }

    /// The journal field for a swift-log metadata key, or nil when nothing is left of it.
    ///
    /// journald accepts only `A-Z`, `0-9` and `_`, at most 64 characters, not starting with `_` (those are the
    /// journal's trusted fields) or a digit. So: letters are uppercased, every other character becomes `_`, leading
    /// underscores are dropped, a name that starts with a digit or is one of ``reservedFieldNames`` gets the
    /// prefix `META_`, and the result is cut to 64 characters. `"job.id"` → `JOB_ID`, `"_pid"` → `PID`,
    /// `"2fa"` → `META_2FA`, `"message"` → `META_MESSAGE`, `"__"` → nil.
    public static func fieldName(_ key: String) -> String? {
        var name = ""
        name.reserveCapacity(key.utf8.count)
        for scalar in key.unicodeScalars {
            switch scalar.value {
            case 0x41...0x5A, 0x30...0x39: name.unicodeScalars.append(scalar)
            case 0x61...0x7A: name.unicodeScalars.append(Unicode.Scalar(scalar.value - 0x20)!)
            default: name.append("_")
            }
        }
        let trimmed = name.drop { $0 == "_" }
        guard let first = trimmed.first else { return nil }
        var result = String(trimmed)
        if first.isASCII && first.isNumber || reservedFieldNames.contains(result) {
            result = "META_" + result
        }
        return String(result.prefix(maximumFieldNameLength))
    }

    /// The syslog priority (0 emerg … 7 debug) of a swift-log level: trace and debug → 7, info → 6, notice → 5,
    /// warning → 4, error → 3, critical → 2.
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The `NAME=value` fields of one entry, in the order they are sent: the handler's own fields, then the
    /// metadata sorted by key (keys with no valid field name are left out).
    public static func fields(
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata,
        label: String,
        identifier: String,
        file: String,
        function: String,
        line: UInt,
        error: String? = nil
    ) -> [String] {
        var fields = [
            "MESSAGE=" + message,
            "PRIORITY=\(syslogPriority(level))",
            "SYSLOG_IDENTIFIER=" + identifier,
            "CODE_FILE=" + file,
            "CODE_LINE=\(line)",
            "CODE_FUNC=" + function,
            "LOGGER=" + label,
        ]
        if let error { fields.append("ERROR=" + error) }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard let name = fieldName(key) else { continue }
            fields.append(name + "=" + value.description)
        }
        return fields
    }

    /// Sends the fields as one entry with `sd_journal_sendv`; returns its result (negative errno on failure).
    static func send(_ fields: [String]) -> Int32 {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(fields.count)
        for field in fields {
            let start = bytes.count
            bytes.append(contentsOf: field.utf8)
            ranges.append(start..<bytes.count)
        }
        return bytes.withUnsafeMutableBytes { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -EINVAL }
            let vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }

    private static func writeToStandardError(event: LogEvent, label: String, metadata: Logger.Metadata) {
        let pairs = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "\(label): \(event.level): \(event.message)\(pairs.isEmpty ? "" : " " + pairs)\n"
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes {
                write(STDERR_FILENO, $0.baseAddress! + offset, $0.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// The program's name without its directory, as `program_invocation_short_name`.
    static var programName: String {
        guard let path = CommandLine.arguments.first, !path.isEmpty else { return "swift" }
        return path.split(separator: "/").last.map(String.init) ?? path
    }
}
