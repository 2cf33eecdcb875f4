import ArgumentParser
import CosmosAPI

/// `cosmosctl hosts`: the GPU hosts, their state and load; `drain` and `resume` one.
struct Hosts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the GPU hosts; drain or resume one.",
        subcommands: [HostList.self, HostDrain.self, HostResume.self],
        defaultSubcommand: HostList.self
    )
}

/// `cosmosctl hosts [list]`: name, state, GPUs used/total, running jobs, endpoint.
struct HostList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the hosts: state (up, down, draining, drained), GPUs used/total, running jobs, endpoint."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let response = try await globals.withClient { try await $0.send(.GET, APIPath.hosts, as: HostsResponse.self) }
        if output.json { return try Output.printJSON(response.hosts) }
        Output.printHosts(response.hosts)
    }
}

/// `cosmosctl hosts drain NAME`: no new jobs go there; running jobs finish.
struct HostDrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Drain a host: no new jobs go there, running jobs finish. Survives restarts."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The host's name, as in `cosmosctl hosts`.") var name: String

    func run() async throws {
        let host = try await globals.withClient {
            try await $0.send(.POST, APIPath.host(name, .drain), as: HostView.self)
        }
        if output.json { return try Output.printJSON(host) }
        print("host \(host.name) \(host.state.rawValue) (\(host.running) running)")
    }
}

/// `cosmosctl hosts resume NAME`: the host takes work again.
struct HostResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a drained host: it takes work again."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The host's name, as in `cosmosctl hosts`.") var name: String

    func run() async throws {
        let host = try await globals.withClient {
            try await $0.send(.POST, APIPath.host(name, .resume), as: HostView.self)
        }
        if output.json { return try Output.printJSON(host) }
        print("host \(host.name) \(host.state.rawValue)")
    }
}
