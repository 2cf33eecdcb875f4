/// A refused job spec: names the field (a path such as `jobs[3].controls.edge`) and the reason.
public struct SpecError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The path of the offending field.
    public var field: String
    /// Why it was refused, in words a user can act on.
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }

    /// The same error with its field path put under `prefix` (`items[13]` + `image` → `items[13].image`).
    public func nested(under prefix: String) -> SpecError {
        SpecError(field: field.isEmpty ? prefix : "\(prefix).\(field)", reason: reason)
    }
}
