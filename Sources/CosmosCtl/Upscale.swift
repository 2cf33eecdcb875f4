import ArgumentParser
import CosmosAPI
import CosmosDomain
import Foundation

/// `cosmosctl upscale`: a 4K version of a job's video or of a video file, queued as an `upscale` job.
struct Upscale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue an upscale of a job's video (waiting for the job if needed) or of a video file.",
        usage: """
            cosmosctl upscale --from-job ID [--output NAME] [--weight 0.5] [--prompt TEXT] [--image IMG] [--gpus N] \
            [-- COMMAND ARGS...]
            cosmosctl upscale --video PATH [--weight 0.5] [--prompt TEXT]
            """
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(name: .customLong("from-job"), help: "The job whose video to upscale; waited for if it has not finished.")
    var fromJob: String?
    @Option(name: .customLong("output"), help: "Which video of the job's outputs, when it has several.")
    var outputName: String?
    @Option(help: "A video file on the daemon's machine, under the input policy.") var video: String?
    @Option(help: "The upscaler's control weight in [0, 1] (default: the daemon's [upscale] weight).")
    var weight: Double?
    @Option(help: "A prompt for the upscaler (none is sent unless given).") var prompt: String?
    @Option(help: "A name for people.") var name: String?
    @Option(help: "Higher runs first (default 0).") var priority: Int?
    @OptionGroup var container: ContainerOptions
    @Argument(parsing: .postTerminator, help: "The command to run instead of the configured one.")
    var command: [String] = []

    func run() async throws {
        guard (fromJob == nil) != (video == nil) else {
            throw CLIError.usage("give one source: --from-job ID or --video PATH")
        }
        let cwd = FileManager.default.currentDirectoryPath
        let request = UpscaleRequest(
            fromJob: fromJob,
            output: outputName,
            video: video.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 },
            weight: weight,
            prompt: prompt,
            name: name,
            image: container.image,
            gpus: container.gpus,
            env: try container.environment(),
            memory: container.memory,
            command: command.isEmpty ? nil : command,
            priority: priority
        )
        let response = try await globals.withClient {
            try await $0.send(.POST, APIPath.upscales, body: request, as: JobsResponse.self)
        }
        guard let job = response.jobs.first else { throw CLIError.input("the daemon returned no job") }
        if output.json { return try Output.printJSON(job) }
        print(job.id)
    }
}
