import Foundation

/// What a container says about its own failure, on stdout lines of their own (runner contract v1).
///
/// - `##cosmos error "<JSON string>"`: the job's error text (the last such line counts), such as the model's exit
///   code and the last lines of its stderr.
/// - `##cosmos oom`: the model ran out of (GPU) memory; a non-zero exit is then recorded with reason `oom`, as an
///   OOM kill is.
public struct RunnerReport: Sendable, Equatable {
    /// The last error text the container reported.
    public var error: String?
    /// Whether the container reported running out of memory.
    public var outOfMemory = false

    public init() {}

    /// The longest error text kept.
    public static let maxErrorBytes = 8192

    /// Applies one line of stdout; returns whether it was a report line.
    @discardableResult
    public mutating func apply(line text: String) -> Bool {
        if text == "##cosmos oom" || text.hasPrefix("##cosmos oom ") {
            outOfMemory = true
            return true
        }
        guard text.hasPrefix("##cosmos error ") else { return false }
        let payload = text.dropFirst("##cosmos error ".count)
        let decoded = try? JSONDecoder().decode(String.self, from: Data(payload.utf8))
        var message = decoded ?? String(payload)
        if message.utf8.count > Self.maxErrorBytes {
            message = String(decoding: message.utf8.suffix(Self.maxErrorBytes), as: UTF8.self)
        }
        error = message.isEmpty ? nil : message
        return true
    }
}
