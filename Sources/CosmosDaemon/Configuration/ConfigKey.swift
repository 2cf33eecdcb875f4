import Foundation

/// One key of the configuration file: where it lives, what it accepts, its default, and what a reload does with it.
///
/// `ConfigurationSchema.keys` lists every key once; the parser's unknown-key checks, the scalar keys' parsing and
/// range checks, `LiveConfiguration.reload` and the README's key table are all derived from that list.
struct ConfigKey: Sendable {
    /// What a SIGHUP does with a changed value.
    enum Reload: Sendable, Equatable {
        /// The new value is in force at once.
        case live
        /// The old value stays until the daemon restarts.
        case restart
    }

    /// What the key accepts; scalar keys of `DaemonConfiguration` also say where the parsed value goes.
    ///
    /// Keys whose `assign` is nil are read by their section's own parser (hosts, mounts), which still takes the
    /// range or the allowed values from here.
    enum Value: Sendable {
        /// A whole number in the range.
        case integer(ClosedRange<Int>, assign: (@Sendable (inout DaemonConfiguration, Int) -> Void)?)
        /// A number (whole or not) in the range.
        case number(ClosedRange<Double>, assign: (@Sendable (inout DaemonConfiguration, Double) -> Void)?)
        /// `true` or `false`.
        case boolean(assign: (@Sendable (inout DaemonConfiguration, Bool) -> Void)?)
        /// One of a fixed list of strings.
        case choice([String], assign: (@Sendable (inout DaemonConfiguration, String) -> Void)?)
        /// Anything else, read by the section's own parser; the text says what is accepted.
        case other(String)
    }

    /// How a reload compares the key's value in two configurations, and puts the old one back.
    struct Field: Sendable {
        /// Whether the key's value differs between the two configurations.
        let differs: @Sendable (DaemonConfiguration, DaemonConfiguration) -> Bool
        /// Copies the key's value from the second configuration into the first.
        let restore: @Sendable (inout DaemonConfiguration, DaemonConfiguration) -> Void

        /// The field at `keyPath`.
        static func at<T: Equatable & Sendable>(_ keyPath: WritableKeyPath<DaemonConfiguration, T> & Sendable) -> Field
        {
            Field(
                differs: { $0[keyPath: keyPath] != $1[keyPath: keyPath] },
                restore: { $0[keyPath: keyPath] = $1[keyPath: keyPath] }
            )
        }
    }

    /// The table the key is in: `daemon`, `images`, `inputs`, `batch_runs`, `hosts` or `hosts.mounts`.
    let table: String
    /// The key's name inside its table.
    let name: String
    /// What the key accepts.
    let value: Value
    /// The value in force when the file does not set the key, as the README shows it.
    let defaultText: String
    /// What a reload does with a changed value.
    let reload: Reload
    /// The name `LiveConfiguration.ReloadResult` reports when the value changes (keys of a group share one).
    let reportedAs: String
    /// Where the key's value lives in `DaemonConfiguration`.
    let field: Field
    /// What the key means, in one line.
    let doc: String

    /// The key's dotted path, such as `daemon.stop_timeout_seconds` (`hosts.name` for a key of every `[[hosts]]`).
    var path: String { table + "." + name }

    /// The allowed values of a choice key (empty for other keys).
    var choices: [String] {
        if case .choice(let values, _) = value { return values }
        return []
    }

    /// The range of an integer key.
    var integerRange: ClosedRange<Int>? {
        if case .integer(let range, _) = value { return range }
        return nil
    }

    /// The range of a number key.
    var numberRange: ClosedRange<Double>? {
        if case .number(let range, _) = value { return range }
        return nil
    }

    /// The refusal of a value outside a choice: short lists quoted (`"a" or "b"`), long ones listed plainly.
    var choiceReason: String {
        let values = choices
        guard values.count <= 3, let last = values.last else {
            return "must be one of \(values.joined(separator: ", "))"
        }
        let quoted = values.dropLast().map { "\"\($0)\"" }.joined(separator: ", ")
        return "must be \(quoted) or \"\(last)\""
    }

    /// What the key accepts, in words, for the README.
    var acceptsText: String {
        switch value {
        case .integer(let range, _): return "whole number \(range.lowerBound)...\(range.upperBound)"
        case .number(let range, _): return "number \(range.lowerBound)...\(range.upperBound)"
        case .boolean: return "true or false"
        case .choice(let values, _): return values.map { "\"\($0)\"" }.joined(separator: ", ")
        case .other(let text): return text
        }
    }
}
