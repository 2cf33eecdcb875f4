import Foundation

/// How far a single job says it is: a `##cosmos progress` line of its stdout (runner contract).
///
/// `##cosmos progress fraction=0.4 [message]` or `##cosmos progress step=3 total=10 [message]`.
public struct JobProgress: Sendable, Equatable {
    /// Done so far, from 0 to 1.
    public var fraction: Double
    public var message: String?

    public init(fraction: Double, message: String? = nil) {
        self.fraction = fraction
        self.message = message
    }

    /// Parses a log line; nil for anything else (a batch run's `index=` lines included).
    public static func parse(_ line: String) -> JobProgress? {
        let prefix = "##cosmos progress "
        guard line.hasPrefix(prefix) else { return nil }
        var words = line.dropFirst(prefix.count).split(separator: " ", omittingEmptySubsequences: true)[...]
        func value(_ name: String) -> Double? {
            guard let word = words.first, word.hasPrefix(name + "="),
                let number = Double(word.dropFirst(name.count + 1)),
                number.isFinite
            else { return nil }
            words = words.dropFirst()
            return number
        }
        let fraction: Double
        if let given = value("fraction") {
            fraction = given
        } else if let step = value("step"), let total = value("total"), total > 0 {
            fraction = step / total
        } else {
            return nil
        }
        guard (0...1).contains(fraction) else { return nil }
        let message = words.joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines)
        return JobProgress(fraction: fraction, message: message.isEmpty ? nil : message)
    }
}
