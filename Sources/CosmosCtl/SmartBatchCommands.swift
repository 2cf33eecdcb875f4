import ArgumentParser
import CosmosAPI
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `cosmosctl smart-batch`: regroup a paused queue into batch runs so the model loads once per run.
struct SmartBatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smart-batch",
        abstract: "Regroup a paused queue into batch runs: analyze, preview, execute, report, discard.",
        discussion: """
            Nothing in the queue changes until `execute`. Job ids stay the same: the jobs become the items of \
            batch runs. `execute` exits \(SmartBatchExecute.staleExitCode) when the analysis is stale, and changes \
            nothing.
            """,
        subcommands: [
            SmartBatchAnalyze.self, SmartBatchPreview.self, SmartBatchExecute.self, SmartBatchReport.self,
            SmartBatchDiscard.self,
        ]
    )

    /// Prints an analysis for people.
    static func printPlan(_ plan: SmartBatchPlanView) {
        let estimate =
            plan.estimate == "learned"
            ? "learned from \(plan.groups.map(\.samples).reduce(0, +)) runs"
            : "default (the cost model has too few runs of these images and controls)"
        print("analysis \(plan.id) (\(plan.mode.rawValue)), \(plan.createdAt)")
        if let changes = plan.changes {
            print("STALE: \(changes). Run `cosmosctl smart-batch analyze` again.")
        }
        print(
            "\(plan.jobsBefore) jobs -> \(plan.runsAfter) runs; expected speedup of the grouped jobs "
                + "\(format(plan.expectedSpeedup))x (estimate: \(estimate))"
        )
        if !plan.groups.isEmpty {
            print("")
            Output.printTable(
                header: ["RUN", "SIZE", "LIMIT", "CONTROLS", "SPEEDUP", "L/c (s)", "JOBS"],
                rows: plan.groups.enumerated().map { index, group in
                    [
                        String(index + 1), String(group.size),
                        String(group.limit) + (group.limitNote.map { " (\($0))" } ?? ""),
                        group.controls.isEmpty ? "-" : group.controls.joined(separator: ","),
                        format(group.expectedSpeedup) + "x",
                        "\(format(group.setupSeconds))/\(format(group.itemSeconds)) \(group.estimate)",
                        group.jobIds.joined(separator: " "),
                    ]
                }
            )
        }
        if !plan.excluded.isEmpty {
            print("")
            print("stay alone:")
            Output.printTable(header: ["JOB", "WHY"], rows: plan.excluded.map { [$0.jobID, $0.reason] })
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }
}

/// `smart-batch analyze [--mixed] [--max-batch N]`.
struct SmartBatchAnalyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Plan which queued jobs could share a container (the queue must be paused); stores the plan."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Let jobs with different controls share a run under their union (each keeps its weights).")
    var mixed = false
    @Option(help: "At most this many jobs per run (lowers the configured limits, never raises them).")
    var maxBatch: Int?

    func validate() throws {
        if let maxBatch, maxBatch < 1 { throw ValidationError("--max-batch must be 1 or more") }
    }

    func run() async throws {
        let plan = try await globals.withClient {
            try await $0.send(
                .POST,
                APIPath.smartBatch(.analyze),
                body: SmartBatchAnalyzeRequest(mixed: mixed, maxBatch: maxBatch),
                as: SmartBatchPlanView.self
            )
        }
        if output.json { return try Output.printJSON(plan) }
        SmartBatch.printPlan(plan)
        print("")
        print("nothing changed yet: `cosmosctl smart-batch execute` applies it, `discard` forgets it")
    }
}

/// `smart-batch preview`.
struct SmartBatchPreview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Show the stored analysis, and whether the queue changed since."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let plan = try await globals.withClient {
            try await $0.send(.GET, APIPath.smartBatch, as: SmartBatchPlanView.self)
        }
        if output.json { return try Output.printJSON(plan) }
        SmartBatch.printPlan(plan)
    }
}

/// `smart-batch execute [--yes] [--keep-paused]`.
struct SmartBatchExecute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute",
        abstract: "Turn the stored analysis into batch runs in one step, then resume the queue.",
        discussion: "Exits \(staleExitCode) when the analysis is stale (the queue changed since): nothing is changed."
    )
    /// The exit status of a refusal because the analysis is stale.
    static let staleExitCode: Int32 = 3

    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .shortAndLong, help: "Do not ask for confirmation on a terminal.") var yes = false
    @Flag(help: "Leave the queue paused afterwards.") var keepPaused = false

    func run() async throws {
        do {
            try await globals.withClient { client in
                if !yes, isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 {
                    let plan = try await client.send(.GET, APIPath.smartBatch, as: SmartBatchPlanView.self)
                    SmartBatch.printPlan(plan)
                    print("")
                    // A stale plan is not worth a question: the daemon refuses it below. The lines above are out
                    // (a terminal's stdout is line-buffered); the question goes unbuffered.
                    if !plan.stale {
                        let question = "execute \(plan.id): \(plan.jobsBefore) jobs into \(plan.runsAfter) runs? [y/N] "
                        FileHandle.standardOutput.write(Data(question.utf8))
                        guard readLine().map({ ["y", "yes"].contains($0.lowercased()) }) == true else {
                            throw CLIError.usage("not executed")
                        }
                    }
                }
                let executed = try await client.send(
                    .POST,
                    APIPath.smartBatch(.execute),
                    body: SmartBatchExecuteRequest(keepPaused: keepPaused),
                    as: SmartBatchExecutedView.self
                )
                if output.json { return try Output.printJSON(executed) }
                print(
                    "executed \(executed.planId): \(executed.jobs) jobs in \(executed.runs.count) batch run"
                        + (executed.runs.count == 1 ? " " : "s ")
                        + "(\(executed.runs.joined(separator: " ")))"
                )
                print(executed.resumed ? "queue resumed" : "queue still paused: `cosmosctl resume` starts it")
            }
        } catch CLIError.daemon(let code, let message) where code == "stale_analysis" {
            FileHandle.standardError.write(Data(("Error: " + message + "\n").utf8))
            throw ExitCode(Self.staleExitCode)
        }
    }
}

/// `smart-batch report`.
struct SmartBatchReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "For the last executed plan: predicted against measured time, per run and in total."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let report = try await globals.withClient {
            try await $0.send(.GET, APIPath.smartBatch(.report), as: SmartBatchReportView.self)
        }
        if output.json { return try Output.printJSON(report) }
        let measured = report.measuredSpeedup.map { SmartBatch.format($0) + "x" } ?? "not yet (no run has ended)"
        print(
            "plan \(report.planId): predicted speedup \(SmartBatch.format(report.predictedSpeedup))x, measured \(measured)"
        )
        print("failed items: \(report.failedItems)")
        print("")
        Output.printTable(
            header: ["RUN", "SIZE", "STATE", "PREDICTED (s)", "MEASURED (s)", "ALONE (s)", "FAILED", "BACK ALONE"],
            rows: report.runs.map { run in
                [
                    run.parentId, String(run.size), run.state, SmartBatch.format(run.predictedSeconds),
                    run.measuredSeconds.map(SmartBatch.format) ?? "-", SmartBatch.format(run.aloneSeconds),
                    run.failedItems.isEmpty ? "-" : run.failedItems.joined(separator: " "),
                    run.requeuedItems.isEmpty ? "-" : run.requeuedItems.joined(separator: " "),
                ]
            }
        )
    }
}

/// `smart-batch discard`.
struct SmartBatchDiscard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discard",
        abstract: "Forget the stored analysis (the queue is unchanged)."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let discarded = try await globals.withClient {
            try await $0.send(.DELETE, APIPath.smartBatch, as: SmartBatchDiscardedView.self)
        }
        if output.json { return try Output.printJSON(discarded) }
        print("discarded \(discarded.planId)")
    }
}

/// `cosmosctl cost-model`: what the daemon has learned of each image's load time and time per item.
struct CostModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost-model",
        abstract: "Show the learned cost of runs: L (start and model load) and c (per item), per image and controls."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let entries = try await globals.withClient {
            try await $0.send(.GET, APIPath.costModel, as: [CostModelView].self)
        }
        if output.json { return try Output.printJSON(entries) }
        if entries.isEmpty { return print("no finished runs yet: the configured defaults ([smart_batch]) apply") }
        Output.printTable(
            header: ["IMAGE", "CONTROLS", "SAMPLES", "L (s)", "c (s)", "BOUND", "SOURCE"],
            rows: entries.map { entry in
                [
                    entry.image, entry.controls.isEmpty ? "-" : entry.controls.joined(separator: ","),
                    String(entry.samples), SmartBatch.format(entry.setupSeconds), SmartBatch.format(entry.itemSeconds),
                    entry.bound.map { SmartBatch.format($0) + "x" } ?? "-", entry.learned ? "learned" : "default",
                ]
            }
        )
    }
}
