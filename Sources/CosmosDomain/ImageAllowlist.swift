import Foundation

/// Which images jobs may use: glob patterns where `*` matches any run of characters.
public struct ImageAllowlist: Sendable, Equatable {
    /// The patterns; nil means every image is allowed (no `[images]` section).
    public let patterns: [String]?

    public init(patterns: [String]?) {
        self.patterns = patterns
    }

    /// Whether `image` matches one of the patterns.
    public func allows(_ image: String) -> Bool {
        guard let patterns else { return true }
        return patterns.contains { Self.glob($0, matches: image) }
    }

    /// Matches `text` against `pattern`, where `*` stands for any run of characters.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { return pattern == text }
        var rest = Substring(text)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let range = rest.range(of: middle) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts[parts.count - 1])
    }
}
