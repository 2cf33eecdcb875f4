import ArgumentParser
import CosmosAPI

/// `cosmosctl`: the command-line client of cosmos-worker.
public struct Cosmosctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cosmosctl",
        abstract: "Submit and manage cosmos-worker GPU jobs.",
        discussion: "Talks to the daemon over its Unix socket. Tables by default, --json for scripts.",
        subcommands: [
            Submit.self, Status.self, List.self, Show.self, Logs.self, Cancel.self, Retry.self, Hold.self,
            Release.self, Move.self, Priority.self, Pause.self, Resume.self, Wait.self, Hosts.self, Batch.self,
            Events.self, SmartBatch.self, CostModelCommand.self,
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
        await main(arguments)
    }
}
