import ArgumentParser
import CosmosAPI

/// `cosmosctl status`: the queue's state and counts.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show whether the queue runs, and job counts.")
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let status = try await globals.withClient { try await $0.send(.GET, APIPath.status, as: StatusView.self) }
        if output.json { return try Output.printJSON(status) }
        Self.printStatus(status)
    }

    static func printStatus(_ status: StatusView) {
        print("queue:     \(status.paused ? "paused (nothing new starts; `cosmosctl resume`)" : "running")")
        print("gpus:      \(status.gpusUsed)/\(status.gpusTotal) busy on \(status.hostsUp)/\(status.hostsTotal) hosts")
        let order = ["queued", "held", "starting", "running", "succeeded", "failed", "cancelled"]
        print("jobs:      " + order.map { "\($0) \(status.counts[$0] ?? 0)" }.joined(separator: ", "))
        print("policy:    \(status.policy)")
        print("instance:  \(status.instance) (cosmos-worker \(status.version))")
    }
}

/// `cosmosctl pause`: nothing new starts; running jobs carry on.
struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pause the queue: nothing new starts, running jobs carry on."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let status = try await globals.withClient { try await $0.send(.POST, APIPath.pause, as: StatusView.self) }
        if output.json { return try Output.printJSON(status) }
        print("queue paused")
    }
}

/// `cosmosctl resume`: the queue proceeds.
struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume the queue.")
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let status = try await globals.withClient { try await $0.send(.POST, APIPath.resume, as: StatusView.self) }
        if output.json { return try Output.printJSON(status) }
        print("queue resumed")
    }
}
