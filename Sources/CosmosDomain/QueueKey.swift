/// Arithmetic of queue keys: sparse integers that order jobs within a priority level.
///
/// The queue is ordered by (priority descending, key ascending). Keys are spaced ``gap`` apart when
/// allocated, so a move lands between two neighbours by taking their midpoint and touches one row.
/// Only when two neighbours are adjacent integers does the store respace a small window around
/// them (see ``respace(count:lower:upper:)``), never the whole queue.
public enum QueueKey {
    /// The distance between freshly allocated keys.
    public static let gap: Int64 = 1 << 20

    /// The smallest spacing a respaced window may have; below it the window grows.
    public static let minimumSpacing: Int64 = 64

    /// A key strictly between `lower` and `upper`, or nil when they are adjacent.
    ///
    /// A nil bound means "no neighbour on that side": the key is then one ``gap`` beyond the other.
    public static func between(_ lower: Int64?, _ upper: Int64?) -> Int64? {
        switch (lower, upper) {
        case (nil, nil): return 0
        case (let low?, nil): return low.addingReportingOverflow(gap).overflow ? nil : low + gap
        case (nil, let high?): return high.subtractingReportingOverflow(gap).overflow ? nil : high - gap
        case (let low?, let high?):
            guard high - low >= 2 else { return nil }
            return low + (high - low) / 2
        }
    }

    /// Evenly spaced keys for `count` jobs strictly inside (`lower`, `upper`), or nil if too dense.
    ///
    /// A nil `lower` means the window starts the level, so it can always extend downwards.
    public static func respace(count: Int, lower: Int64?, upper: Int64) -> [Int64]? {
        precondition(count > 0)
        let slots = Int64(count + 1)
        guard let lower else {
            return (0..<count).map { upper - gap * (slots - 1 - Int64($0)) }
        }
        let spacing = (upper - lower) / slots
        guard spacing >= minimumSpacing else { return nil }
        return (1...count).map { lower + spacing * Int64($0) }
    }
}
