import ArgumentParser
import CosmosAPI
import CosmosDomain
import Foundation

/// `cosmosctl logs ID [--follow]`: the job's stdout and stderr.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a job's output (stdout and stderr).")
    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The job id.") var id: String
    @Flag(name: [.short, .long], help: "Keep printing until the job ends.") var follow = false

    func run() async throws {
        try await globals.withClient { client in
            let body = try await client.stream(APIPath.job(id, .logs), query: follow ? [("follow", "true")] : [])
            for try await buffer in body {
                FileHandle.standardOutput.write(Data(buffer.readableBytesView))
            }
        }
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

    /// The jobs as they are now.
    func views(_ client: ControlClient) async throws -> [JobView] {
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
            let jobs = try await views(client)
            if jobs.allSatisfy({ $0.state.isTerminal }) { return jobs }
            let filters = ids.map { ("job", $0) }
            return try await withThrowingTaskGroup(of: [JobView]?.self) { group in
                group.addTask {
                    var latest: [JobView] = []
                    try await client.followEvents(filters, since: since) { _ in
                        latest = try await views(client)
                        return latest.allSatisfy { $0.state.isTerminal }
                    }
                    return latest
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
}
