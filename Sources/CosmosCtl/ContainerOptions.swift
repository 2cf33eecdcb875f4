import ArgumentParser

/// The container options of the workflow verbs (`upscale`, `enhance-batch`), whose defaults come from the
/// daemon's table for the verb (`[upscale]`, `[enhance]`). The command after `--` is each verb's own argument:
/// argument-parser allows no positional argument after `enhance-batch`'s list of ids.
struct ContainerOptions: ParsableArguments {
    @Option(help: "The container image (default: the daemon's configured one for this verb).") var image: String?
    @Option(help: "GPUs the container needs (default 1).") var gpus: Int?
    @Option(help: "An environment variable K=V for the container. Repeatable.") var env: [String] = []
    @Option(help: "A container memory limit such as 512m or 8g.") var memory: String?

    /// `--env` as a dictionary; nil when none was given.
    func environment() throws -> [String: String]? {
        guard !env.isEmpty else { return nil }
        var variables: [String: String] = [:]
        for item in env {
            let (key, value) = try Submit.pair(item, flag: "--env")
            variables[key] = value
        }
        return variables
    }
}
