import ArgumentParser
import CosmosAPI
import CosmosDomain
import Foundation
import Synchronization

/// `cosmosctl logs ID... [--follow]` / `logs --batch B [--follow]`: the jobs' stdout and stderr.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print jobs' output (stdout and stderr).",
        discussion: """
            One job prints as it is. Several jobs (or --batch) print together as their lines arrive, each line \
            prefixed with its job's name (or id, when it has none).
            """
    )
    @OptionGroup var globals: GlobalOptions
    @Argument(help: "Job ids.") var ids: [String] = []
    @Option(help: "Every job of this named batch.") var batch: String?
    @Flag(name: [.short, .long], help: "Keep printing until the jobs end.") var follow = false

    func validate() throws {
        if ids.isEmpty && batch == nil { throw ValidationError("name a job id, or --batch ID") }
        if !ids.isEmpty && batch != nil { throw ValidationError("name job ids or --batch, not both") }
    }

    func run() async throws {
        try await globals.withClient { client in
            let query = follow ? [("follow", "true")] : []
            if let id = ids.first, ids.count == 1 {
                for try await buffer in try await client.stream(APIPath.job(id, .logs), query: query) {
                    FileHandle.standardOutput.write(Data(buffer.readableBytesView))
                }
                return
            }
            var jobs: [JobView] = []
            if let batch {
                jobs = try await client.send(.GET, APIPath.batch(batch), as: BatchView.self).jobs ?? []
            } else {
                for id in ids { jobs.append(try await client.send(.GET, APIPath.job(id), as: JobView.self)) }
            }
            let output = PrefixedOutput()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for job in jobs {
                    group.addTask {
                        let prefix = (job.name ?? job.id) + ": "
                        var pending: [UInt8] = []
                        for try await buffer in try await client.stream(APIPath.job(job.id, .logs), query: query) {
                            pending += buffer.readableBytesView
                            if let last = pending.lastIndex(of: UInt8(ascii: "\n")) {
                                output.write(lines: pending[...last], prefix: prefix)
                                pending.removeSubrange(...last)
                            }
                        }
                        if !pending.isEmpty { output.write(lines: pending + [UInt8(ascii: "\n")], prefix: prefix) }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}

/// Writes whole lines from several jobs to stdout, each with its job's prefix, never mixing two lines.
final class PrefixedOutput: Sendable {
    private let lock = Mutex(())

    /// Writes complete lines (ending in a newline), each prefixed.
    func write(lines: some Collection<UInt8>, prefix: String) {
        var text: [UInt8] = []
        for line in lines.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            text += Array(prefix.utf8) + line + [UInt8(ascii: "\n")]
        }
        lock.withLock { _ in FileHandle.standardOutput.write(Data(text)) }
    }
}

/// `cosmosctl wait ID... [--timeout SECONDS]`: exit 0 if all succeeded, 1 if any did not, 2 on timeout.
struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until jobs finish.",
        discussion: "Exits 0 if all succeeded, 1 if any did not, 2 on timeout."
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Job ids.") var ids: [String]
    @Option(help: "Give up after this many seconds.") var timeout: Double?

    /// The jobs `ids` names, as they are now, in that order.
    func views(_ client: ControlClient, _ ids: some Sequence<String>) async throws -> [JobView] {
        var jobs: [JobView] = []
        for id in ids { jobs.append(try await client.send(.GET, APIPath.job(id), as: JobView.self)) }
        return jobs
    }

    func run() async throws {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + .milliseconds(Int64($0 * 1000)) }
        let jobs = try await globals.withClient { client in
            // Where the log stands now, then the jobs' state: any change after that comes on the stream.
            let since = try await client.send(.GET, APIPath.status, as: StatusView.self).eventSeq
            let first = try await views(client, ids)
            let order = first.map(\.id)
            let pending = Set(first.filter { !$0.state.isTerminal }.map(\.id))
            if pending.isEmpty { return first }
            let filters = pending.sorted().map { ("job", $0) }
            return try await withThrowingTaskGroup(of: [JobView]?.self) { group in
                group.addTask {
                    var latest = Dictionary(first.map { ($0.id, $0) }) { $1 }
                    var pending = pending
                    try await client.followEvents(filters, since: since) { message in
                        // Only the waited-for jobs a message names are read again (reading every job on every
                        // message made a wait for N jobs cost N² requests); one that names no job (a resync)
                        // reads them all.
                        let named = Self.jobIDs(in: message)
                        for job in try await views(client, named.isEmpty ? pending : named.intersection(pending)) {
                            latest[job.id] = job
                            if job.state.isTerminal { pending.remove(job.id) }
                        }
                        return pending.isEmpty
                    }
                    return order.compactMap { latest[$0] }
                }
                if let deadline {
                    group.addTask {
                        try await Task.sleep(until: deadline, clock: clock)
                        return nil
                    }
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first ?? []
            }
        }
        guard !jobs.isEmpty else {
            FileHandle.standardError.write(Data("timed out waiting for \(ids.joined(separator: " "))\n".utf8))
            throw ExitCode(2)
        }
        if output.json {
            try Output.printJSON(jobs)
        } else {
            for job in jobs { print("\(job.id) \(job.state.rawValue)") }
        }
        if !jobs.allSatisfy({ $0.state == .succeeded }) { throw ExitCode(1) }
    }

    /// The job ids a stream message names: an event's `job_id`, an aggregate's `job_ids`.
    static func jobIDs(in message: ServerSentEvents.Message) -> Set<String> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(message.data.utf8)) as? [String: Any] else {
            return []
        }
        var ids = Set((object["job_ids"] as? [String]) ?? [])
        if let id = object["job_id"] as? String { ids.insert(id) }
        return ids
    }
}
