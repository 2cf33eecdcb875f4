import ArgumentParser
import CosmosAPI
import Foundation
import NIOCore

/// `cosmosctl list`: the queue in order, then the others; printed as the daemon streams them.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List jobs: the queue in order, then the others.",
        discussion: """
            The daemon streams the list as it reads it and cosmosctl prints as it receives, so a list of a million \
            jobs starts at once and neither side holds it whole. The table sizes its columns on the first 1000 \
            rows. --json prints one JSON array (as always); --jsonl prints one compact object a line, which \
            scripts can read as it comes.
            """
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only jobs in this state (queued, held, starting, running, succeeded, failed, cancelled).")
    var state: String?
    @Option(help: "Only this user's jobs (a user name or a uid).") var owner: String?
    @Option(help: "Only the jobs of this batch (an id from `batch list`).") var batch: String?
    @Option(help: "Only jobs submitted at or after this: 2026-12-01, 2026-12-01T08:00:00Z, 36h, 7d.")
    var since: Since?
    @Option(help: "At most this many jobs.") var limit: Int?
    @Flag(help: "One compact JSON object a line, printed as it arrives.") var jsonl = false

    func validate() throws {
        if jsonl && output.json { throw ValidationError("--json and --jsonl: choose one") }
    }

    func run() async throws {
        var query: [(String, String)] = [("format", "jsonl")]
        if let state { query.append(("state", state)) }
        if let owner { query.append(("owner", owner)) }
        if let batch { query.append(("batch", batch)) }
        if let since { query.append(("since", Timestamp.format(since.date))) }
        if let limit { query.append(("limit", String(limit))) }
        if jsonl {
            // The daemon sends exactly this format: pass it through as it comes.
            return try await globals.withClient { client in
                for try await buffer in try await client.stream(APIPath.jobs, query: query) {
                    FileHandle.standardOutput.write(Data(buffer.readableBytesView))
                }
            }
        }
        var printer = JobListPrinter(mode: output.json ? .json : .table)
        try await globals.withClient { client in
            let body = try await client.stream(APIPath.jobs, query: query)
            var lines = LineSplitter()
            for try await buffer in body {
                for line in lines.feed(buffer) { try printer.add(line) }
            }
            if let rest = lines.finish() { try printer.add(rest) }
        }
        printer.finish()
    }
}

/// Splits a byte stream into lines (without their `\n`).
struct LineSplitter {
    private var pending: [UInt8] = []

    /// The whole lines `buffer` completes.
    mutating func feed(_ buffer: ByteBuffer) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var rest = buffer.readableBytesView[...]
        while let end = rest.firstIndex(of: UInt8(ascii: "\n")) {
            if pending.isEmpty {
                lines.append(Array(rest[..<end]))
            } else {
                pending += rest[..<end]
                lines.append(pending)
                pending = []
            }
            rest = rest[rest.index(after: end)...]
        }
        pending += rest
        return lines
    }

    /// What is left after the last `\n`, if anything.
    mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.isEmpty ? nil : pending
    }
}

/// Prints jobs as they arrive: as a table (columns sized on the first rows) or as one JSON array.
struct JobListPrinter {
    enum Mode { case table, json }

    let mode: Mode
    private var count = 0
    private var held: [[String]] = []
    private var widths: [Int]?
    /// Rows the table holds to size its columns before it prints the first.
    static let sizingRows = 1000
    static let header = ["POS", "ID", "NAME", "STATE", "PRI", "GPUS", "HOST", "IMAGE", "REASON"]

    init(mode: Mode) { self.mode = mode }

    /// One job, as the daemon sent it (compact JSON).
    mutating func add(_ line: [UInt8]) throws {
        guard !line.isEmpty else { return }
        switch mode {
        case .json:
            // The daemon's compact object (keys sorted), laid out as `Output.printJSON` lays out an array.
            let text = String(decoding: PrettyJSON.format(line, level: 1), as: UTF8.self)
            print(count == 0 ? "[\n  " + text : ",\n  " + text, terminator: "")
        case .table:
            let job = try JSONDecoder().decode(JobView.self, from: Data(line))
            let row = [
                job.position.map(String.init) ?? "-", job.id, job.name ?? "-", job.state.rawValue, String(job.priority),
                String(job.gpus), job.host ?? "-", job.image, job.pendingReason ?? job.reason ?? "",
            ]
            if widths == nil {
                held.append(row)
                if held.count >= Self.sizingRows { flushHeld() }
            } else {
                printRow(row)
            }
        }
        count += 1
    }

    /// Ends the output: the table's held rows, or the JSON array's close.
    mutating func finish() {
        switch mode {
        case .json: print(count == 0 ? "[\n\n]" : "\n]")
        case .table: if widths == nil { flushHeld() }
        }
    }

    private mutating func flushHeld() {
        var widths = Self.header.map(\.count)
        for row in held {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        self.widths = widths
        printRow(Self.header)
        for row in held { printRow(row) }
        held = []
    }

    private func printRow(_ cells: [String]) {
        let widths = self.widths ?? []
        print(
            cells.enumerated().map { index, cell in
                index == cells.count - 1
                    ? cell : cell.padding(toLength: max(widths[index], cell.count), withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        )
    }
}
