/// A type-erased stream over any sendable async sequence, so the engine seam can return one stream type.
extension AsyncThrowingStream where Failure == any Error {
    /// A stream that pulls from `base` as it is consumed (no buffering, no extra task).
    init<Base: AsyncSequence & Sendable>(wrapping base: Base) where Base.Element == Element {
        let box = IteratorBox(base.makeAsyncIterator())
        self.init(unfolding: { try await box.next() })
    }
}

/// Holds an iterator for a stream's `unfolding` closure; a stream has a single consumer, which calls in turn.
private final class IteratorBox<Iterator: AsyncIteratorProtocol>: @unchecked Sendable {
    private var iterator: Iterator

    init(_ iterator: Iterator) {
        self.iterator = iterator
    }

    func next() async throws -> Iterator.Element? {
        try await iterator.next()
    }
}
