import CosmosAPI
import Foundation

extension ControlClient {
    /// Follows the event stream for `filters` after `since`, handing `body` each message, until `body` says stop.
    ///
    /// When the daemon stops or restarts the stream ends or fails; it reconnects after the last id received, so
    /// nothing is missed. An error answer of the daemon (a bad filter) is thrown.
    func followEvents(
        _ filters: [(String, String)],
        since: Int64?,
        until body: (ServerSentEvents.Message) async throws -> Bool
    ) async throws {
        var cursor = since
        while true {
            do {
                var query = filters + [("follow", "true")]
                if let cursor { query.append(("since", String(cursor))) }
                var parser = ServerSentEvents()
                for try await buffer in try await stream(APIPath.events, query: query) {
                    for message in parser.feed(buffer.readableBytesView) {
                        if let id = message.id.flatMap(Int64.init) { cursor = id }
                        if try await body(message) { return }
                    }
                }
            } catch let error as CLIError {
                // The daemon refused the request (a bad filter): final. Unreachable: look again.
                guard case .daemonUnreachable = error else { throw error }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // The daemon is away: look again shortly, after the last message received.
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
