/// Which state change `POST /containers/{id}/wait` waits for.
public enum WaitCondition: String, Sendable, Equatable, CaseIterable {
    /// Returns as soon as the container is not running (immediately for a created or exited container).
    case notRunning = "not-running"
    /// Waits for the next exit, even of a container not started yet; what `docker run` registers before starting.
    case nextExit = "next-exit"
    /// Waits until the container is removed.
    case removed = "removed"
}

/// How a waited-for container ended.
public struct WaitResult: Sendable, Equatable, Decodable {
    /// The exit code of the container's main process.
    public var statusCode: Int
    /// The engine's error while waiting, if any.
    public var errorMessage: String?

    /// Creates a result.
    public init(statusCode: Int, errorMessage: String? = nil) {
        self.statusCode = statusCode
        self.errorMessage = errorMessage
    }

    private enum CodingKeys: String, CodingKey {
        case statusCode = "StatusCode"
        case error = "Error"
    }

    private struct ErrorBody: Decodable {
        var message: String?

        enum CodingKeys: String, CodingKey {
            case message = "Message"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.statusCode = try container.decode(Int.self, forKey: .statusCode)
        let message = try container.decodeIfPresent(ErrorBody.self, forKey: .error)?.message
        self.errorMessage = message?.isEmpty == false ? message : nil
    }
}

/// A registered container wait; see ``DockerClient/registerWait(id:condition:)``.
///
/// The engine has registered the wait when the handle exists, so starting the container afterwards cannot miss its
/// exit. The handle reads the engine's answer in the background; ``result()`` may be called any number of times.
/// Dropping the last reference to the handle (or calling ``cancel()``) closes the request.
public final class WaitHandle: Sendable {
    private let task: Task<WaitResult, any Error>

    init(task: Task<WaitResult, any Error>) {
        self.task = task
    }

    deinit {
        self.task.cancel()
    }

    /// Waits for the condition and returns the exit code.
    ///
    /// Cancelling the calling task cancels the wait (the request is closed) and throws.
    public func result() async throws -> WaitResult {
        try await withTaskCancellationHandler {
            try await self.task.value
        } onCancel: {
            self.task.cancel()
        }
    }

    /// Closes the wait request; ``result()`` then throws.
    public func cancel() {
        self.task.cancel()
    }
}
