import ArgumentParser
import Foundation

/// Options every command takes, before or after the verb.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "The daemon's control socket (default: $COSMOS_SOCKET, /run/cosmos-worker/cosmos.sock, ./cosmos-state/cosmos.sock)."
    )
    var socket: String?

    /// The socket to use: `--socket`, `$COSMOS_SOCKET`, the system socket if it exists, the embedded default's.
    func resolvedSocket(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let socket = socket ?? GlobalOptions.leadingSocket { return socket }
        if let socket = environment["COSMOS_SOCKET"], !socket.isEmpty { return socket }
        if FileManager.default.fileExists(atPath: "/run/cosmos-worker/cosmos.sock") {
            return "/run/cosmos-worker/cosmos.sock"
        }
        return "./cosmos-state/cosmos.sock"
    }

    /// A `--socket PATH` given before the verb (`cosmosctl --socket PATH status`), taken out by `main`.
    nonisolated(unsafe) static var leadingSocket: String?

    /// Connects to the daemon, runs `body`, and closes the connection.
    func withClient<T>(_ body: (ControlClient) async throws -> T) async throws -> T {
        let client = ControlClient(socketPath: resolvedSocket())
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// `--json` for commands that can print machine-readable output.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false
}
