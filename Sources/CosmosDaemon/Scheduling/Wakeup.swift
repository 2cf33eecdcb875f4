import Synchronization

/// A level-triggered wake-up signal: `signal()` makes the current (or next) `wait` return at once.
///
/// Built on a continuation, not an `AsyncStream`: cancelling a pending `AsyncStream.next()` terminates the
/// stream, after which every wait would return at once and the waiting loop would spin.
final class Wakeup: Sendable {
    private struct Waiter {
        var token: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var signaled = false
        var waiter: Waiter?
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Wakes the waiter (coalesced: many signals before a wait count as one).
    func signal() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.signaled = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        continuation?.resume()
    }

    /// Returns on a signal, after `timeout`, or when the task is cancelled. One waiter at a time.
    func wait(timeout: Duration) async {
        let token = state.withLock { state -> UInt64 in
            state.nextToken += 1
            return state.nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signaled || Task.isCancelled {
                        state.signaled = false
                        return true
                    }
                    state.waiter = Waiter(token: token, continuation: continuation)
                    return false
                }
                if resumeNow {
                    continuation.resume()
                    return
                }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.resume(token)
                }
            }
        } onCancel: {
            resume(token)
        }
    }

    /// Resumes the waiter with `token`, if it is still waiting.
    private func resume(_ token: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.token == token else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        continuation?.resume()
    }
}
