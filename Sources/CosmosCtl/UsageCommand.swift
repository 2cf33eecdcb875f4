import ArgumentParser
import CosmosAPI
import Foundation

/// `cosmosctl usage [--since DATE] [--by owner|image]`: GPU-seconds of finished attempts, summed.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Sum the GPU-seconds (GPUs times run time) of attempts, by owner or by image.",
        discussion: """
            Every attempt that held GPUs counts, whatever its result; a batch run's GPU time is shared evenly \
            among its items. --since takes a date (2026-12-01, UTC midnight), an RFC 3339 time, or an age such \
            as 36h or 7d.
            """
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Count attempts that ended at or after this: 2026-12-01, 2026-12-01T08:00:00Z, 36h, 7d.")
    var since: Since?
    @Option(help: "Group by owner or image.") var by: Grouping = .owner

    enum Grouping: String, ExpressibleByArgument, CaseIterable {
        case owner, image
    }

    func run() async throws {
        var query = [("by", by.rawValue)]
        if let since { query.append(("since", Timestamp.format(since.date))) }
        let view = try await globals.withClient {
            try await $0.send(.GET, APIPath.usage, query: query, as: UsageView.self)
        }
        if output.json { return try Output.printJSON(view) }
        Output.printTable(
            header: [by == .owner ? "OWNER" : "IMAGE", "JOBS", "ATTEMPTS", "GPU-SECONDS", "GPU-HOURS"],
            rows: view.rows.map { row in
                [
                    row.user.map { "\($0) (\(row.key))" } ?? row.key, String(row.jobs), String(row.attempts),
                    String(format: "%.1f", row.gpuSeconds), String(format: "%.2f", row.gpuSeconds / 3600),
                ]
            } + [
                [
                    "total", String(view.rows.reduce(0) { $0 + $1.jobs }),
                    String(view.rows.reduce(0) { $0 + $1.attempts }), String(format: "%.1f", view.totalGpuSeconds),
                    String(format: "%.2f", view.totalGpuSeconds / 3600),
                ]
            ]
        )
    }
}

/// A `--since` value: a date, an RFC 3339 time, or an age (`36h`, `7d`, `90m`) counted back from now.
struct Since: ExpressibleByArgument {
    var date: Date

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        if let unit = text.last, let amount = Double(text.dropLast()), amount >= 0,
            let seconds = ["s": 1.0, "m": 60, "h": 3600, "d": 86400][String(unit)]
        {
            date = Date().addingTimeInterval(-amount * seconds)
        } else if let time = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) {
            date = time
        } else if let time = try? Date.ISO8601FormatStyle().parse(text) {
            date = time
        } else if let day = try? Date.ISO8601FormatStyle().year().month().day().parse(text) {
            date = day
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
