import ArgumentParser
import CosmosAPI
import CosmosDomain
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `cosmosctl batch`: named groups of jobs with progress, ETA, pause, resume and cancel.
struct Batch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and manage named batches of jobs.",
        subcommands: [
            BatchCreate.self, BatchList.self, BatchShow.self, BatchPause.self, BatchResume.self, BatchCancel.self,
            BatchDelete.self, BatchMove.self, BatchRetryFailed.self,
        ]
    )
}

/// `batch create NAME --file F`: one batch with every job of the file, all or nothing.
struct BatchCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a batch from a file of job specs (JSON Lines or a JSON array), all or nothing."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The batch's name.") var name: String
    @Option(help: "The job specs: JSON Lines or a JSON array ('-' reads standard input).") var file: String

    func run() async throws {
        let specs = try SpecFile.read(path: file)
        let batch = try await globals.withClient {
            try await $0.send(
                .POST,
                APIPath.batches,
                body: BatchCreateRequest(name: name, jobs: specs),
                as: BatchView.self
            )
        }
        if output.json { return try Output.printJSON(batch) }
        print("\(batch.id) \(batch.name): \(batch.total) jobs queued")
    }
}

/// `batch list [--status S]`.
struct BatchList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List batches, newest first.")
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only batches with this status (pending, running, paused, completed, failed, cancelled).")
    var status: String?

    func run() async throws {
        let response = try await globals.withClient {
            try await $0.send(
                .GET,
                APIPath.batches,
                query: status.map { [("status", $0)] } ?? [],
                as: BatchesResponse.self
            )
        }
        if output.json { return try Output.printJSON(response.batches) }
        Output.printTable(
            header: ["ID", "NAME", "STATUS", "PROGRESS", "DONE", "FAILED", "RUNNING", "QUEUED", "ETA"],
            rows: response.batches.map { batch in
                [
                    batch.id, batch.name, batch.status.rawValue, "\(batch.percent)%",
                    "\(batch.completed)/\(batch.total)",
                    String(batch.failed), String(batch.running), String(batch.queued),
                    BatchFormat.eta(batch.etaSeconds),
                ]
            }
        )
    }
}

/// `batch show ID [--watch]`: the batch, then each job; `--watch` redraws until it ends.
struct BatchShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a batch and its jobs; --watch shows live progress until it ends (or Ctrl-C)."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The batch id.") var id: String
    @Flag(help: "Redraw the progress as it changes (from the event stream) until the batch ends.") var watch = false
    @Option(help: "Accepted for older scripts; --watch now redraws as events arrive.") var interval: Double = 1

    func run() async throws {
        guard watch else {
            let batch = try await fetch()
            if output.json { return try Output.printJSON(batch) }
            print(BatchFormat.panel(batch))
            return
        }
        let terminal = isatty(STDOUT_FILENO) == 1
        var last = ""
        func draw(_ batch: BatchView) throws {
            let frame = output.json ? try BatchFormat.json(batch) : BatchFormat.panel(batch)
            guard frame != last else { return }
            if terminal && !output.json { print("\u{1B}[H\u{1B}[2J", terminator: "") }
            print(frame)
            fflush(nil)  // every stream: print buffers when piped
            last = frame
        }
        // Where the log stands, then the batch: every change after that arrives on the event stream.
        let since = try await globals.withClient { try await $0.send(.GET, APIPath.status, as: StatusView.self) }
            .eventSeq
        let first = try await fetch()
        try draw(first)
        if first.status.isFinished { return }
        try await globals.withClient { client in
            try await client.followEvents([("batch", id), ("type", "batch.progress")], since: since) { _ in
                let batch = try await client.send(.GET, APIPath.batch(id), as: BatchView.self)
                try draw(batch)
                return batch.status.isFinished
            }
        }
    }

    private func fetch() async throws -> BatchView {
        try await globals.withClient { try await $0.send(.GET, APIPath.batch(id), as: BatchView.self) }
    }
}

/// A batch verb that takes an id and prints the batch.
protocol BatchActionCommand: AsyncParsableCommand {
    var globals: GlobalOptions { get }
    var output: OutputOptions { get }
    var id: String { get }
    static var action: BatchAction { get }
}

extension BatchActionCommand {
    func perform(body: (some Encodable)? = nil as Int?) async throws {
        let batch = try await globals.withClient {
            try await $0.send(.POST, APIPath.batch(id, Self.action), body: body, as: BatchView.self)
        }
        if output.json { return try Output.printJSON(batch) }
        print(
            "\(batch.id) \(batch.name): \(batch.status), \(batch.percent)% (\(batch.completed + batch.failed + batch.cancelled)/\(batch.total))"
        )
    }
}

/// `batch pause ID`: its queued jobs are held; running ones finish.
struct BatchPause: BatchActionCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause a batch: its queued jobs are held, running ones finish."
    )
    static let action = BatchAction.pause
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The batch id.") var id: String
    func run() async throws { try await perform() }
}

/// `batch resume ID`.
struct BatchResume: BatchActionCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused batch.")
    static let action = BatchAction.resume
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The batch id.") var id: String
    func run() async throws { try await perform() }
}

/// `batch cancel ID [--running]`.
struct BatchCancel: BatchActionCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a batch's queued jobs; with --running also stop its running ones."
    )
    static let action = BatchAction.cancel
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The batch id.") var id: String
    @Flag(help: "Also stop the batch's running jobs.") var running = false
    func run() async throws { try await perform(body: BatchCancelRequest(running: running)) }
}

/// `batch retry-failed ID`.
struct BatchRetryFailed: BatchActionCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry-failed",
        abstract: "Put every failed job of the batch back in the queue."
    )
    static let action = BatchAction.retryFailed
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The batch id.") var id: String
    func run() async throws { try await perform() }
}

/// `batch move ID --top | --bottom | --before JOB | --after JOB`.
struct BatchMove: BatchActionCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Move all queued jobs of a batch together, keeping their order."
    )
    static let action = BatchAction.move
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The batch id.") var id: String
    @Flag(help: "Before every other job of their priority.") var top = false
    @Flag(help: "After every other job of their priority.") var bottom = false
    @Option(help: "Just before this job.") var before: String?
    @Option(help: "Just after this job.") var after: String?

    func validate() throws {
        guard [top, bottom, before != nil, after != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --top, --bottom, --before JOB, --after JOB")
        }
    }

    func run() async throws {
        let request =
            top
            ? MoveRequest(to: .top)
            : bottom
                ? MoveRequest(to: .bottom)
                : before.map { MoveRequest(to: .before, job: $0) } ?? MoveRequest(to: .after, job: after)
        try await perform(body: request)
    }
}

/// `batch delete ID`: only a finished batch; removes its records.
struct BatchDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a finished batch and its jobs' records, logs and outputs."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The batch id.") var id: String

    func run() async throws {
        let deleted = try await globals.withClient {
            try await $0.send(.DELETE, APIPath.batch(id), as: BatchDeletedResponse.self)
        }
        if output.json { return try Output.printJSON(deleted) }
        print("batch \(deleted.id) deleted (\(deleted.jobs) jobs)")
    }
}
