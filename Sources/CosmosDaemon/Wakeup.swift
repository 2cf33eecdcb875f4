/// A level-triggered wake-up signal: `signal()` makes the next (or current) `wait` return at once.
final class Wakeup: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Wakes the waiter (coalesced: many signals before a wait count as one).
    func signal() {
        continuation.yield()
    }

    /// Returns on a signal, after `timeout`, or when the task is cancelled. Only one waiter at a time.
    func wait(timeout: Duration) async {
        let stream = self.stream
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var iterator = stream.makeAsyncIterator()
                _ = await iterator.next()
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
