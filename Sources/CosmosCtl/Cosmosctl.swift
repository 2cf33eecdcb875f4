import ArgumentParser
import CosmosAPI
import Foundation

/// `cosmosctl`: the command-line client of cosmos-worker.
public struct Cosmosctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cosmosctl",
        abstract: "Submit and manage cosmos-worker GPU jobs.",
        discussion: """
            Talks to the daemon over its Unix socket. Tables by default, --json for scripts. Exits 1 on an error, \
            and 4 when the daemon refuses the caller (only the owner or an admin may do it).
            """,
        subcommands: [
            Submit.self, Status.self, List.self, Show.self, Logs.self, Cancel.self, Retry.self, Hold.self,
            Release.self, Move.self, Priority.self, Pause.self, Resume.self, Wait.self, Hosts.self, Batch.self,
            Events.self, SmartBatch.self, CostModelCommand.self, Maintenance.self, Upscale.self, EnhanceBatch.self,
            UsageCommand.self, Web.self,
        ]
    )

    public init() {}

    /// Runs cosmosctl with the process's arguments, accepting `--socket PATH` before the verb too.
    public static func runMain() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, first == "--socket", arguments.count >= 2 {
            GlobalOptions.leadingSocket = arguments[1]
            arguments.removeFirst(2)
        } else if let first = arguments.first, first.hasPrefix("--socket=") {
            GlobalOptions.leadingSocket = String(first.dropFirst("--socket=".count))
            arguments.removeFirst()
        }
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch CLIError.daemon(let code, let message) where code == "forbidden" {
            // A refusal has its own exit code, so scripts can tell "not allowed" from "failed".
            FileHandle.standardError.write(Data(("Error: " + message + "\n").utf8))
            exit(withError: ExitCode(forbiddenExitCode))
        } catch {
            exit(withError: error)
        }
    }

    /// The exit code of a request the daemon refused (HTTP 403): the caller may not do this.
    public static let forbiddenExitCode: Int32 = 4
}
