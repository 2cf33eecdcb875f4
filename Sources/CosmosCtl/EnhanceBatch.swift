import ArgumentParser
import CosmosAPI

/// `cosmosctl enhance-batch`: one container enhances the prompts of queued jobs, updating them or queueing copies.
struct EnhanceBatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enhance-batch",
        abstract: "Enhance the prompts of queued or held jobs in one container (the model loads once).",
        usage: """
            cosmosctl enhance-batch ID... (--update | --create-new) [--model NAME] [--image IMG] [-- COMMAND ARGS...]
            cosmosctl enhance-batch --batch B (--update | --create-new)
            """,
        discussion: """
            --update rewrites each source job's prompt when the run ends; the sources are held while it runs. \
            --create-new queues a copy of each source, named "<name> (enhanced)", right after it. A source that \
            started, failed or was cancelled meanwhile is left alone; `cosmosctl show RUN` reports each item.
            """
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The queued or held inference jobs whose prompts to enhance; after `--`, the command to run.")
    var words: [String] = []
    @Option(help: "Also every queued job of this batch.") var batch: String?
    @Flag(help: "Rewrite the source jobs' prompts in place.") var update = false
    @Flag(name: .customLong("create-new"), help: "Queue enhanced copies of the source jobs next to them.")
    var createNew = false
    @Option(help: "The prompt-upsampling model (default: the daemon's [enhance] model).") var model: String?
    @OptionGroup var container: ContainerOptions

    func run() async throws {
        // argument-parser puts the words after `--` at the end of the one positional list: they are the command.
        let raw = CommandLine.arguments
        let command = raw.firstIndex(of: "--").map { Array(raw[(raw.index(after: $0))...]) } ?? []
        let ids = Array(words.dropLast(command.count))
        guard update != createNew else {
            throw CLIError.usage("choose one: --update (rewrite the prompts) or --create-new (queue enhanced copies)")
        }
        guard !ids.isEmpty || batch != nil else {
            throw CLIError.usage("name the jobs to enhance (IDs), or --batch B")
        }
        let request = EnhanceBatchRequest(
            jobs: ids,
            batch: batch,
            mode: update ? "update" : "create_new",
            model: model,
            image: container.image,
            gpus: container.gpus,
            env: try container.environment(),
            memory: container.memory,
            command: command.isEmpty ? nil : command
        )
        let parent = try await globals.withClient {
            try await $0.send(.POST, APIPath.enhanceRuns, body: request, as: JobView.self)
        }
        if output.json { return try Output.printJSON(parent) }
        print(parent.id)
    }
}
