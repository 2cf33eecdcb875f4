import ArgumentParser
import CosmosAPI
import CosmosDomain

/// `cosmosctl show ID`: one job in detail.
struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one job.")
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The job id.") var id: String

    func run() async throws {
        let job = try await globals.withClient { try await $0.send(.GET, APIPath.job(id), as: JobView.self) }
        if output.json { return try Output.printJSON(job) }
        Output.printJob(job)
    }
}

/// A command that applies one action to one or more jobs and prints them.
protocol JobActionCommand: AsyncParsableCommand {
    var globals: GlobalOptions { get }
    var output: OutputOptions { get }
    var ids: [String] { get }
    static var action: JobAction { get }
    static var pastTense: String { get }
}

extension JobActionCommand {
    func run() async throws {
        let jobs = try await globals.withClient { client in
            var jobs: [JobView] = []
            for id in ids {
                jobs.append(try await client.send(.POST, APIPath.job(id, Self.action), as: JobView.self))
            }
            return jobs
        }
        if output.json { return try jobs.count == 1 ? Output.printJSON(jobs[0]) : Output.printJSON(jobs) }
        for job in jobs { print("\(job.id) \(Self.pastTense) (\(job.state.rawValue))") }
    }
}

/// `cosmosctl cancel ID...`.
struct Cancel: JobActionCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel jobs; a running job's container is stopped.")
    static let action = JobAction.cancel
    static let pastTense = "cancelled"
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Job ids.") var ids: [String]
}

/// `cosmosctl retry ID...`.
struct Retry: JobActionCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put failed or cancelled jobs back in the queue, at their original place, as a new attempt."
    )
    static let action = JobAction.retry
    static let pastTense = "queued again"
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Job ids.") var ids: [String]
}

/// `cosmosctl hold ID...`.
struct Hold: JobActionCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hold queued jobs: they keep their place but are skipped."
    )
    static let action = JobAction.hold
    static let pastTense = "held"
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Job ids.") var ids: [String]
}

/// `cosmosctl release ID...`.
struct Release: JobActionCommand {
    static let configuration = CommandConfiguration(abstract: "Release held jobs.")
    static let action = JobAction.release
    static let pastTense = "released"
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Job ids.") var ids: [String]
}

/// `cosmosctl move ID --top | --bottom | --before OTHER | --after OTHER | --to N`.
struct Move: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a queued job within its priority level.",
        discussion: "Moves reorder jobs of the same priority. To pass jobs of a higher priority, raise the priority."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The job to move.") var id: String
    @Flag(help: "Before every other job of its priority.") var top = false
    @Flag(help: "After every other job of its priority.") var bottom = false
    @Option(help: "Just before this job.") var before: String?
    @Option(help: "Just after this job.") var after: String?
    @Option(name: .customLong("to"), help: "To this 1-based position (kept within its priority level).") var position:
        Int?

    func validate() throws {
        let chosen = [top, bottom, before != nil, after != nil, position != nil].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError("give exactly one of --top, --bottom, --before JOB, --after JOB, --to N")
        }
    }

    func run() async throws {
        let request: MoveRequest
        if top {
            request = MoveRequest(to: .top)
        } else if bottom {
            request = MoveRequest(to: .bottom)
        } else if let before {
            request = MoveRequest(to: .before, job: before)
        } else if let after {
            request = MoveRequest(to: .after, job: after)
        } else {
            request = MoveRequest(to: .position, position: position)
        }
        let job = try await globals.withClient {
            try await $0.send(.POST, APIPath.job(id, .move), body: request, as: JobView.self)
        }
        if output.json { return try Output.printJSON(job) }
        print("\(job.id) is at position \(job.position.map(String.init) ?? "-")")
    }
}

/// `cosmosctl priority ID P`.
struct Priority: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change a queued job's priority (higher runs first; it keeps its submission order)."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The job id.") var id: String
    @Argument(help: "The new priority, -1000...1000.") var priority: Int

    func run() async throws {
        let job = try await globals.withClient {
            try await $0.send(
                .POST,
                APIPath.job(id, .priority),
                body: PriorityRequest(priority: priority),
                as: JobView.self
            )
        }
        if output.json { return try Output.printJSON(job) }
        print("\(job.id) has priority \(job.priority), position \(job.position.map(String.init) ?? "-")")
    }
}
