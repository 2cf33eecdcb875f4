import ArgumentParser
import CosmosAPI
import CosmosDomain
import Foundation

/// `cosmosctl submit`: queue one job from flags, or many from a file.
struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue jobs: one from flags, or many from --file (a JSON object, a JSON array, or JSON Lines).",
        usage: """
            cosmosctl submit --image IMAGE [--name N] [--kind K] [--gpus N] [--priority P] [--control NAME=WEIGHT]... \
            [--prompt TEXT] [--env K=V]... [-- COMMAND ARGS...]
            cosmosctl submit --file jobs.jsonl
            """
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "A file of job specs: one JSON object, a JSON array, or JSON Lines ('-' reads standard input).")
    var file: String?
    @Option(help: "The container image (must be in the daemon's allowlist).") var image: String?
    @Option(help: "A name for people.") var name: String?
    @Option(help: "inference, enhance or upscale.") var kind: String?
    @Option(help: "GPUs the job needs (default 1; 0 for CPU-only).") var gpus: Int?
    @Option(help: "Higher runs first (default 0).") var priority: Int?
    @Option(help: "A control input and its weight in [0, 1], e.g. edge=0.5. Repeatable.") var control: [String] = []
    @Option(help: "The prompt.") var prompt: String?
    @Option(help: "An environment variable K=V for the container. Repeatable.") var env: [String] = []
    @Option(help: "Retries of a non-zero exit of the job's own command.") var retries: Int?
    @Option(help: "A container memory limit such as 512m or 8g.") var memory: String?
    @Option(help: "An input file on the daemon's machine, staged as /cosmos/in/<file name>. Repeatable.")
    var input: [String] = []
    @Option(help: "A host label the job needs, K=V (e.g. gpu=a100). Repeatable.") var selector: [String] = []
    @Option(help: "Start only after these jobs succeeded: ID[,ID...]. Repeatable; with --file, for every job.")
    var after: [String] = []
    @Option(
        name: .customLong("after-any"),
        help: "Start only after these jobs ended, whatever the result: ID[,ID...]. Repeatable."
    )
    var afterAny: [String] = []
    @Flag(
        name: .customLong("batch-run"),
        help: "Run every job of --file in one container (the model loads once); prints the parent job."
    )
    var batchRun = false
    @Argument(parsing: .postTerminator, help: "The command to run instead of the image's default.")
    var command: [String] = []

    func run() async throws {
        let specs = try (file.map { try SpecFile.read(path: $0) } ?? [try specFromFlags()]).map(withDependencies)
        if file != nil, image != nil || name != nil || !command.isEmpty {
            throw CLIError.usage("--file cannot be combined with --image, --name or a command")
        }
        if batchRun {
            guard file != nil else { throw CLIError.usage("--batch-run needs --file with the items") }
            let parent = try await globals.withClient {
                try await $0.send(.POST, APIPath.batchRuns, body: SubmitRequest(jobs: specs), as: JobView.self)
            }
            if output.json { return try Output.printJSON(parent) }
            print(parent.id)
            return
        }
        let response = try await globals.withClient {
            try await $0.send(.POST, APIPath.jobs, body: SubmitRequest(jobs: specs), as: JobsResponse.self)
        }
        if output.json {
            return try response.jobs.count == 1 && file == nil
                ? Output.printJSON(response.jobs[0]) : Output.printJSON(response.jobs)
        }
        for job in response.jobs { print(job.id) }
    }

    /// The spec the flags describe; the daemon validates it and names any field it refuses.
    func specFromFlags() throws -> JSONValue {
        guard let image else { throw CLIError.usage("--image is required (or use --file)") }
        var spec: [String: JSONValue] = ["image": .string(image)]
        if let name { spec["name"] = .string(name) }
        if let kind { spec["kind"] = .string(kind) }
        if let gpus { spec["gpus"] = .number(Double(gpus)) }
        if let priority { spec["priority"] = .number(Double(priority)) }
        if let prompt { spec["prompt"] = .string(prompt) }
        if let retries { spec["retries"] = .number(Double(retries)) }
        if let memory { spec["memory"] = .string(memory) }
        if !input.isEmpty {
            // Relative paths mean the caller's directory; the daemon resolves links and checks permissions.
            let cwd = FileManager.default.currentDirectoryPath
            spec["inputs"] = .array(input.map { .string($0.hasPrefix("/") ? $0 : cwd + "/" + $0) })
        }
        if !selector.isEmpty {
            var labels: [String: JSONValue] = [:]
            for item in selector {
                let (key, value) = try Self.pair(item, flag: "--selector")
                labels[key] = .string(value)
            }
            spec["selector"] = .object(labels)
        }
        if !command.isEmpty { spec["command"] = .array(command.map(JSONValue.string)) }
        if !control.isEmpty {
            var controls: [String: JSONValue] = [:]
            for item in control {
                let (key, value) = try Self.pair(item, flag: "--control")
                guard let weight = Double(value) else {
                    throw CLIError.usage("--control \(item): the weight must be a number in [0, 1]")
                }
                controls[key] = .number(weight)
            }
            spec["controls"] = .object(controls)
        }
        if !env.isEmpty {
            var variables: [String: JSONValue] = [:]
            for item in env {
                let (key, value) = try Self.pair(item, flag: "--env")
                variables[key] = .string(value)
            }
            spec["env"] = .object(variables)
        }
        return .object(spec)
    }

    /// `spec` with the jobs of `--after` and `--after-any` added to its own `after` and `after_any`.
    func withDependencies(_ spec: JSONValue) throws -> JSONValue {
        guard case .object(var object) = spec, !after.isEmpty || !afterAny.isEmpty else { return spec }
        for (key, flag) in [("after", after), ("after_any", afterAny)] where !flag.isEmpty {
            var ids: [JSONValue] = []
            if let existing = object[key] {
                guard case .array(let items) = existing else { return spec }  // the daemon names the bad field
                ids = items
            }
            ids += Self.ids(flag).map(JSONValue.string)
            object[key] = .array(ids)
        }
        return .object(object)
    }

    /// Ids from repeatable, comma-separated flags (`--after a,b --after c`).
    static func ids(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
    }

    static func pair(_ text: String, flag: String) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw CLIError.usage("\(flag) \(text): expected NAME=VALUE")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}

/// Reads job specs from a file: one JSON object, a JSON array, or JSON Lines.
enum SpecFile {
    static func read(path: String) throws -> [JSONValue] {
        let contents =
            path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
        guard let data = contents else {
            throw CLIError.input("\(path): cannot read the file")
        }
        let text = String(decoding: data, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw CLIError.input("\(path): the file is empty") }
        if let whole = try? JSONValue.parse(Data(trimmed.utf8)) {
            if case .array(let items) = whole { return items }
            return [whole]
        }
        var items: [JSONValue] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            do {
                items.append(try JSONValue.parse(Data(line.utf8)))
            } catch {
                throw CLIError.input("\(path) line \(number + 1): \(error.reason)")
            }
        }
        return items
    }
}
