import CosmosAPI
import CosmosDomain
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `list` streamed end to end, on the real daemon: complete and in order at 50,000 jobs, and a client that
/// goes away in the middle leaves the daemon healthy.
@Suite("Streamed listing on the real daemon", .serialized)
struct ListingIntegrationTests {
    /// Submits `count` queued jobs (the queue paused) in files of 10,000; returns their ids in order.
    func fill(_ daemon: DaemonHarness, _ count: Int) throws -> [String] {
        #expect(daemon.ctl(["pause"]).status == 0)
        var ids: [String] = []
        for start in stride(from: 0, to: count, by: 10_000) {
            let lines = (start..<min(start + 10_000, count)).map {
                #"{"name": "l\#($0)", "image": "cosmos-test/busybox:latest", "command": ["true"]}"#
            }
            let path = daemon.directory.path + "/jobs-\(start).jsonl"
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let result = daemon.ctl(["submit", "--file", path, "--json"])
            try #require(result.status == 0, "\(result.stderr)")
            ids += try JSONDecoder().decode([JobView].self, from: Data(result.stdout.utf8)).map(\.id)
        }
        return ids
    }

    @Test("a list of 50,000 jobs is complete and in order, as JSON Lines, as JSON and as the table")
    func fiftyThousand() throws {
        try withDaemon { daemon in
            let ids = try fill(daemon, 50_000)
            #expect(ids.count == 50_000)
            let jsonl = daemon.ctl(["list", "--jsonl"])
            #expect(jsonl.status == 0)
            let lines = jsonl.stdout.split(separator: "\n")
            #expect(lines.count == 50_000)
            let decoder = JSONDecoder()
            let jobs = try lines.map { try decoder.decode(JobView.self, from: Data($0.utf8)) }
            #expect(jobs.map(\.id) == ids)
            #expect(jobs.enumerated().allSatisfy { $0.element.position == $0.offset + 1 })
            // The other two formats, on a part (the table sizes its columns on 1000 rows, then streams).
            let json = try daemon.ctlJSON([JobView].self, ["list", "--limit", "3000"])
            #expect(json.map(\.id) == Array(ids.prefix(3000)))
            let table = daemon.ctl(["list", "--limit", "3000"]).stdout.split(separator: "\n")
            #expect(table.count == 3001 && table[0].hasPrefix("POS") && table[3000].hasPrefix("3000 "))
            let owned = daemon.ctl(["list", "--jsonl", "--owner", String(getuid()), "--limit", "5"])
            #expect(owned.stdout.split(separator: "\n").count == 5)
        }
    }

    @Test("a client that disconnects in the middle of a list leaves the daemon answering and its jobs intact")
    func disconnect() throws {
        try withDaemon { daemon in
            let ids = try fill(daemon, 5_000)
            // Read the first few kilobytes of the stream, then close the connection.
            let script = """
                import socket, sys
                s = socket.socket(socket.AF_UNIX)
                s.connect(sys.argv[1])
                s.sendall(b"GET /v1/jobs?format=jsonl HTTP/1.1\\r\\nHost: cosmos\\r\\n\\r\\n")
                got = s.recv(4096)
                s.close()
                print(len(got))
                """
            for _ in 0..<3 {
                let result = DaemonHarness.run("/usr/bin/python3", ["-c", script, daemon.socket])
                #expect(
                    result.status == 0 && (Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0
                )
            }
            let status = try daemon.ctlJSON(StatusView.self, ["status"])
            #expect(status.counts["queued"] == 5_000)
            let last = daemon.ctl(["list", "--jsonl", "--limit", "1"]).stdout
            #expect(last.contains(ids[0]))
            #expect(daemon.process?.isRunning == true)
        }
    }
}
