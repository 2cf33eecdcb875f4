import ArgumentParser
import CosmosAPI
import Foundation

/// `cosmosctl events [--follow] [--since SEQ] [--job ID] [--batch ID] [--type T]...`: the event stream.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the event log: one line per message (--json: one JSON object per line).",
        discussion: """
            With --follow it keeps printing live events, and reconnects after the last one it printed when the \
            daemon restarts. A message covering several events of one type (jobs.started) lists their range. \
            A `resync` message means events were lost to this client (pruned, or it fell behind): re-read the \
            state with list/show.
            """
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: [.short, .long], help: "Keep printing new events until interrupted.") var follow = false
    @Option(help: "Start after this sequence number (the id of the last message seen).") var since: Int64?
    @Option(help: "Only events of this job (repeatable).") var job: [String] = []
    @Option(help: "Only events of this named batch (repeatable).") var batch: [String] = []
    @Option(help: "Only events of this type, such as job.started (repeatable).") var type: [String] = []

    func run() async throws {
        let filters = job.map { ("job", $0) } + batch.map { ("batch", $0) } + type.map { ("type", $0) }
        try await globals.withClient { client in
            guard follow else {
                var query = filters
                if let since { query.append(("since", String(since))) }
                var parser = ServerSentEvents()
                for try await buffer in try await client.stream(APIPath.events, query: query) {
                    print(parser.feed(buffer.readableBytesView))
                }
                return
            }
            try await client.followEvents(filters, since: since) { message in
                print([message])
                return false
            }
        }
    }

    /// Writes one line per message, unbuffered, so a pipe sees each window as it arrives; cursors are not shown.
    func print(_ messages: [ServerSentEvents.Message]) {
        let lines = messages.filter { $0.event != "cursor" }.map {
            (output.json ? Self.jsonLine($0) : Self.humanLine($0)) + "\n"
        }
        if !lines.isEmpty { FileHandle.standardOutput.write(Data(lines.joined().utf8)) }
    }

    /// `{"id": 43, "event": "jobs.started", "data": {...}}`.
    static func jsonLine(_ message: ServerSentEvents.Message) -> String {
        let id = message.id.flatMap(Int64.init).map(String.init) ?? "null"
        return "{\"id\":\(id),\"event\":\(Self.quoted(message.event)),\"data\":\(message.data)}"
    }

    /// `43  jobs.started  3 events (41-43): ab12..., cd34...` or `41  job.started  ab12...  container 1f2e`.
    static func humanLine(_ message: ServerSentEvents.Message) -> String {
        let id = message.id ?? "-"
        guard let data = try? JSONSerialization.jsonObject(with: Data(message.data.utf8)) as? [String: Any] else {
            return "\(id)  \(message.event)  \(message.data)"
        }
        if let count = data["count"] as? Int, let first = data["first_seq"], let last = data["last_seq"] {
            let jobs = (data["job_ids"] as? [String] ?? []).joined(separator: ", ")
            return "\(id)  \(message.event)  \(count) events (\(first)-\(last))" + (jobs.isEmpty ? "" : ": \(jobs)")
        }
        if message.event == "resync" {
            return
                "\(id)  resync  \(data["reason"] ?? ""): re-read the state; continuing after \(data["resume_after"] ?? "")"
        }
        let subject = (data["job_id"] as? String) ?? (data["batch_id"] as? String) ?? "-"
        let text = data["message"] as? String ?? ""
        return "\(id)  \(message.event)  \(subject)" + (text.isEmpty ? "" : "  \(text)")
    }

    private static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
