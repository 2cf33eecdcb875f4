/// Where a queued job is moved to, within its priority level.
public enum MoveTarget: Sendable, Equatable {
    /// Before every other job of its priority.
    case top
    /// After every other job of its priority (as if submitted now).
    case bottom
    /// Just before another queued job of the same priority.
    case before(String)
    /// Just after another queued job of the same priority.
    case after(String)
    /// To the 1-based queue position `n`, clamped to its priority level.
    case position(Int)
}
